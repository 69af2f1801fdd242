"""Precision, recall, F1, average precision and threshold search, in plain numpy.

No scikit-learn: it is not a dependency, and these few formulas are easy to check.
Average precision is the step-wise area (sum over positives of precision at their rank),
the same definition scikit-learn uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TopicMetrics:
    topic: str
    threshold: float
    support: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    average_precision: float
    threshold_for_target: float | None
    recall_at_target: float


@dataclass(frozen=True)
class Report:
    topics: list[TopicMetrics]
    macro_precision: float
    macro_recall: float
    macro_f1: float
    micro_precision: float
    micro_recall: float
    micro_f1: float
    none_count: int
    none_false_positive_rate: float
    target_precision: float


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def f1(precision: float, recall: float) -> float:
    return _ratio(2 * precision * recall, precision + recall)


def average_precision(y: npt.ArrayLike, s: npt.ArrayLike) -> float:
    yt = np.asarray(y, dtype=bool)
    if not yt.any():
        return 0.0
    order = np.argsort(-np.asarray(s, dtype=np.float64), kind="stable")
    hits = yt[order]
    precision_at_k = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision_at_k[hits].sum() / hits.sum())


def pr_curve(y: npt.ArrayLike, s: npt.ArrayLike) -> tuple[F64, F64, F64]:
    """(precision, recall, threshold) at every distinct score, thresholds descending."""
    yt = np.asarray(y, dtype=bool)
    sc = np.asarray(s, dtype=np.float64)
    order = np.argsort(-sc, kind="stable")
    sc, yt = sc[order], yt[order]
    last = np.r_[np.flatnonzero(np.diff(sc)), len(sc) - 1]
    tp = np.cumsum(yt)[last].astype(np.float64)
    fp = (last + 1 - tp).astype(np.float64)
    precision = tp / np.maximum(tp + fp, 1)
    recall = tp / max(int(yt.sum()), 1)
    return precision, recall, sc[last]


def threshold_for_precision(
    y: npt.ArrayLike, s: npt.ArrayLike, target: float
) -> tuple[float | None, float]:
    """Lowest threshold whose precision is >= target (max recall); (None, 0) if unreachable."""
    precision, recall, thresholds = pr_curve(y, s)
    ok = np.flatnonzero(precision >= target)
    if not len(ok):
        return None, 0.0
    best = ok[np.argmax(recall[ok])]
    return float(thresholds[best]), float(recall[best])


def topic_metrics(
    topic: str, y: npt.ArrayLike, s: npt.ArrayLike, threshold: float, target: float
) -> TopicMetrics:
    yt = np.asarray(y, dtype=bool)
    pred = np.asarray(s, dtype=np.float64) >= threshold
    tp = int(np.sum(pred & yt))
    fp = int(np.sum(pred & ~yt))
    fn = int(np.sum(~pred & yt))
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    th, rec = threshold_for_precision(yt, s, target)
    return TopicMetrics(
        topic,
        threshold,
        int(yt.sum()),
        tp,
        fp,
        fn,
        p,
        r,
        f1(p, r),
        average_precision(yt, s),
        th,
        rec,
    )


def evaluate(
    labels: Mapping[str, npt.ArrayLike],
    scores: Mapping[str, npt.ArrayLike],
    thresholds: Mapping[str, float],
    *,
    target_precision: float = 0.9,
) -> Report:
    """Per-topic and averaged metrics; `labels`/`scores` map topic -> (n,) arrays."""
    topics: Sequence[str] = list(labels)
    per = [topic_metrics(t, labels[t], scores[t], thresholds[t], target_precision) for t in topics]
    tp = sum(m.tp for m in per)
    fp = sum(m.fp for m in per)
    fn = sum(m.fn for m in per)
    micro_p, micro_r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    y = np.vstack([np.asarray(labels[t], dtype=bool) for t in topics])
    flagged = np.vstack([np.asarray(scores[t], dtype=np.float64) >= thresholds[t] for t in topics])
    none = ~y.any(axis=0)
    none_fp = float(flagged[:, none].any(axis=0).mean()) if none.any() else 0.0
    return Report(
        topics=per,
        macro_precision=float(np.mean([m.precision for m in per])),
        macro_recall=float(np.mean([m.recall for m in per])),
        macro_f1=float(np.mean([m.f1 for m in per])),
        micro_precision=micro_p,
        micro_recall=micro_r,
        micro_f1=f1(micro_p, micro_r),
        none_count=int(none.sum()),
        none_false_positive_rate=none_fp,
        target_precision=target_precision,
    )


def format_report(report: Report, title: str = "") -> str:
    """Plain-text table for the terminal."""
    lines = [title] if title else []
    lines.append(
        f"{'topic':<22}{'thr':>6}{'n':>6}{'P':>7}{'R':>7}{'F1':>7}{'AP':>7}"
        f"  thr@P>={report.target_precision:.2f} (R)"
    )
    for m in report.topics:
        at = (
            "unreachable"
            if m.threshold_for_target is None
            else (f"{m.threshold_for_target:.3f} ({m.recall_at_target:.2f})")
        )
        lines.append(
            f"{m.topic:<22}{m.threshold:>6.2f}{m.support:>6}{m.precision:>7.3f}"
            f"{m.recall:>7.3f}{m.f1:>7.3f}{m.average_precision:>7.3f}  {at}"
        )
    lines.append(
        f"{'macro':<34}{report.macro_precision:>7.3f}{report.macro_recall:>7.3f}{report.macro_f1:>7.3f}"
    )
    lines.append(
        f"{'micro':<34}{report.micro_precision:>7.3f}{report.micro_recall:>7.3f}{report.micro_f1:>7.3f}"
    )
    lines.append(
        f"false-positive rate on items labelled []: {report.none_false_positive_rate:.3f} "
        f"(of {report.none_count})"
    )
    return "\n".join(lines)
