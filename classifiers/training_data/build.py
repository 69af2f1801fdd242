"""Assemble the Parley topic-classifier splits from the labelled source files.

Deterministic: the same source files always give the same ``train.jsonl``, ``dev.jsonl``
and ``test.jsonl``. Run from the repository root::

    python -m classifiers.training_data.build            # or
    python classifiers/training_data/build.py

Sources (all in this folder unless noted):

* ``written/*.txt``: rows written by the Parley team, one per line as
  ``group | codes | text [| why]``; codes are any of ``T`` (talks), ``D``
  (de-escalation), ``S`` (security-guarantees) or ``-`` for none. They are converted to
  ``written.jsonl`` first.
* ``feeds_labelled.jsonl``: real feed items labelled by hand.
* ``seed_articles.jsonl``: headline + lede of the two seed articles.
* ``/work/shared/data/{plover_gsr_cameo,conflibert_cameo_class,huffpost_news_category}``
  (or ``$PARLEY_SHARED_DATA``): third-party labelled sets, copied into
  ``third_party.jsonl`` the first time and read from there afterwards.

Split method: see README.md in this folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TOPICS: tuple[str, ...] = ("talks", "de-escalation", "security-guarantees")
CODES = {"T": "talks", "D": "de-escalation", "S": "security-guarantees"}

# Written rows: whole conflicts / regions are held out.
TEST_GROUPS = frozenset(
    {
        "armenia-azerbaijan",
        "koreas",
        "cyprus",
        "sudan",
        "colombia",
        "thailand-cambodia",
        "western-sahara",
        "georgia",
    }
)
DEV_GROUPS = frozenset({"kosovo-serbia", "libya", "myanmar", "venezuela-guyana", "somalia"})
# Feed rows: whole feeds are held out.
TEST_FEEDS = frozenset(
    {
        "un-news_europe_2022-04-01",
        "npr_world_2026-02-17",
        "wsj_world_stale-2025-01-27",
        "dawn_world_2026-02-18",
        "japantoday_world_2026-02-18",
    }
)
DEV_FEEDS = frozenset(
    {
        "cbsnews_world_2026-02-17",
        "aljazeera_all_2026-02-18",
        "guardian_us-front_2018-01-31",
        "foreignpolicy_2026-02-17",
    }
)
THIRD_PARTY = {
    "plover_gsr_cameo": "plover_gsr_cameo/plover_gsr_cameo.jsonl",
    "conflibert_cameo_class": "conflibert_cameo_class/conflibert_cameo_class.jsonl",
    "huffpost_news_category": "huffpost_news_category/huffpost_news_category.jsonl",
}
# Label corrections to third-party rows after spot checks: id -> (labels, why).
FIXES: dict[str, tuple[list[str], str]] = {
    # Blind audit of train's third-party rows (2026-12-07): agreed/announced steps, offers,
    # preconditions and Security Council acts between parties are talks; outsider appeals are not.
    "cc-train-0008": (
        ["talks"],
        "talks Include: US-Russia (listed adversaries) phone call about the Syria conflict",
    ),
    "cc-train-0057": (
        ["talks"],
        "talks Include: Security Council veto on a specific conflict (Yemen/Huthi missiles)",
    ),
    "cc-train-0195": (
        ["talks"],
        "talks Include: Security Council meeting on a specific conflict (Yemen, Hodeida)",
    ),
    "cc-train-0209": (
        ["talks"],
        "talks Include: engagement between listed adversaries US-Russia (Putin proposal rejected by Trump)",
    ),
    "cc-train-0350": (
        ["talks", "de-escalation", "security-guarantees"],
        "talks Include: Security Council vote on a specific conflict (Yemen; not a routine renewal), plus monitors for a new ceasefire",
    ),
    "cc-train-0604": (
        ["talks"],
        "talks Include: detained-nationals diplomacy between states (Japan eases sanctions in return for North Korea reopening abductee probe)",
    ),
    "cc-train-0706": (
        ["talks", "de-escalation"],
        "house convention: ceasefire jointly announced by Turkey and Russia (backers of opposing sides) = agreed between parties -> also talks",
    ),
    "cc-train-0707": (
        ["talks", "de-escalation"],
        "talks Include: proposal by a party tabled and rejected by the other side (cf. cc-train-0233 why: rejected ceasefire offer is talks)",
    ),
    "cc-train-0740": (
        ["talks"],
        "house convention: stated demands between parties to an internal armed conflict (rebel demands rejected by government) -> talks",
    ),
    "cc-train-0836": (
        ["talks", "de-escalation"],
        "talks Include: engagement between the two Koreas (listed adversaries); step agreed by North Korea with the South",
    ),
    "cc-train-0848": (
        ["talks"],
        "house convention: step agreed between government military and SPLA-IO rebels (humanitarian access alone is not de-escalation)",
    ),
    "cc-train-0880": (
        ["talks", "de-escalation"],
        "stated negotiating position: conditional mutual-withdrawal offer addressed to the adversary (cf. cc-train-1090 why)",
    ),
    "cc-train-0883": (
        ["talks", "de-escalation"],
        "stated negotiating position: conditional withdrawal offer addressed to the other party (cf. cc-train-1090 why)",
    ),
    "cc-train-0884": (
        ["talks", "de-escalation"],
        "stated negotiating position: conditional withdrawal offer addressed to the adversary (cf. cc-train-1090 why)",
    ),
    "cc-train-0885": (
        ["talks", "de-escalation"],
        "house convention: disarmament agreed between parties, with a stated precondition -> also talks",
    ),
    "cc-train-0886": (
        ["talks", "de-escalation"],
        "stated negotiating position: FARC offer to lay down arms in exchange for political participation (cf. cc-train-1090 why)",
    ),
    "cc-train-0890": (
        ["talks", "de-escalation"],
        "house convention: disarmament agreed with the US (agreement between parties) -> also talks",
    ),
    "cc-train-0891": (
        ["talks", "de-escalation"],
        "house convention: disarmament and cantonment agreed between separatists and government -> also talks",
    ),
    "cc-train-0937": (
        ["talks", "de-escalation"],
        "house convention / rule 5: ceasefire agreed between the parties (Armenia-Azerbaijan, listed adversaries) -> also talks",
    ),
    "cc-train-0938": (
        ["talks", "de-escalation"],
        "house convention: ceasefire reported as agreed (Turkey agreeing to a ceasefire) -> also talks",
    ),
    "cc-train-0939": (
        ["talks", "de-escalation"],
        "house convention: ceasefire agreed between India and Pakistan (listed adversaries) -> also talks",
    ),
    "cc-train-0940": (
        ["talks", "de-escalation"],
        "house convention: ceasefire reported as agreed by Erdogan (agreement between parties) -> also talks",
    ),
    "cc-train-0941": (
        ["talks", "de-escalation"],
        "house convention: ceasefire agreed between Yemen's warring parties -> also talks",
    ),
    "cc-train-0942": (
        ["talks", "de-escalation"],
        "house convention: ceasefire agreed, announced by the chief negotiator -> also talks",
    ),
    "cc-train-0944": (
        ["talks", "de-escalation"],
        "house convention: ceasefire reported as agreed (Putin, eastern Ukraine) -> also talks",
    ),
    "cc-train-1085": (
        ["talks"],
        "stated precondition addressed between US and Cuba (cf. cc-train-1067 why: sanctions-lifting preconditions are negotiating positions)",
    ),
    "cc-train-1087": (
        ["talks", "de-escalation", "security-guarantees"],
        "stated precondition by a party for lifting the blockade (cf. cc-train-1067 why) -> also talks",
    ),
    "cc-train-1091": (
        ["talks"],
        "stated negotiating position on a hostage/prisoner bargain by a party to the conflict (cf. cc-train-1090 why)",
    ),
    "cc-train-1207": (
        [],
        "outsider (UN) saying the EU must mediate is an appeal, not an offer by a party (same as FIX cc-train-1204)",
    ),
    "cc-train-1217": (
        ["talks"],
        "talks Include: proposal/formula accepted by a party (Hamas) to resolve the crisis",
    ),
    "hp-06330": (
        ["talks", "de-escalation"],
        "house convention: lede reports the warring sides accepted a ceasefire (proposal accepted / agreed between parties) -> also talks",
    ),
    "hp-08658": (
        ["talks", "de-escalation"],
        "house convention: ceasefire deal reported as reached between Hamas and Israel (agreed between parties) -> also talks",
    ),
    "plover-gsr-AGREE-0005": (
        ["talks"],
        "talks Include: offer by a party in an interstate dispute (Libya offers to hand over Lockerbie suspects to Britain)",
    ),
    "plover-gsr-CONCEDE-0001": (
        ["talks"],
        "house convention: government concedes to demands of UNITA rebels (demands/positions between parties to an internal armed conflict)",
    ),
    "plover-gsr-DEMAND-0014": (
        [],
        "rule 2/3: an ethnic community (not an actor) demanding a UN force; no proposal by a party (same as FIX cc-test-0026; duplicate text cc-test-0184 is none)",
    ),
    "plover-gsr-DEMAND-0036": (
        [],
        "outsider (Mubarak) saying the US must be ready to mediate is an appeal, not an offer by a party (same as FIX cc-train-1204)",
    ),
    "plover-gsr-REJECT-0004": (
        ["talks", "security-guarantees"],
        "talks Include: demand between the two Koreas (listed adversaries) rejected; alliance kept",
    ),
    "cc-train-0819": (
        ["talks", "de-escalation"],
        "house convention: LNA agreed to lift the blockade (step agreed between parties, a deal) -> also talks",
    ),
    "cc-train-0713": (
        ["talks", "de-escalation"],
        "house convention: ceasefire announced by both rival authorities (agreed between the parties) -> also talks",
    ),
    "cc-train-1204": (
        [],
        "an outsider saying the EU 'must be ready to mediate' is an appeal, not an offer "
        "by a party or an appointed mediator",
    ),
    "cc-test-0026": (
        [],
        "Rule 2/3: private citizens (not an actor) appealing for peacekeepers; no proposal by a party -> none",
    ),
    "cc-test-0047": (
        [],
        "Rule 3 / talks Exclude: outsider's appeal (Russia urging Iran-E3 to agree) with no concrete act -> none",
    ),
    "cc-train-0015": (
        ["talks"],
        "talks Include: UN Security Council veto on a specific conflict (Syria chemical-weapons inquiry)",
    ),
    "cc-train-0433": (
        ["talks"],
        "talks Include: engagement between listed adversaries US-Russia (Kerry-Lavrov plan on Syria)",
    ),
    "plover-gsr-THREATEN-0007": (
        ["talks"],
        "talks Include: refusals of talks (Palestinian leaders boycott all official contact with the US)",
    ),
    "cc-test-0012": (
        ["talks"],
        "talks Include: leader meeting stated to concern a conflict (Bush-Mubarak agree on Middle East settlement steps)",
    ),
    "cc-test-0446": (
        ["talks"],
        "talks Include: any engagement between adversaries (US-Russia meeting) even with no agenda",
    ),
    "cc-train-0866": (
        ["talks"],
        "talks Include: engagement between adversaries (Trump-Putin agreement on sharing NK information)",
    ),
    "cc-train-1090": (
        ["talks"],
        "talks Include/rule 3: stated negotiating position - conditional prisoner-swap offer by a party to the conflict",
    ),
    "cc-train-1202": (
        ["talks"],
        "talks Include: UN Security Council resolution on a specific conflict (Yemen)",
    ),
    "hp-00093": (
        ["talks"],
        "talks Include + rule 1: lede reports a Security Council meeting on a specific conflict (Zaporizhzhia, Ukraine)",
    ),
    "plover-gsr-REJECT-0033": (
        ["talks"],
        "talks Include: Security Council veto on a specific conflict/dispute (US action in Panama vs Nicaragua)",
    ),
}

Row = dict[str, Any]

# Real (third-party and feed) positives are seen this many times per epoch in training.
# Real items are short and ~95 % negative, written rows are longer and ~35 % positive, so
# without this the branch learns "short wire sentence => no topic" (dev AP on real rows
# 0.676 -> 0.723 with 3, docs/classifier.md).
REAL_POSITIVE_WEIGHT = 3


def _bucket(key: str) -> int:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 100  # noqa: S324


def hash_split(key: str, test_pct: int = 20, dev_pct: int = 12) -> str:
    b = _bucket(key)
    if b < test_pct:
        return "test"
    if b < test_pct + dev_pct:
        return "dev"
    return "train"


def norm_text(text: str) -> str:
    """Normalise for duplicate detection: case, accents, punctuation, whitespace."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    t = re.sub(r"[^a-z0-9]+", " ", t.lower())
    return " ".join(t.split())


def order_labels(labels: Iterable[str]) -> list[str]:
    s = set(labels)
    unknown = s - set(TOPICS)
    if unknown:
        raise ValueError(f"unknown labels {sorted(unknown)}")
    return [t for t in TOPICS if t in s]


def read_jsonl(path: Path) -> list[Row]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: Path, rows: Iterable[Row]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def parse_written() -> list[Row]:
    rows: list[Row] = []
    for src in sorted((HERE / "written").glob("*.txt")):
        for n, raw in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) not in (3, 4):
                raise ValueError(f"{src.name}:{n}: expected 'group | codes | text [| why]'")
            group, codes, text = parts[0], parts[1], parts[2]
            if codes != "-" and (not codes or set(codes) - set(CODES)):
                raise ValueError(f"{src.name}:{n}: bad codes {codes!r}")
            labels = order_labels(CODES[c] for c in codes if c != "-")
            digest = hashlib.sha1(norm_text(text).encode()).hexdigest()[:10]  # noqa: S324
            row: Row = {
                "id": f"w-{group}-{digest}",
                "text": text,
                "labels": labels,
                "origin": "written:parley-team",
                "group": group,
            }
            if len(parts) == 4 and parts[3]:
                row["why"] = parts[3]
            rows.append(row)
    return rows


def load_third_party() -> list[Row]:
    cache = HERE / "third_party.jsonl"
    if cache.exists():
        return read_jsonl(cache)
    base = Path(os.environ.get("PARLEY_SHARED_DATA", "/work/shared/data"))
    rows: list[Row] = []
    for name, rel in THIRD_PARTY.items():
        for r in read_jsonl(base / rel):
            row: Row = {
                "id": r["id"],
                "text": r["text"],
                "labels": order_labels(r["labels"]),
                "origin": f"{name}:{r['id']}",
            }
            if r.get("why"):
                row["why"] = r["why"]
            rows.append(row)
    write_jsonl(cache, rows)
    return rows


def assign(row: Row) -> str:
    origin: str = row["origin"]
    if origin.startswith("written:"):
        group: str = row["group"]
        if group in TEST_GROUPS:
            return "test"
        if group in DEV_GROUPS:
            return "dev"
        if group.startswith("neg-") or group == "general":
            return hash_split(row["id"])
        return "train"
    if origin.startswith("feed:"):
        feed = origin.split(":", 2)[1]
        if feed in TEST_FEEDS:
            return "test"
        return "dev" if feed in DEV_FEEDS else "train"
    if origin.startswith("seed-article:"):
        return "test"
    return hash_split(row["id"])


def build() -> dict[str, list[Row]]:
    written = parse_written()
    write_jsonl(HERE / "written.jsonl", written)
    rows = written + read_jsonl(HERE / "feeds_labelled.jsonl")
    rows += read_jsonl(HERE / "seed_articles.jsonl")
    for r in load_third_party():
        if r["id"] in FIXES:
            labels, why = FIXES[r["id"]]
            r = {**r, "labels": order_labels(labels), "why": f"parley fix: {why}"}
        rows.append(r)

    ids = Counter(r["id"] for r in rows)
    dup_ids = [i for i, c in ids.items() if c > 1]
    if dup_ids:
        raise ValueError(f"duplicate ids: {dup_ids[:5]}")

    splits: dict[str, list[Row]] = {"train": [], "dev": [], "test": []}
    seen: dict[str, str] = {}
    # Place test rows first, then dev, then train, so a duplicate text always stays
    # in the most held-out split and is dropped from the others.
    by_split: dict[str, list[Row]] = {"test": [], "dev": [], "train": []}
    for r in rows:
        by_split[assign(r)].append(r)
    dropped = 0
    for name in ("test", "dev", "train"):
        for r in by_split[name]:
            key = norm_text(r["text"])
            if key in seen:
                dropped += 1
                continue
            seen[key] = name
            out: Row = {
                "id": r["id"],
                "text": r["text"],
                "labels": order_labels(r["labels"]),
                "origin": r["origin"],
            }
            if r.get("why"):
                out["why"] = r["why"]
            if name == "train" and out["labels"] and not r["origin"].startswith("written:"):
                out["weight"] = REAL_POSITIVE_WEIGHT
            splits[name].append(out)
    for name, srows in splits.items():
        srows.sort(key=lambda r: r["id"])
        write_jsonl(HERE / f"{name}.jsonl", srows)
    print(f"dropped {dropped} duplicate texts")  # noqa: T201
    return splits


def report(splits: dict[str, list[Row]]) -> str:
    lines = [
        "| split | rows | talks | de-escalation | security-guarantees | none |",
        "|---|---|---|---|---|---|",
    ]
    for name, rows in splits.items():
        c = Counter(label for r in rows for label in r["labels"])
        none = sum(1 for r in rows if not r["labels"])
        lines.append(
            f"| {name} | {len(rows)} | {c['talks']} | {c['de-escalation']} | "
            f"{c['security-guarantees']} | {none} |"
        )
    lines += ["", "| split | origin | rows | talks | de-escalation | security-guarantees |"]
    lines.append("|---|---|---|---|---|---|")
    for name, rows in splits.items():
        per: dict[str, Counter[str]] = {}
        for r in rows:
            src = r["origin"].split(":", 1)[0]
            c2 = per.setdefault(src, Counter())
            c2["rows"] += 1
            c2.update(r["labels"])
        for src in sorted(per):
            c2 = per[src]
            lines.append(
                f"| {name} | {src} | {c2['rows']} | {c2['talks']} | {c2['de-escalation']} | "
                f"{c2['security-guarantees']} |"
            )
    return "\n".join(lines)


def main() -> int:
    splits = build()
    print(report(splits))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
