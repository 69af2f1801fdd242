"""Calibration of raw scores into probabilities, and the head file that stores it.

The fine-tuned branch inside the ONNX graph outputs raw logits; they are over-confident
(trained with up-weighted positives for a few epochs), so each topic gets a Platt
mapping p = sigmoid(a * logit + b) fitted on the dev split. The zero-shot scorer for
custom topics gets one shared mapping from cosine similarity, fitted on dev by scoring
the core topics as if they were custom ones (descriptions in `classifiers/prototypes.py`).
A score of 0.8 then means "about 80% of such items are positives", so an admin's
threshold reads as a precision target.

The head file (JSON, a few KB) names the artefact hash it was calibrated for.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

HEAD_FORMAT = "parley-head/1"
HEAD_NAME = "head.json"

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Platt:
    """p = sigmoid(a * x + b)."""

    a: float
    b: float

    def __call__(self, x: npt.ArrayLike) -> FloatArray:
        z = np.clip(self.a * np.asarray(x, dtype=np.float64) + self.b, -40.0, 40.0)
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


# Used only when no fitted zero-shot mapping is available: cosine 0.55 -> 0.5.
DEFAULT_ZERO_SHOT = Platt(a=20.0, b=-11.0)


@dataclass(frozen=True)
class HeadFile:
    """What `parley train` writes next to (or for) an artefact."""

    topics: tuple[str, ...]
    platt: dict[str, Platt]
    zero_shot: Platt = DEFAULT_ZERO_SHOT
    encoder_sha256: str = ""
    suggested_thresholds: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        data = {
            "format": HEAD_FORMAT,
            "encoder_sha256": self.encoder_sha256,
            "topics": list(self.topics),
            "platt": {t: asdict(p) for t, p in self.platt.items()},
            "zero_shot": asdict(self.zero_shot),
            "suggested_thresholds": self.suggested_thresholds,
            "info": self.info,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> HeadFile:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != HEAD_FORMAT:
            raise ValueError(f"{path}: unsupported head format {raw.get('format')!r}")
        return cls(
            topics=tuple(raw["topics"]),
            platt={t: Platt(**p) for t, p in raw["platt"].items()},
            zero_shot=Platt(**raw.get("zero_shot", asdict(DEFAULT_ZERO_SHOT))),
            encoder_sha256=str(raw.get("encoder_sha256", "")),
            suggested_thresholds={
                k: float(v) for k, v in raw.get("suggested_thresholds", {}).items()
            },
            info=dict(raw.get("info", {})),
        )


def fit_platt(scores: Sequence[float] | npt.ArrayLike, labels: npt.ArrayLike) -> Platt:
    """Fit a, b by Newton's method on the log-loss, with Platt's smoothed targets.

    The smoothed targets ((n+ + 1)/(n+ + 2), 1/(n- + 2)) keep a and b finite when the
    dev split separates perfectly, which it often does for a topic with few positives.
    """
    x = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    n_pos = float(y.sum())
    n_neg = float(len(y) - n_pos)
    t = np.where(y > 0.5, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    params = np.array([0.0, math.log((n_pos + 1.0) / (n_neg + 1.0))])
    loss = _platt_loss(params, x, t)
    for _ in range(200):
        p = 1.0 / (1.0 + np.exp(-np.clip(params[0] * x + params[1], -40, 40)))
        w = np.maximum(p * (1.0 - p), 1e-12)
        grad = np.array([np.sum((p - t) * x), np.sum(p - t)])
        hess = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]])
        step = np.linalg.solve(hess + np.eye(2) * 1e-9, grad)
        scale = 1.0
        # Backtracking: a full Newton step can overshoot when the classes barely overlap.
        while scale > 1e-10:
            trial = params - scale * step
            trial_loss = _platt_loss(trial, x, t)
            if trial_loss <= loss:
                break
            scale /= 2
        if scale <= 1e-10 or loss - trial_loss < 1e-12:
            break
        params, loss = trial, trial_loss
    return Platt(a=float(params[0]), b=float(params[1]))


def _platt_loss(params: npt.NDArray[np.float64], x: FloatArray, t: FloatArray) -> float:
    z = params[0] * x + params[1]
    # log(1 + e^z) - t z, computed stably
    return float(np.sum(np.logaddexp(0.0, z) - t * z))


def calibrate(head: HeadFile, logits: npt.ArrayLike) -> dict[str, FloatArray]:
    """Raw logits (n, len(head.topics)) -> topic -> probabilities (n,)."""
    arr = np.asarray(logits, dtype=np.float64)
    return {t: head.platt[t](arr[:, j]) for j, t in enumerate(head.topics)}


def probabilities_at(head: HeadFile, row: Mapping[str, float]) -> dict[str, float]:
    return {t: float(head.platt[t](row[t])[()]) for t in head.topics}
