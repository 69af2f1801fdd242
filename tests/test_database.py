"""The schema on both databases: migrations match the models, constraints hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.models import Base, Chat, Delivery, Item, Source, Story


async def test_migrations_match_models(engine: AsyncEngine) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def _source(session: AsyncSession) -> Source:
    source = Source(name="Test", kind="file", url="x.xml")
    session.add(source)
    await session.flush()
    return source


async def test_item_fingerprint_is_unique(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    when = datetime(2026, 2, 18, 12, tzinfo=UTC)
    async with sessionmaker.begin() as session:
        source = await _source(session)
        session.add(Item(source_id=source.id, fingerprint="a" * 64, title="t", published_at=when))
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            session.add(
                Item(source_id=source.id, fingerprint="a" * 64, title="u", published_at=when)
            )


async def test_datetimes_come_back_aware_utc(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    when = datetime(2026, 2, 18, 12, 30, tzinfo=UTC)
    async with sessionmaker.begin() as session:
        source = await _source(session)
        session.add(Item(source_id=source.id, fingerprint="b" * 64, title="t", published_at=when))
    async with sessionmaker() as session:
        item = (await session.scalars(select(Item))).one()
    assert item.published_at == when
    assert item.published_at.tzinfo is not None


async def test_naive_datetime_is_refused(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with sessionmaker.begin() as session:
            source = await _source(session)
            session.add(
                Item(
                    source_id=source.id,
                    fingerprint="c" * 64,
                    title="t",
                    published_at=datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
                )
            )


async def test_one_delivery_per_story_and_chat(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker.begin() as session:
        story = Story(title="Talks resume")
        chat = Chat(id=-1001234567890123, type="supergroup", topics=["talks"])
        session.add_all([story, chat])
        await session.flush()
        session.add(Delivery(story_id=story.id, chat_id=chat.id))
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            session.add(Delivery(story_id=story.id, chat_id=chat.id))
    async with sessionmaker() as session:
        stored = (await session.scalars(select(Chat))).one()
    assert stored.id == -1001234567890123  # 64-bit chat ids survive on both databases
    assert stored.topics == ["talks"]
