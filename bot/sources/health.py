"""A source's health after one poll: the column values to write to ``sources``.

Pure: no I/O, so the rules (back-off, pausing, which validators to keep) are easy to read and
test. Validators are only ever taken from a 200 (never from a 304); a failing source doubles
its wait up to ``backoff_max_seconds``; after ``pause_after_failures`` failures in a row it is
paused and reported, never disabled silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.settings import PollingConfig
from bot.sources.timing import backoff_delay, next_delay
from bot.sources.types import FetchResult, Validators


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the poller needs from a ``sources`` row (a snapshot, safe across sessions)."""

    id: int
    name: str
    validators: Validators
    error_streak: int
    fetch_count: int
    not_modified_count: int
    items_seen: int
    feed_ttl_seconds: int | None
    next_poll_at: datetime | None
    paused_at: datetime | None


@dataclass(frozen=True, slots=True)
class HealthUpdate:
    values: dict[str, Any]
    next_poll_at: datetime
    newly_paused: bool


def health_after(
    state: SourceState,
    result: FetchResult,
    *,
    new_items: int,
    now: datetime,
    interval: float,
    polling: PollingConfig,
) -> HealthUpdate:
    values: dict[str, Any] = {
        "id": state.id,
        "last_attempt_at": now,
        "fetch_count": state.fetch_count + 1,
        "items_seen": state.items_seen + new_items,
    }
    if result.status is not None:
        values["last_status"] = result.status
    error = result.error
    if error is None:
        ttl = state.feed_ttl_seconds
        if result.feed is not None:
            ttl = int(result.feed.ttl_seconds) if result.feed.ttl_seconds else None
            values["feed_ttl_seconds"] = ttl
        if result.not_modified:
            values["not_modified_count"] = state.not_modified_count + 1
        else:
            values["etag"] = result.validators.etag
            values["last_modified"] = result.validators.last_modified
            values["body_hash"] = result.validators.body_hash
        delay = next_delay(
            polling, interval, ttl_seconds=ttl, max_age_seconds=result.max_age_seconds
        )
        values.update(last_success_at=now, error_streak=0)
        next_at = now + timedelta(seconds=delay)
        values["next_poll_at"] = next_at
        return HealthUpdate(values, next_at, newly_paused=False)
    streak = state.error_streak + 1
    delay = backoff_delay(polling, interval, streak, retry_after=error.retry_after)
    next_at = now + timedelta(seconds=delay)
    values.update(
        error_streak=streak,
        last_error=str(error)[:1000],
        last_error_kind=error.kind.value,
        last_error_at=now,
        next_poll_at=next_at,
    )
    newly_paused = streak >= polling.pause_after_failures and state.paused_at is None
    if newly_paused:
        values["paused_at"] = now
        values["pause_reason"] = f"{streak} failed polls in a row; last: {error}"[:1000]
    return HealthUpdate(values, next_at, newly_paused=newly_paused)
