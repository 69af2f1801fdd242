"""Stories × chats → outbox rows: who gets which new or changed story, and when.

A story is matched when ``revision > matched_revision`` (it is new, or it gained an outlet or a
topic). Every active chat is evaluated in bulk: the chats are read once per run with one query,
then filtered in memory (topics over the chat's sensitivity threshold, include and exclude
keywords, countries, with ``bot.filters``), because the filters (word-boundary keywords, a country gazetteer) are not
SQL. The outcome is written in the transaction that advances ``matched_revision``:

* one ``deliveries`` row per (story, chat), inserted ``ON CONFLICT DO NOTHING`` on the unique key,
  so a story is never queued twice for a chat: not across restarts, not by two processes;
* the story row is claimed by the UPDATE that advances ``matched_revision`` (a row lock on
  PostgreSQL; SQLite has one writer), so two matchers never evaluate the same revision at once;
* already-sent alerts of a changed story are flagged for an in-place edit.

``not_before`` carries digest mode, quiet hours and mute; ``priority`` is the number of private
recipients, so the narrowest matches are sent first, and broadcast channels (priority 0) before
everyone: one channel post reaches every member at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Chat, ChatStatus, Delivery, DeliveryStatus, Story, StoryTopic, utcnow
from bot.delivery.outbox import CONSOLE_CHAT_TYPE
from bot.delivery.timing import ChatTiming, not_before
from bot.filters.match import ChatFilter, StoryFacts, matching_topics
from bot.settings import AdminConfig

_LOGGER = logging.getLogger(__name__)


@dataclass
class MatchReport:
    stories: int = 0
    deliveries: int = 0
    edits_flagged: int = 0
    per_story: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class Recipient:
    id: int
    is_broadcast: bool
    filter: ChatFilter
    timing: ChatTiming


async def load_recipients(session: AsyncSession, *, console: bool = False) -> list[Recipient]:
    """Every active chat; the dry run's terminal subscriber only when ``console`` is set."""
    scope = true() if console else Chat.type != CONSOLE_CHAT_TYPE
    rows = await session.execute(
        select(
            Chat.id,
            Chat.is_broadcast,
            Chat.topics,
            Chat.sensitivity,
            Chat.keywords_include,
            Chat.keywords_exclude,
            Chat.countries,
            Chat.mode,
            Chat.digest_time,
            Chat.timezone,
            Chat.quiet_start,
            Chat.quiet_end,
            Chat.muted_until,
        ).where(Chat.status == ChatStatus.ACTIVE, scope)
    )
    return [
        Recipient(
            id=row.id,
            is_broadcast=row.is_broadcast,
            filter=ChatFilter(
                topics=tuple(row.topics or ()),
                sensitivity=row.sensitivity or "normal",
                include=tuple(row.keywords_include or ()),
                exclude=tuple(row.keywords_exclude or ()),
                countries=tuple(row.countries or ()),
            ),
            timing=ChatTiming.of(row),
        )
        for row in rows
    ]


async def _claim_story(session: AsyncSession, story_id: int) -> tuple[int, StoryFacts] | None:
    """Advance ``matched_revision`` first: that UPDATE is the lock, and if anything later in
    this transaction fails, the story stays unmatched for the next run."""
    claimed = (
        await session.execute(
            update(Story)
            .where(Story.id == story_id, Story.revision > Story.matched_revision)
            .values(matched_revision=Story.revision)
            .returning(Story.revision, Story.title, Story.summary, Story.places)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if claimed is None:
        return None
    scores = dict(
        (
            await session.execute(
                select(StoryTopic.topic, StoryTopic.score).where(StoryTopic.story_id == story_id)
            )
        )
        .tuples()
        .all()
    )
    places = [str(place).upper() for place in claimed.places or () if len(str(place)) == 2]
    facts = StoryFacts.of(claimed.title, claimed.summary or "", scores, places)
    return claimed.revision, facts


def _insert_ignoring_duplicates(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(Delivery).on_conflict_do_nothing(
            index_elements=["story_id", "chat_id"]
        )
    if dialect == "sqlite":
        return sqlite.insert(Delivery).on_conflict_do_nothing(
            index_elements=["story_id", "chat_id"]
        )
    return insert(Delivery)


async def _match_one(
    session: AsyncSession,
    story_id: int,
    revision: int,
    story: StoryFacts,
    chats: Sequence[Recipient],
    config: AdminConfig,
    now: datetime,
) -> tuple[int, int]:
    thresholds, offsets = config.thresholds, config.sensitivity
    wanted = [(chat, matching_topics(chat.filter, story, thresholds, offsets)) for chat in chats]
    wanted = [(chat, topics) for chat, topics in wanted if topics]
    private_count = sum(1 for chat, _ in wanted if not chat.is_broadcast)
    rows = [
        {
            "story_id": story_id,
            "chat_id": chat.id,
            "status": DeliveryStatus.PENDING,
            "priority": 0 if chat.is_broadcast else private_count,
            "topics": topics,
            "not_before": now if chat.is_broadcast else not_before(chat.timing, now),
            "created_at": now,
        }
        for chat, topics in wanted
    ]
    if rows:
        await session.execute(_insert_ignoring_duplicates(session), rows)
        await session.execute(
            update(Story)
            .where(Story.id == story_id, Story.alerted_at.is_(None))
            .values(alerted_at=now)
            .execution_options(synchronize_session=False)
        )
    edits = await session.execute(
        update(Delivery)
        .where(
            Delivery.story_id == story_id,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.combined.is_(False),
            Delivery.message_id.is_not(None),
            Delivery.sent_revision < revision,
        )
        .values(edit_pending=True)
        .execution_options(synchronize_session=False)
    )
    return len(rows), int(getattr(edits, "rowcount", 0) or 0)


async def match_stories(
    sessionmaker: async_sessionmaker[AsyncSession],
    config: AdminConfig,
    *,
    now: datetime | None = None,
    limit: int = 200,
    console: bool = False,
) -> MatchReport:
    """Match every story that is new or changed; one transaction per story.

    ``console`` also matches the dry run's terminal subscriber (``bot.dryrun``); the bot leaves
    it out, so a terminal subscriber left in a shared database collects nothing.
    """
    started = time.perf_counter()
    now = now or utcnow()
    report = MatchReport()
    async with sessionmaker() as session:
        story_ids = list(
            (
                await session.execute(
                    select(Story.id)
                    .where(Story.revision > Story.matched_revision)
                    .order_by(Story.id)
                    .limit(limit)
                )
            ).scalars()
        )
        chats = await load_recipients(session, console=console) if story_ids else []
    for story_id in story_ids:
        try:
            async with sessionmaker.begin() as session:
                claimed = await _claim_story(session, story_id)
                if claimed is None:
                    continue  # another process matched it first
                revision, facts = claimed
                queued, edits = await _match_one(
                    session, story_id, revision, facts, chats, config, now
                )
        except Exception:
            _LOGGER.exception(
                "matching story %s failed; it stays queued for the next run", story_id
            )
            continue
        report.stories += 1
        report.deliveries += queued
        report.edits_flagged += edits
        report.per_story[story_id] = queued
    report.seconds = time.perf_counter() - started
    return report
