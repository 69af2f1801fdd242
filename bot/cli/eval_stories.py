"""``parley eval-stories``: pairwise precision and recall of story clustering on labelled pairs.

Runs the pipeline's own matching (``best_story`` over ``StoryState``) over every item of the set
in publication order, as the cluster stage would see them, then scores the labelled pairs:
precision is the share of pairs put together that report one event, recall the share of
same-event pairs that end up in one story. The set is ``tests/data/story_pairs.jsonl`` (a source
checkout); ``--pairs`` points elsewhere.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.cli.common import CommandError, SubParsers
from bot.pipeline import cluster
from bot.pipeline.cluster import StoryState, best_story, item_entities
from bot.settings import StoriesConfig

DEFAULT_PAIRS = Path(__file__).resolve().parents[2] / "tests" / "data" / "story_pairs.jsonl"

Row = dict[str, Any]


@dataclass(frozen=True)
class PairScores:
    precision: float
    recall: float
    tp: int
    fp: int
    fn: int
    stories: int
    errors: tuple[str, ...]


def load(path: Path = DEFAULT_PAIRS) -> tuple[list[Row], list[Row]]:
    """(items, pairs) of a pair file; raises CommandError when it cannot be read."""
    items: list[Row] = []
    pairs: list[Row] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CommandError(f"cannot read pair set {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, start=1):
        try:
            row = json.loads(line)
            (items if row["kind"] == "item" else pairs).append(row)
        except (ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"{path}:{number}: not a pair-set row ({exc})") from None
    return items, pairs


def embed(items: list[Row], model_dir: Path | None = None) -> npt.NDArray[np.float32]:
    """Embed items as the classify stage does (headline + lede, the classifier's encoder)."""
    from classifiers.artifact import DEFAULT_ARTIFACT_DIR
    from classifiers.encoder import OnnxEncoder
    from classifiers.text import item_text

    encoder = OnnxEncoder(model_dir or DEFAULT_ARTIFACT_DIR, threads=1, batch_size=16)
    return encoder.embed([item_text(str(i["title"]), str(i["summary"] or "")) for i in items])


def assign(
    items: list[Row], vectors: npt.NDArray[np.float32], config: StoriesConfig
) -> dict[str, int]:
    """Item id → story number, clustering in publication order as the pipeline does."""
    order = sorted(range(len(items)), key=lambda k: (str(items[k]["published"]), k))
    stories: list[StoryState] = []
    out: dict[str, int] = {}
    for k in order:
        item = items[k]
        published = datetime.fromisoformat(str(item["published"]))
        heads, entities = item_entities(str(item["title"]), str(item["summary"] or ""))
        match = best_story(vectors[k], heads, published, stories, config, entities)
        if match is None:
            match = StoryState(len(stories), None, 0, set(), published)
            stories.append(match)
        match.add(vectors[k], entities, published)
        out[str(item["id"])] = match.key
    return out


def score(
    items: list[Row], pairs: list[Row], vectors: npt.NDArray[np.float32], config: StoriesConfig
) -> PairScores:
    story_of = assign(items, vectors, config)
    titles = {str(i["id"]): str(i["title"]) for i in items}
    tp = fp = fn = 0
    errors = []
    for pair in pairs:
        a, b = str(pair["a"]), str(pair["b"])
        together = story_of[a] == story_of[b]
        if together and pair["same"]:
            tp += 1
        elif together:
            fp += 1
            errors.append(f"FP {titles[a][:60]!r} + {titles[b][:60]!r}")
        elif pair["same"]:
            fn += 1
            errors.append(f"FN {titles[a][:60]!r} / {titles[b][:60]!r}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return PairScores(precision, recall, tp, fp, fn, len(set(story_of.values())), tuple(errors))


def register(subparsers: SubParsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "eval-stories", help="precision and recall of story clustering on labelled pairs"
    )
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS, metavar="PATH")
    parser.add_argument("--threshold", type=float, default=None, help="similarity threshold")
    parser.add_argument("--sweep", action="store_true", help="thresholds 0.45 to 0.80")
    parser.add_argument("--errors", action="store_true", help="list misclustered pairs")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    items, pairs = load(args.pairs)
    started = time.perf_counter()
    vectors = embed(items)
    took = time.perf_counter() - started
    same = sum(1 for p in pairs if p["same"])
    print(f"pair set: {len(items)} items, {len(pairs)} pairs ({same} same-event)")
    print(f"embedding: {took:.2f} s ({len(items) / max(took, 1e-9):.0f} items/s)")
    print(
        f"entity mismatch penalty {cluster.ENTITY_MISMATCH_PENALTY}, shared bonus "
        f"{cluster.ENTITY_SHARED_BONUS} (at {cluster.ENTITY_SHARED_MIN}+ shared names)"
    )
    base = StoriesConfig()
    if args.sweep:
        thresholds = [round(0.45 + 0.05 * k, 2) for k in range(8)]
    else:
        thresholds = [base.similarity_threshold if args.threshold is None else args.threshold]
    for threshold in thresholds:
        if not 0.0 <= threshold <= 1.0:
            raise CommandError("--threshold must be between 0 and 1")
        config = base.model_copy(update={"similarity_threshold": threshold})
        started = time.perf_counter()
        result = score(items, pairs, vectors, config)
        took = time.perf_counter() - started
        print(
            f"threshold {threshold:.2f}: precision {result.precision:.3f}  recall "
            f"{result.recall:.3f}  (tp {result.tp}, fp {result.fp}, fn {result.fn}; "
            f"{result.stories} stories; clustering {took * 1000:.0f} ms)"
        )
        if args.errors:
            for line in result.errors:
                print(f"    {line}")
    return 0
