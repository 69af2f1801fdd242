"""Recovering rows from workers that died: by lease age, or at once for dead local processes.

A worker that stops renewing its lease (``renew_claim``) loses its
rows after ``lease``. A restart on the same host need not wait that long: a claimer id is
``host:pid:nonce``, and a pid that no longer runs (or is our own pid with another nonce, as after
a container restart) cannot be sending anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Delivery, DeliveryStatus
from bot.delivery.outbox import NO_SYNC as _NO_SYNC
from bot.delivery.outbox import rowcount as _rowcount


async def release_stale(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, lease: timedelta
) -> int:
    """Rows whose owner stopped renewing its lease go back to the queue."""
    cutoff = now - lease
    async with sessionmaker.begin() as session:
        sending = await session.execute(
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < cutoff)
            .values(status=DeliveryStatus.PENDING, claimed_by=None, claimed_at=None)
            .execution_options(**_NO_SYNC)
        )
        await session.execute(
            update(Delivery)
            .where(
                Delivery.status == DeliveryStatus.SENT,
                Delivery.claimed_by.is_not(None),
                Delivery.claimed_at < cutoff,
            )
            .values(claimed_by=None, claimed_at=None)
            .execution_options(**_NO_SYNC)
        )
        return _rowcount(sending)


def _is_dead_local(owner: str, me: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if owner == me or host != me.partition(":")[0] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # same pid, different nonce: our own previous incarnation
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Orphans:
    """What ``release_orphans`` found: rows given back, and the newest claim among them.

    A sender claims more rows whenever half its slots are free (every fraction of a second
    while busy), so that claim is the last sign of life of the dead predecessor: its sends
    of the second before still count against the bot's limit at Telegram."""

    released: int = 0
    last_active_at: datetime | None = None


async def release_orphans(sessionmaker: async_sessionmaker[AsyncSession], worker: str) -> Orphans:
    """At start-up: rows claimed by a process of this host that has died go back at once,
    instead of after the lease (a restart after a crash resumes immediately)."""
    async with sessionmaker() as session:
        # One pass: every claimer with its newest claim.
        claims = await session.execute(
            select(Delivery.claimed_by, func.max(Delivery.claimed_at))
            .where(Delivery.claimed_by.is_not(None))
            .group_by(Delivery.claimed_by)
        )
        newest = {owner: at for owner, at in claims if owner and _is_dead_local(owner, worker)}
    if not newest:
        return Orphans()
    dead = list(newest)
    last_active_at = max((at for at in newest.values() if at is not None), default=None)
    async with sessionmaker.begin() as session:
        result = await session.execute(
            update(Delivery)
            .where(Delivery.claimed_by.in_(dead), Delivery.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.PENDING, claimed_by=None, claimed_at=None)
            .execution_options(**_NO_SYNC)
        )
        await session.execute(
            update(Delivery)
            .where(Delivery.claimed_by.in_(dead))
            .values(claimed_by=None, claimed_at=None)
            .execution_options(**_NO_SYNC)
        )
        return Orphans(_rowcount(result), last_active_at)
