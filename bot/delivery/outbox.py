"""The outbox table as a work queue: claim, attempt, complete, release, recover.

Every transition is one short conditional UPDATE in its own transaction, so two processes on one
database can never both own a row:

* ``claim_units`` takes due ``pending`` rows for a set of chats and marks them ``sending`` with
  this worker's id. On PostgreSQL the candidate rows are selected ``FOR UPDATE SKIP LOCKED``, so
  concurrent claimers take disjoint rows without waiting on each other; SQLite runs one writer at
  a time, so the same single statement (a conditional UPDATE … RETURNING) is atomic there.
* ``renew_claim`` re-checks ownership and renews the lease before a send whose claim is older
  than half the lease (a claim younger than that cannot have been taken over: takeover needs
  a claim older than the whole lease). A claim that went stale (its process was slow past
  ``lease``) and was taken over can no longer send. Skipping the write for young claims keeps
  one database write per message, which keeps the queue of writes, and so the window below,
  short.
* ``mark_sent`` commits the message id right after Telegram answers. The only window in which a
  message can reach Telegram without being recorded is between Telegram accepting it and this
  commit: one response transfer plus one commit.
* ``release_stale`` and ``release_orphans`` return the rows of dead workers to ``pending``: by
  lease age, or at once when the worker was a process on this host that no longer runs.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Chat, ChatStatus, Delivery, DeliveryStatus, Story
from bot.delivery.timing import ChatTiming

CONSOLE_CHAT_TYPE = "console"
NO_SYNC = {"synchronize_session": False}


def new_worker_id() -> str:
    """``host:pid:nonce``: the nonce tells a restarted process from its predecessor with the
    same pid (containers often reuse pid 1)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class ClaimedRow:
    id: int
    story_id: int
    chat_id: int
    topics: tuple[str, ...]
    not_before: datetime
    attempts: int
    claimed_at: datetime


@dataclass(frozen=True)
class ChatTarget:
    id: int
    type: str
    is_broadcast: bool
    timing: ChatTiming


@dataclass
class Unit:
    """All the due rows of one chat, sent by one task so the chat's pace and order hold."""

    chat: ChatTarget
    rows: list[ClaimedRow]


@dataclass(frozen=True)
class EditJob:
    id: int
    story_id: int
    chat_id: int
    message_id: int
    topics: tuple[str, ...]


def _story_revision() -> Any:
    return select(Story.revision).where(Story.id == Delivery.story_id).scalar_subquery()


def rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def chat_scope(console: bool) -> Any:
    return Chat.type == CONSOLE_CHAT_TYPE if console else Chat.type != CONSOLE_CHAT_TYPE


async def claim_units(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: str,
    now: datetime,
    *,
    max_chats: int,
    console: bool = False,
) -> list[Unit]:
    """Claim every due row of up to ``max_chats`` chats, narrowest matches first.

    Two claimers may pick the same chats from the queue at the same moment; one of them then
    gets nothing from the claiming UPDATE and looks again, now seeing the other's claim.
    """
    for _ in range(3):
        units = await _claim_once(sessionmaker, worker, now, max_chats, console)
        if units is None:
            return []
        if units:
            return units
    return []


async def _claim_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: str,
    now: datetime,
    max_chats: int,
    console: bool,
) -> list[Unit] | None:
    """The claimed units; [] when others took every chosen row; None when nothing is due."""
    async with sessionmaker() as session:
        chat_ids = list(
            (
                await session.execute(
                    select(Delivery.chat_id)
                    .join(Chat, Chat.id == Delivery.chat_id)
                    .where(
                        Delivery.status == DeliveryStatus.PENDING,
                        Delivery.not_before <= now,
                        Chat.status == ChatStatus.ACTIVE,
                        chat_scope(console),
                    )
                    .group_by(Delivery.chat_id)
                    .order_by(func.min(Delivery.priority), func.min(Delivery.id))
                    .limit(max_chats)
                )
            ).scalars()
        )
    if not chat_ids:
        return None
    async with sessionmaker.begin() as session:
        candidates = (
            select(Delivery.id)
            .where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.not_before <= now,
                Delivery.chat_id.in_(chat_ids),
            )
            .with_for_update(skip_locked=True)
        )
        claimed = (
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(candidates), Delivery.status == DeliveryStatus.PENDING)
                .values(status=DeliveryStatus.SENDING, claimed_by=worker, claimed_at=now)
                .returning(
                    Delivery.id,
                    Delivery.story_id,
                    Delivery.chat_id,
                    Delivery.topics,
                    Delivery.not_before,
                    Delivery.attempts,
                    Delivery.priority,
                )
                .execution_options(**NO_SYNC)
            )
        ).all()
        if not claimed:
            return []
        chats = await _load_targets(session, {row.chat_id for row in claimed})
    by_chat: dict[int, list[tuple[int, ClaimedRow]]] = defaultdict(list)
    for row in claimed:
        by_chat[row.chat_id].append(
            (
                row.priority,
                ClaimedRow(
                    row.id,
                    row.story_id,
                    row.chat_id,
                    tuple(row.topics or ()),
                    row.not_before,
                    row.attempts,
                    now,
                ),
            )
        )
    units = []
    for chat_id in chat_ids:
        rows = sorted(by_chat.get(chat_id, []), key=lambda pair: (pair[0], pair[1].id))
        if rows and chat_id in chats:
            units.append(Unit(chats[chat_id], [row for _, row in rows]))
    return units


async def _load_targets(session: AsyncSession, chat_ids: set[int]) -> dict[int, ChatTarget]:
    rows = (await session.execute(select(Chat).where(Chat.id.in_(chat_ids)))).scalars()
    return {chat.id: target_of(chat) for chat in rows}


def target_of(chat: Chat) -> ChatTarget:
    return ChatTarget(
        id=chat.id,
        type=chat.type,
        is_broadcast=chat.is_broadcast,
        timing=ChatTiming.of(chat),
    )


async def renew_claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: str,
    delivery_ids: Sequence[int],
    now: datetime,
) -> bool:
    """Renew the lease; False when this worker no longer owns every row (then nothing is
    sent: the rows belong to whoever took them over)."""
    async with sessionmaker.begin() as session:
        result = await session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(delivery_ids),
                Delivery.claimed_by == worker,
                Delivery.status == DeliveryStatus.SENDING,
            )
            .values(claimed_at=now)
            .execution_options(**NO_SYNC)
        )
        return rowcount(result) == len(delivery_ids)


async def mark_sent(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: str,
    delivery_ids: Sequence[int],
    *,
    message_id: int,
    revisions: dict[int, int],
    now: datetime,
    combined: bool = False,
    attempts: int = 1,
) -> None:
    async with sessionmaker.begin() as session:
        for delivery_id in delivery_ids:
            await session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.claimed_by == worker)
                .values(
                    status=DeliveryStatus.SENT,
                    attempts=Delivery.attempts + attempts,
                    message_id=message_id,
                    sent_revision=revisions.get(delivery_id, 0),
                    sent_at=now,
                    combined=combined,
                    # The story may have changed while this message was on its way: flag the
                    # edit now, since matching only flags rows that were already sent.
                    edit_pending=(
                        False if combined else _story_revision() > revisions.get(delivery_id, 0)
                    ),
                    claimed_by=None,
                    claimed_at=None,
                    last_error=None,
                )
                .execution_options(**NO_SYNC)
            )


async def release(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: str,
    delivery_ids: Sequence[int],
    *,
    not_before: datetime | None = None,
    error: str | None = None,
    attempts: int = 0,
) -> None:
    """Give rows back to the queue (due at ``not_before`` if given); nothing is lost."""
    if not delivery_ids:
        return
    values: dict[str, Any] = {
        "status": DeliveryStatus.PENDING,
        "claimed_by": None,
        "claimed_at": None,
        "attempts": Delivery.attempts + attempts,
    }
    if not_before is not None:
        values["not_before"] = not_before
    if error is not None:
        values["last_error"] = error[:500]
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(delivery_ids), Delivery.claimed_by == worker)
            .values(**values)
            .execution_options(**NO_SYNC)
        )


async def mark_final(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: str,
    delivery_ids: Sequence[int],
    status: DeliveryStatus,
    error: str,
    attempts: int = 0,
) -> None:
    """``skipped`` (the chat is gone) or ``failed`` (Telegram refuses this message for good)."""
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(delivery_ids), Delivery.claimed_by == worker)
            .values(
                status=status,
                last_error=error[:500],
                claimed_by=None,
                claimed_at=None,
                attempts=Delivery.attempts + attempts,
            )
            .execution_options(**NO_SYNC)
        )
