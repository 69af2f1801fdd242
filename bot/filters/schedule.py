"""When a chat wants its alerts: time zones, quiet hours, mutes and digest times.

Everything here is a pure function of its arguments, the current time included (``now`` is an
aware UTC datetime the caller passes), so delivery and tests share one clock they control.
Quiet hours and digest times are wall-clock times in the chat's IANA time zone; a window that
crosses midnight ("22:00-07:00") is handled, and so are daylight-saving jumps.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.filters.errors import InputError

MAX_MUTE = timedelta(days=30)
_DURATION = re.compile(r"^\s*(\d{1,4})\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s*$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_hhmm(text: str) -> str:
    """A time of day as canonical ``HH:MM`` ("7:5" is refused, "7:05" becomes "07:05")."""
    match = re.fullmatch(r"\s*(\d{1,2})[:.h](\d{2})\s*", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise InputError("bad_time", value=text.strip()[:20])
    return f"{int(match[1]):02d}:{match[2]}"


def parse_quiet_window(text: str) -> tuple[str, str]:
    """``"22:00-07:00"`` → ``("22:00", "07:00")``; start and end must differ."""
    parts = re.split(r"\s*(?:-|–|—|to)\s*", text.strip(), maxsplit=1)
    if len(parts) != 2:
        raise InputError("bad_quiet_window", value=text.strip()[:20])
    start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    if start == end:
        raise InputError("bad_quiet_window", value=text.strip()[:20])
    return start, end


def parse_duration(text: str) -> timedelta:
    """``"2h"``, ``"30m"``, ``"1d"``, ``"90 minutes"`` → a positive timedelta of at most 30 days."""
    match = _DURATION.match(text.casefold())
    if not match or int(match[1]) == 0:
        raise InputError("bad_duration", value=text.strip()[:20])
    duration = timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2][0]])
    if duration > MAX_MUTE:
        raise InputError("duration_too_long", limit_days=MAX_MUTE.days)
    return duration


def parse_timezone(text: str) -> str:
    """A valid IANA time zone name ("Europe/Kyiv"); "UTC" and case slips are accepted."""
    name = text.strip()
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]{1,64}", name) or ".." in name:
        raise InputError("bad_timezone", value=name[:40])
    candidates = [name, "/".join(part[:1].upper() + part[1:] for part in name.split("/"))]
    if name.upper() in ("UTC", "GMT", "Z"):
        candidates.insert(0, "UTC")
    for candidate in candidates:
        try:
            ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return candidate
    raise InputError("bad_timezone", value=name[:40])


def zone(name: str) -> ZoneInfo:
    """The zone for a stored name, falling back to UTC for one that no longer exists."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock(hhmm: str) -> time:
    return time.fromisoformat(hhmm)


def is_quiet(now: datetime, tz_name: str, start: str | None, end: str | None) -> bool:
    """Whether ``now`` falls inside the chat's quiet window (start inclusive, end exclusive)."""
    if not start or not end:
        return False
    local = now.astimezone(zone(tz_name)).time().replace(tzinfo=None)
    begin, finish = _clock(start), _clock(end)
    if begin < finish:
        return begin <= local < finish
    return local >= begin or local < finish


def next_local_time(now: datetime, tz_name: str, hhmm: str) -> datetime:
    """The first instant strictly after ``now`` when the chat's wall clock shows ``hhmm``, in UTC.
    On a day when that time does not exist (spring forward), the first valid instant after it."""
    tz = zone(tz_name)
    local_now = now.astimezone(tz)
    target = _clock(hhmm)
    for days in range(3):
        day = (local_now + timedelta(days=days)).date()
        candidate = datetime.combine(day, target, tzinfo=tz)
        # Normalise through UTC: a non-existent local time moves past the gap.
        candidate_utc = candidate.astimezone(UTC)
        if candidate_utc > now:
            return candidate_utc
    raise AssertionError("unreachable: a wall-clock time recurs within two days")


def quiet_ends_at(
    now: datetime, tz_name: str, start: str | None, end: str | None
) -> datetime | None:
    """When the current quiet window ends (UTC), or None if ``now`` is not quiet."""
    if not is_quiet(now, tz_name, start, end) or end is None:
        return None
    return next_local_time(now, tz_name, end)


def is_muted(now: datetime, muted_until: datetime | None) -> bool:
    return muted_until is not None and now < muted_until


def held_until(
    now: datetime,
    *,
    tz_name: str,
    quiet_start: str | None,
    quiet_end: str | None,
    muted_until: datetime | None,
) -> datetime | None:
    """When an instant alert that is due ``now`` may go out: None means now; otherwise the end of
    the mute or the quiet window, whichever is later (and still quiet-free)."""
    release = now
    for _ in range(3):  # a mute can end inside a quiet window and vice versa
        if muted_until is not None and is_muted(release, muted_until):
            release = muted_until
        ends = quiet_ends_at(release, tz_name, quiet_start, quiet_end)
        if ends is not None:
            release = ends
        if not is_muted(release, muted_until) and not is_quiet(
            release, tz_name, quiet_start, quiet_end
        ):
            break
    return None if release == now else release


def next_digest_at(now: datetime, tz_name: str, digest_time: str) -> datetime:
    """When the next daily digest is due (UTC)."""
    return next_local_time(now, tz_name, digest_time)
