"""When to poll a source next: its interval, stretched by what the server and feed ask for.

The rule is miniflux's: next = max(own interval, feed ``ttl``, ``Cache-Control: max-age``,
``Expires``), clamped to the configured bounds. Errors back off exponentially; a 429/503 with
``Retry-After`` waits at least that long. Servers sometimes ask for absurd delays, so every hint
is clamped rather than trusted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime

from bot.settings import PollingConfig

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-cache|no-store)\b", re.IGNORECASE)


def http_date_seconds(value: str | None) -> float | None:
    """An HTTP date as a POSIX timestamp, or None when it is not one."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000" or no zone: HTTP dates are GMT by definition
        return parsed.replace(tzinfo=UTC).timestamp()
    return parsed.timestamp()


def cache_max_age(headers: Mapping[str, str], *, now: float) -> float | None:
    """Seconds the response may be cached, from Cache-Control or Expires (max-age wins)."""
    cache_control = headers.get("cache-control") or ""
    match = _MAX_AGE.search(cache_control)
    if match:
        return float(match[1])
    if _NO_CACHE.search(cache_control):
        return None
    expires = headers.get("expires")
    if expires:
        when = http_date_seconds(expires)
        if when is None:  # "Expires: 0" and friends mean "already expired"
            return None
        date = http_date_seconds(headers.get("date")) or now
        return max(0.0, when - date)
    return None


def retry_after_seconds(value: str | None, *, now: float) -> float | None:
    """``Retry-After`` as seconds from now: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = http_date_seconds(value)
    return None if when is None else max(0.0, when - now)


def next_delay(
    polling: PollingConfig,
    interval: float,
    *,
    ttl_seconds: float | None = None,
    max_age_seconds: float | None = None,
) -> float:
    """Seconds until the next poll after a success."""
    wanted = max(interval, ttl_seconds or 0.0, max_age_seconds or 0.0)
    return min(max(wanted, polling.min_interval_seconds), polling.max_interval_seconds)


def backoff_delay(
    polling: PollingConfig, interval: float, streak: int, *, retry_after: float | None = None
) -> float:
    """Seconds until the next try after ``streak`` consecutive failures (streak >= 1).

    Doubling from the source's own interval, capped at ``backoff_max_seconds``; a server's
    ``Retry-After`` is honoured up to that same cap.
    """
    exponent = min(max(streak - 1, 0), 30)
    delay: float = min(interval * float(2**exponent), polling.backoff_max_seconds)
    if retry_after is not None:
        delay = max(delay, min(retry_after, polling.backoff_max_seconds))
    return max(delay, min(polling.min_interval_seconds, polling.backoff_max_seconds))
