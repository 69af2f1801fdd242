"""Schema and integrity checks for the topic-classifier dataset in classifiers/training_data/."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[1] / "classifiers" / "training_data"
SPLITS = ("train", "dev", "test")
TOPICS = ("talks", "de-escalation", "security-guarantees")
ORIGIN_PREFIXES = (
    "written:",
    "feed:",
    "seed-article:",
    "plover_gsr_cameo:",
    "conflibert_cameo_class:",
    "huffpost_news_category:",
)
MIN_TEST_POSITIVES = 80
# Dev chooses models and thresholds: at 30-60 positives per topic one item moved a threshold
# and dev ranked candidates against test, so it now holds whole conflicts and 20 % of the
# hash-split rows (docs/classifier.md).
MIN_DEV_POSITIVES = 100
MIN_DEV_REAL_POSITIVES = 20


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", t.lower()).split())


def _load(name: str) -> list[dict[str, Any]]:
    rows = []
    with (DATA / f"{name}.jsonl").open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            assert line.strip(), f"{name}.jsonl:{n} is blank"
            rows.append(json.loads(line))
    return rows


@pytest.fixture(scope="module")
def splits() -> dict[str, list[dict[str, Any]]]:
    return {name: _load(name) for name in SPLITS}


def test_files_exist() -> None:
    for name in SPLITS:
        assert (DATA / f"{name}.jsonl").is_file()
    assert (DATA / "README.md").is_file()


@pytest.mark.parametrize("name", SPLITS)
def test_row_schema(splits: dict[str, list[dict[str, Any]]], name: str) -> None:
    for r in splits[name]:
        assert set(r) <= {"id", "text", "labels", "origin", "why", "weight"}, r["id"]
        assert isinstance(r["id"], str) and r["id"], r
        assert isinstance(r["text"], str) and len(r["text"].strip()) >= 10, r["id"]
        assert isinstance(r["labels"], list), r["id"]
        assert isinstance(r["origin"], str) and r["origin"].startswith(ORIGIN_PREFIXES), r["id"]
        if "why" in r:
            assert isinstance(r["why"], str) and r["why"].strip(), r["id"]


def test_only_real_train_positives_are_oversampled(
    splits: dict[str, list[dict[str, Any]]],
) -> None:
    for name in ("dev", "test"):
        assert not [r["id"] for r in splits[name] if "weight" in r], name
    for r in splits["train"]:
        real_positive = bool(r["labels"]) and not r["origin"].startswith("written:")
        assert r.get("weight", 1) == (8 if real_positive else 1), r["id"]


@pytest.mark.parametrize("name", SPLITS)
def test_labels_valid_and_ordered(splits: dict[str, list[dict[str, Any]]], name: str) -> None:
    for r in splits[name]:
        labels = r["labels"]
        assert set(labels) <= set(TOPICS), (r["id"], labels)
        assert len(labels) == len(set(labels)), (r["id"], labels)
        assert labels == [t for t in TOPICS if t in labels], (r["id"], labels)


def test_ids_unique(splits: dict[str, list[dict[str, Any]]]) -> None:
    ids = Counter(r["id"] for rows in splits.values() for r in rows)
    assert [i for i, c in ids.items() if c > 1] == []


def test_no_text_shared_between_splits(splits: dict[str, list[dict[str, Any]]]) -> None:
    keys = {name: {_norm(r["text"]) for r in rows} for name, rows in splits.items()}
    assert keys["train"].isdisjoint(keys["test"])
    assert keys["dev"].isdisjoint(keys["test"])
    assert keys["train"].isdisjoint(keys["dev"])


def test_no_duplicate_text_within_split(splits: dict[str, list[dict[str, Any]]]) -> None:
    for name, rows in splits.items():
        c = Counter(_norm(r["text"]) for r in rows)
        assert [k for k, v in c.items() if v > 1] == [], name


def test_split_sizes(splits: dict[str, list[dict[str, Any]]]) -> None:
    total = sum(len(rows) for rows in splits.values())
    assert total >= 4000
    assert 0.12 <= len(splits["test"]) / total <= 0.30
    assert 0.08 <= len(splits["dev"]) / total <= 0.22
    assert len(splits["train"]) / total >= 0.55


@pytest.mark.parametrize("topic", TOPICS)
def test_positive_floors(splits: dict[str, list[dict[str, Any]]], topic: str) -> None:
    def count(name: str) -> int:
        return sum(topic in r["labels"] for r in splits[name])

    assert count("test") >= MIN_TEST_POSITIVES
    assert count("dev") >= MIN_DEV_POSITIVES
    assert count("train") >= MIN_TEST_POSITIVES


def test_dev_holds_real_short_items(splits: dict[str, list[dict[str, Any]]]) -> None:
    """Thresholds are chosen on dev, so it must hold real items, not only written rows."""
    real = [r for r in splits["dev"] if not r["origin"].startswith("written:")]
    positives = sum(bool(r["labels"]) for r in real)
    assert positives >= MIN_DEV_REAL_POSITIVES
    assert len(real) >= 0.4 * len(splits["dev"])


def test_test_has_many_negatives(splits: dict[str, list[dict[str, Any]]]) -> None:
    test = splits["test"]
    none = [r for r in test if not r["labels"]]
    assert len(none) >= 300
    # Hard negatives written for the held-out conflicts, not only easy third-party ones.
    assert sum(r["origin"].startswith("written:") for r in none) >= 60


def test_every_origin_family_present_in_train(splits: dict[str, list[dict[str, Any]]]) -> None:
    families = {r["origin"].split(":", 1)[0] for r in splits["train"]}
    assert {"written", "feed", "plover_gsr_cameo", "conflibert_cameo_class"} <= families
    assert "huffpost_news_category" in families


def test_held_out_groups_do_not_leak(splits: dict[str, list[dict[str, Any]]]) -> None:
    """Written rows from a held-out conflict appear only in test; whole feeds stay together."""

    def group(r: dict[str, Any]) -> str:
        return str(r["id"]).split("-", 1)[1].rsplit("-", 1)[0]

    test_groups = {group(r) for r in splits["test"] if r["origin"].startswith("written:")}
    test_groups = {g for g in test_groups if not g.startswith("neg-") and g != "general"}
    for name in ("train", "dev"):
        leaked = {
            group(r)
            for r in splits[name]
            if r["origin"].startswith("written:") and group(r) in test_groups
        }
        assert leaked == set(), name
    feeds: dict[str, set[str]] = {}
    for name, rows in splits.items():
        for r in rows:
            if r["origin"].startswith("feed:"):
                feeds.setdefault(r["origin"].split(":")[1], set()).add(name)
    assert all(len(s) == 1 for s in feeds.values()), feeds


def test_every_label_fix_reaches_its_row(splits: dict[str, list[dict[str, Any]]]) -> None:
    by_id = {r["id"]: r for rows in splits.values() for r in rows}
    with (DATA / "fixes.jsonl").open(encoding="utf-8") as f:
        fixes = [json.loads(line) for line in f]
    assert len({fix["id"] for fix in fixes}) == len(fixes)
    for fix in fixes:
        row = by_id.get(fix["id"])
        assert row is not None, f"{fix['id']} is fixed but not in any split"
        assert set(row["labels"]) == set(fix["labels"]), fix["id"]
        assert row["why"] == f"parley fix: {fix['why']}", fix["id"]
