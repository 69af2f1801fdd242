"""Callback data of the alert buttons: short ASCII strings, well under Telegram's 64 bytes.

``fb:+:<story_id>`` and ``fb:-:<story_id>`` are relevance feedback, ``why:<story_id>`` asks for
the evidence. ``decode`` returns None for anything else (an old format, a forged or truncated
payload), so a handler answers "this button has expired" instead of raising.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

MAX_CALLBACK_BYTES = 64
_PATTERN = re.compile(r"(?:fb:([+-])|(why)):([1-9][0-9]{0,17})")

Action = Literal["up", "down", "why"]


@dataclass(frozen=True)
class Callback:
    action: Action
    story_id: int


def encode(action: Action, story_id: int) -> str:
    if story_id <= 0:
        raise ValueError("story id must be positive")
    prefix = {"up": "fb:+", "down": "fb:-", "why": "why"}[action]
    data = f"{prefix}:{story_id}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:  # pragma: no cover - ids have at most 18 digits
        raise ValueError("callback data too long")
    return data


def feedback_up(story_id: int) -> str:
    return encode("up", story_id)


def feedback_down(story_id: int) -> str:
    return encode("down", story_id)


def why(story_id: int) -> str:
    return encode("why", story_id)


def decode(data: str | None) -> Callback | None:
    match = _PATTERN.fullmatch(data or "")
    if match is None:
        return None
    sign, is_why, number = match.groups()
    if is_why:
        return Callback("why", int(number))
    return Callback("up" if sign == "+" else "down", int(number))
