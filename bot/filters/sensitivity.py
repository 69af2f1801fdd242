"""/sensitivity: one dial per chat over the admin's calibrated thresholds.

``normal`` is exactly the admin's per-topic thresholds; ``strict`` raises each by the configured
offset (fewer, surer alerts) and ``broad`` lowers it (more alerts, more noise). Results are
clamped so no dial setting can make a topic fire on everything or on nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from bot.filters.errors import InputError
from bot.settings import SensitivityConfig

Sensitivity = Literal["strict", "normal", "broad"]
SENSITIVITIES: tuple[Sensitivity, ...] = ("strict", "normal", "broad")
MIN_THRESHOLD = 0.05
MAX_THRESHOLD = 0.99


def parse_sensitivity(text: str) -> Sensitivity:
    value = text.strip().casefold()
    for known in SENSITIVITIES:
        if value == known:
            return known
    raise InputError("bad_sensitivity", value=text.strip()[:20])


def threshold_for(base: float, sensitivity: str, offsets: SensitivityConfig) -> float:
    """The operating point of one topic for a chat's sensitivity (unknown values act as normal)."""
    if sensitivity == "strict":
        value = base + offsets.strict_offset
    elif sensitivity == "broad":
        value = base - offsets.broad_offset
    else:
        value = base
    return round(min(MAX_THRESHOLD, max(MIN_THRESHOLD, value)), 4)


def thresholds_for(
    base: Mapping[str, float], sensitivity: str, offsets: SensitivityConfig
) -> dict[str, float]:
    """Every topic's threshold for a chat's sensitivity."""
    return {topic: threshold_for(value, sensitivity, offsets) for topic, value in base.items()}
