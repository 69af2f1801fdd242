"""Metrics, calibration and the keyword baseline: small hand-checked cases, no model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.baseline import keyword_scores
from classifiers.data import DataError, load_examples
from classifiers.head import HeadFile, Platt, fit_platt
from classifiers.metrics import average_precision, evaluate, threshold_for_precision
from classifiers.training import suggest_threshold


def test_average_precision_matches_hand_computation() -> None:
    # ranks: P(1)=1/1, then a negative, P(3)=2/3 -> AP = (1 + 2/3) / 2
    assert average_precision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]) == pytest.approx(5 / 6)
    assert average_precision([0, 0], [0.3, 0.2]) == 0.0


def test_threshold_for_precision_picks_max_recall() -> None:
    y = [1, 1, 0, 1, 0, 0]
    s = [0.95, 0.9, 0.8, 0.7, 0.2, 0.1]
    threshold, recall = threshold_for_precision(y, s, 1.0)
    assert threshold == 0.9 and recall == pytest.approx(2 / 3)
    assert threshold_for_precision(y, s, 0.75) == (0.7, 1.0)
    assert threshold_for_precision([0, 0], [0.5, 0.4], 0.9) == (None, 0.0)


def test_evaluate_counts_false_positives_on_none_items() -> None:
    labels = {"a": np.array([1, 0, 0, 0]), "b": np.array([0, 1, 0, 0])}
    scores = {"a": np.array([0.9, 0.1, 0.8, 0.1]), "b": np.array([0.1, 0.9, 0.1, 0.1])}
    report = evaluate(labels, scores, {"a": 0.5, "b": 0.5})
    assert report.none_count == 2
    assert report.none_false_positive_rate == 0.5
    assert report.topics[0].precision == 0.5 and report.topics[1].f1 == 1.0
    assert report.micro_precision == pytest.approx(2 / 3)


def test_platt_is_monotonic_and_finite_on_separable_data() -> None:
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(-6, 1, 300), rng.normal(6, 1, 20)]
    y = np.r_[np.zeros(300), np.ones(20)]
    platt = fit_platt(x, y)
    assert 0 < platt.a < 10 and np.isfinite(platt.b)
    p = platt(np.array([-6.0, 0.0, 6.0]))
    assert p[0] < 0.05 < p[1] < p[2] and p[2] > 0.9


def test_head_file_round_trip(tmp_path: Path) -> None:
    head = HeadFile(
        topics=("talks",),
        platt={"talks": Platt(1.5, -2.0)},
        zero_shot=Platt(20.0, -11.0),
        encoder_sha256="abc",
        suggested_thresholds={"talks": 0.6},
        info={"note": "x"},
    )
    path = tmp_path / "h.json"
    head.save(path)
    assert HeadFile.load(path) == head


def test_keyword_baseline_has_the_expected_blind_spots() -> None:
    scores = keyword_scores(
        [
            "Peace talks resume in Geneva",
            "US and China hold trade talks",
            "Government offers loan guarantees",
            "Russia and Ukraine agree ceasefire",
        ]
    )
    assert list(scores["talks"]) == [1.0, 0.0, 0.0, 0.0]
    assert scores["de-escalation"][3] == 1.0
    assert scores["security-guarantees"].sum() == 0.0


def test_load_examples_reads_weight_and_rejects_bad_ones(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(
        '{"text": "Truce agreed", "labels": ["de-escalation"], "weight": 3}\n'
        '{"text": "Stocks fell", "labels": []}\n',
        encoding="utf-8",
    )
    assert [e.weight for e in load_examples(good)] == [3, 1]
    for bad_weight in ("0", "1.5", "true", '"2"'):
        bad = tmp_path / "bad.jsonl"
        bad.write_text(f'{{"text": "x y", "labels": [], "weight": {bad_weight}}}\n', "utf-8")
        with pytest.raises(DataError, match=r"bad\.jsonl:1: .*weight"):
            load_examples(bad)


def test_suggested_threshold_keeps_precision_and_ignores_one_stray_item() -> None:
    rng = np.random.default_rng(1)
    y = np.r_[np.ones(40), np.zeros(400)]
    p = np.r_[rng.uniform(0.55, 1.0, 40), rng.uniform(0.0, 0.62, 400)]
    chosen = suggest_threshold(y, p)
    flagged = p >= chosen
    assert 0.55 <= chosen <= 0.65
    assert (y[flagged] == 1).mean() >= 0.85
    # One negative with a high score does not move a bootstrap-averaged choice.
    assert suggest_threshold(np.r_[y, 0.0], np.r_[p, 0.97]) == chosen
    # Scores that say nothing about the labels never reach 85 % precision.
    assert suggest_threshold(y, rng.uniform(0, 1, len(y))) == 0.9


def test_suggested_threshold_stays_at_half_unless_dev_shows_a_real_difference() -> None:
    rng = np.random.default_rng(2)
    y = np.r_[np.ones(150), np.zeros(1000)]
    # well separated: every threshold from 0.3 to 0.85 gives about the same F1
    p = np.r_[rng.uniform(0.88, 1.0, 150), rng.uniform(0.0, 0.25, 1000)]
    assert suggest_threshold(y, p) == 0.5
    # small shifts of every score (another CPU's int8 rounding) do not move it
    assert suggest_threshold(y, np.clip(p + rng.normal(0, 0.02, len(p)), 0, 1)) == 0.5
    # a real optimum away from 0.5 still wins: negatives crowd up to 0.68
    crowded = np.r_[rng.uniform(0.72, 1.0, 150), rng.uniform(0.4, 0.68, 400), p[150:]]
    assert suggest_threshold(np.r_[y[:150], np.zeros(400), y[150:]], crowded) >= 0.7
