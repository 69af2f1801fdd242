"""Editing sent alerts in place when their story changes ("also reported by" a new outlet).

An edit repeats nothing the subscriber has not seen, so it is safe to retry; Telegram only
allows edits for about 48 hours, which the claim query enforces with ``edit_window_hours``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Chat, ChatStatus, Delivery, DeliveryStatus
from bot.delivery.chats import block_chat
from bot.delivery.outbox import NO_SYNC as _NO_SYNC
from bot.delivery.outbox import EditJob, chat_scope
from bot.delivery.sender import BadFormatting, ChatGone, NotEditable, RetryAfter

if TYPE_CHECKING:
    from bot.delivery.dispatcher import Dispatcher

_LOGGER = logging.getLogger(__name__)


async def process_edit(dispatcher: Dispatcher, job: EditJob) -> None:
    sm, worker, report = dispatcher.sessionmaker, dispatcher.worker, dispatcher.report
    try:
        composed = await dispatcher.composer.alert(job.story_id, job.topics, fresh=True)
        revision = composed.revisions.get(job.story_id)
        message = composed.html
        for _ in range(5):
            await dispatcher.limits.wait(job.chat_id)
            try:
                await dispatcher.sender.edit(job.chat_id, job.message_id, message)
            except RetryAfter as exc:
                report.rate_limited += 1
                dispatcher.limits.retry_after(job.chat_id, exc.seconds, exc.scope)
                continue
            except BadFormatting:
                if not message.html:
                    break
                message = composed.plain
                continue
            except NotEditable as exc:
                await finish_edit(sm, worker, job.id, revision=None, error=str(exc))
                return
            except ChatGone as exc:
                report.chats_gone += 1
                await block_chat(sm, job.chat_id, str(exc))
                await finish_edit(sm, worker, job.id, revision=None, error=str(exc))
                return
            report.edited += 1
            await finish_edit(sm, worker, job.id, revision=revision)
            return
        await finish_edit(sm, worker, job.id, revision=None, error="edit refused")
    except Exception as exc:  # transient, migrated, or unexpected: try again later
        _LOGGER.info(
            "edit of message %s in chat %s deferred: %s", job.message_id, job.chat_id, exc
        )
        retry_at = dispatcher.clock() + timedelta(seconds=60)
        try:
            await finish_edit(sm, worker, job.id, revision=None, retry_at=retry_at)
        except Exception:
            _LOGGER.exception("could not release edit claim %s; the lease will", job.id)


async def claim_edits(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: str,
    now: datetime,
    *,
    limit: int,
    lease: timedelta,
    edit_window: timedelta,
    console: bool = False,
) -> list[EditJob]:
    """Claim sent messages whose story changed ("also reported by"), to be edited in place."""
    cutoff = now - lease
    async with sessionmaker.begin() as session:
        active = select(Chat.id).where(Chat.status == ChatStatus.ACTIVE, chat_scope(console))
        candidates = (
            select(Delivery.id)
            .where(
                Delivery.status == DeliveryStatus.SENT,
                Delivery.edit_pending.is_(True),
                Delivery.message_id.is_not(None),
                Delivery.combined.is_(False),
                Delivery.sent_at > now - edit_window,
                Delivery.not_before <= now,
                Delivery.chat_id.in_(active),
                or_(Delivery.claimed_by.is_(None), Delivery.claimed_at < cutoff),
            )
            .order_by(Delivery.priority, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = (
            await session.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_(candidates),
                    Delivery.edit_pending.is_(True),
                    or_(Delivery.claimed_by.is_(None), Delivery.claimed_at < cutoff),
                )
                .values(claimed_by=worker, claimed_at=now)
                .returning(
                    Delivery.id,
                    Delivery.story_id,
                    Delivery.chat_id,
                    Delivery.message_id,
                    Delivery.topics,
                )
                .execution_options(**_NO_SYNC)
            )
        ).all()
    return [
        EditJob(row.id, row.story_id, row.chat_id, int(row.message_id), tuple(row.topics or ()))
        for row in rows
    ]


async def finish_edit(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: str,
    delivery_id: int,
    *,
    revision: int | None,
    retry_at: datetime | None = None,
    error: str | None = None,
) -> None:
    """Edited (``revision`` set), given up (``revision`` None), or to retry at ``retry_at``."""
    values: dict[str, Any] = {"claimed_by": None, "claimed_at": None}
    if retry_at is not None:
        values["not_before"] = retry_at
    else:
        values["edit_pending"] = False
    if revision is not None:
        values["sent_revision"] = revision
    if error is not None:
        values["last_error"] = error[:500]
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Delivery)
            .where(and_(Delivery.id == delivery_id, Delivery.claimed_by == worker))
            .values(**values)
            .execution_options(**_NO_SYNC)
        )
