"""Clustering quality on the labelled pair set: the floors the issue sets (P ≥ 0.95, R ≥ 0.8).

Same data and code as ``parley eval-stories`` (which prints a threshold sweep) and bench/stories.py.
"""

from __future__ import annotations

from bot.cli.eval_stories import embed, load, score
from bot.settings import StoriesConfig


def test_pair_set_is_well_formed() -> None:
    items, pairs = load()
    ids = {str(item["id"]) for item in items}
    assert len(ids) == len(items)
    assert all(pair["a"] in ids and pair["b"] in ids and pair["a"] != pair["b"] for pair in pairs)
    same = [p for p in pairs if p["same"]]
    assert len(same) >= 100 and len(pairs) - len(same) >= 200
    assert {"seed-atlas", "seed-second"} <= ids


def test_default_threshold_meets_the_floors() -> None:
    items, pairs = load()
    result = score(items, pairs, embed(items), StoriesConfig())
    assert result.precision >= 0.95, result.errors
    assert result.recall >= 0.8, result.errors
    assert "Some Good News For Ukraine" not in " ".join(result.errors)  # the seed pair joins
