"""Callback data of alert buttons: round trips, the 64-byte limit, and garbage rejected."""

from __future__ import annotations

import pytest

from bot.render import callbacks


@pytest.mark.parametrize("story_id", [1, 42, 2**31, 10**17])
def test_round_trip_within_telegram_limit(story_id: int) -> None:
    cases: list[tuple[str, callbacks.Action]] = [
        (callbacks.feedback_up(story_id), "up"),
        (callbacks.feedback_down(story_id), "down"),
        (callbacks.why(story_id), "why"),
    ]
    for data, action in cases:
        assert len(data.encode()) <= callbacks.MAX_CALLBACK_BYTES
        assert callbacks.decode(data) == callbacks.Callback(action, story_id)


def test_documented_format() -> None:
    assert callbacks.feedback_up(7) == "fb:+:7"
    assert callbacks.feedback_down(7) == "fb:-:7"
    assert callbacks.why(7) == "why:7"


@pytest.mark.parametrize(
    "data",
    [None, "", "fb:+:", "fb:*:1", "fb:+:0", "fb:+:-1", "why:abc", "why:1:2", "fb:+:01",
     "why:" + "9" * 30, "WHY:1", " why:1", "why:1\n", "why:١٢"],
)  # fmt: skip
def test_garbage_decodes_to_none(data: str | None) -> None:
    assert callbacks.decode(data) is None


def test_non_positive_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        callbacks.why(0)
