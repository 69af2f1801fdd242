"""When a chat may receive alerts: quiet hours, mute and daily digests, in the chat's time zone.

The window arithmetic lives in ``bot.filters.schedule`` (pure functions of ``now``, shared with
the commands that set these values); this module decides what it means for the outbox. Quiet
hours and mute defer alerts to the end of the window: nothing is dropped, and the deferred
alerts go out together as one catch-up message. Digest chats collect alerts until their next
digest time (itself pushed past quiet hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.filters.schedule import held_until, next_digest_at, quiet_ends_at


class TimingColumns(Protocol):
    """What a chat row (ORM object or selected columns) carries about its timing."""

    @property
    def mode(self) -> str: ...
    @property
    def digest_time(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def quiet_start(self) -> str | None: ...
    @property
    def quiet_end(self) -> str | None: ...
    @property
    def muted_until(self) -> datetime | None: ...


@dataclass(frozen=True)
class ChatTiming:
    mode: str = "instant"
    digest_time: str = "08:00"
    timezone: str = "UTC"
    quiet_start: str | None = None
    quiet_end: str | None = None
    muted_until: datetime | None = None

    @classmethod
    def of(cls, chat: TimingColumns) -> ChatTiming:
        return cls(
            mode=chat.mode,
            digest_time=chat.digest_time,
            timezone=chat.timezone,
            quiet_start=chat.quiet_start,
            quiet_end=chat.quiet_end,
            muted_until=chat.muted_until,
        )


def hold_until(timing: ChatTiming, now: datetime) -> datetime | None:
    """How long an alert due ``now`` must wait (mute, quiet hours), or None to send now."""
    return held_until(
        now,
        tz_name=timing.timezone,
        quiet_start=timing.quiet_start,
        quiet_end=timing.quiet_end,
        muted_until=timing.muted_until,
    )


def not_before(timing: ChatTiming, now: datetime) -> datetime:
    """When a delivery matched at ``now`` becomes due for this chat."""
    due = now
    if timing.mode == "digest":
        due = next_digest_at(now, timing.timezone, timing.digest_time)
    return hold_until(timing, due) or due


def is_catch_up_time(timing: ChatTiming, at: datetime) -> bool:
    """True when ``at`` is the end of this chat's quiet window or mute: alerts held to it are
    sent as one message."""
    if timing.muted_until is not None and timing.muted_until == at:
        return True
    ended = quiet_ends_at(
        at - timedelta(seconds=1), timing.timezone, timing.quiet_start, timing.quiet_end
    )
    return ended == at
