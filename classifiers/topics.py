"""Topic keys, the result type, and the threshold rule shared by the bot and `parley eval`.

Thresholds are never stored in the classifier: the bot passes the current config's
thresholds on every call, so editing the config changes what is flagged on the next cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

CORE_TOPICS: tuple[str, ...] = ("talks", "de-escalation", "security-guarantees")

DEFAULT_THRESHOLD = 0.5
"""Used for evidence when the caller gives no thresholds (a display default, not a policy)."""


@dataclass(frozen=True)
class CustomTopic:
    """An admin-defined topic scored zero-shot from its description and example phrases."""

    key: str
    description: str
    examples: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.key.strip():
            raise ValueError("custom topic key must not be empty")
        if not self.description.strip() and not any(e.strip() for e in self.examples):
            raise ValueError(f"custom topic {self.key!r} needs a description or examples")


@dataclass(frozen=True)
class TopicResult:
    """Scores for one text.

    scores: every topic (core + custom) -> calibrated probability in [0, 1].
    evidence: topic -> the sentence that most supports it, for topics at or above their
        threshold.
    embedding: float32 (dim,), L2-normalised embedding of the whole text (story clustering).
    """

    scores: dict[str, float]
    evidence: dict[str, str]
    embedding: npt.NDArray[np.float32] = field(repr=False, compare=False)


def threshold_for(topic: str, thresholds: Mapping[str, float] | None) -> float:
    if thresholds is None:
        return DEFAULT_THRESHOLD
    return float(thresholds.get(topic, DEFAULT_THRESHOLD))


def flagged_topics(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> list[str]:
    """Topics whose score reaches their threshold (>=), in score order.

    A topic missing from `thresholds` is never flagged: an admin who removes a topic
    from the config should stop getting it, not fall back to a default.
    """
    hits = [t for t, s in scores.items() if t in thresholds and s >= thresholds[t]]
    return sorted(hits, key=lambda t: -scores[t])
