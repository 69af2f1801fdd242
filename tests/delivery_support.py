"""Shared helpers for the match, outbox, delivery and cycle tests (no tests in here).

Stories and chats are written straight into the test database; ``RecordingSender`` is a
``Sender`` that keeps what it was given in memory, for tests about the outbox itself (who sends
what, how often). Tests about Telegram's answers use ``TelegramSender`` against the fake Bot API.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Chat, Delivery, Story, StoryTopic
from bot.delivery.sender import Outgoing
from tests.fakes.bot_api import FakeBotApi

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, noon UTC
_ids = itertools.count(1)


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class RecordingSender:
    """Keeps every message; ``delay`` makes each send take time, like a network round trip."""

    delay: float = 0.0
    sent: list[tuple[int, Outgoing]] = field(default_factory=list)
    edits: list[tuple[int, int, Outgoing]] = field(default_factory=list)
    _ids: Counter[int] = field(default_factory=Counter)

    async def send(self, chat_id: int, message: Outgoing) -> int:
        if self.delay:
            await asyncio.sleep(self.delay)
        self._ids[chat_id] += 1
        self.sent.append((chat_id, message))
        return self._ids[chat_id]

    async def edit(self, chat_id: int, message_id: int, message: Outgoing) -> None:
        self.edits.append((chat_id, message_id, message))

    def per_chat(self) -> Counter[int]:
        return Counter(chat_id for chat_id, _ in self.sent)


async def add_story(
    sessionmaker: async_sessionmaker[AsyncSession],
    title: str,
    scores: dict[str, float],
    *,
    summary: str = "",
    outlets: tuple[str, ...] = ("Atlas News",),
    url: str | None = "https://example.org/story",
    at: datetime = T0,
) -> int:
    async with sessionmaker.begin() as session:
        story = Story(
            title=title,
            url=url,
            summary=summary,
            lead_source=outlets[0],
            outlets=list(outlets),
            item_count=len(outlets),
            first_seen_at=at,
            last_seen_at=at,
            published_at=at,
        )
        session.add(story)
        await session.flush()
        for topic, score in scores.items():
            session.add(StoryTopic(story_id=story.id, topic=topic, score=score, added_at=at))
        return story.id


async def add_outlet(
    sessionmaker: async_sessionmaker[AsyncSession], story_id: int, outlet: str
) -> None:
    """What clustering does when another outlet reports the story: a new revision."""
    async with sessionmaker.begin() as session:
        story = await session.get(Story, story_id)
        assert story is not None
        story.outlets = [*story.outlets, outlet]
        story.item_count += 1
        story.revision += 1


async def add_chats(
    sessionmaker: async_sessionmaker[AsyncSession], count: int, **fields: Any
) -> list[int]:
    """``count`` active chats; positive ids are private chats, pass ``start`` to choose them."""
    start = fields.pop("start", None)
    first = start if start is not None else next(_ids) * 100_000
    fields.setdefault("topics", ["talks", "de-escalation", "security-guarantees"])
    ids = [first + n if first > 0 else first - n for n in range(count)]
    async with sessionmaker.begin() as session:
        for chat_id in ids:
            kind = "private" if chat_id > 0 else "supergroup"
            session.add(
                Chat(
                    id=chat_id,
                    type=fields.get("type", kind),
                    **{k: v for k, v in fields.items() if k != "type"},
                )
            )
    return ids


async def deliveries(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Delivery]:
    async with sessionmaker() as session:
        return list((await session.execute(select(Delivery).order_by(Delivery.id))).scalars())


async def chat(sessionmaker: async_sessionmaker[AsyncSession], chat_id: int) -> Chat | None:
    async with sessionmaker() as session:
        return await session.get(Chat, chat_id)


def delivered(api: FakeBotApi) -> list[int]:
    """Chats that received a message, in sending order."""
    return [
        c.chat_id
        for c in api.calls_to("sendMessage")
        if c.error is None and isinstance(c.chat_id, int)
    ]
