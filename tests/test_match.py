"""Matching: which chats get a story, when, in what order, and never twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.db.models import Delivery, DeliveryStatus, Story
from bot.pipeline.match import match_stories
from bot.settings import AdminConfig
from tests.delivery_support import T0, add_chats, add_outlet, add_story, deliveries

CONFIG = AdminConfig()


async def test_story_goes_to_every_chat_whose_filters_it_passes(sessionmaker):
    [plain] = await add_chats(sessionmaker, 1)
    [other_topic] = await add_chats(sessionmaker, 1, topics=["security-guarantees"])
    [strict] = await add_chats(sessionmaker, 1, sensitivity="strict")
    [wants_iran] = await add_chats(sessionmaker, 1, keywords_include=["Iran"])
    [no_geneva] = await add_chats(sessionmaker, 1, keywords_exclude=["Geneva"])
    [armenia] = await add_chats(sessionmaker, 1, countries=["AM+AZ"])
    [ukraine] = await add_chats(sessionmaker, 1, countries=["UA"])
    [stopped] = await add_chats(sessionmaker, 1, status="stopped")
    story = await add_story(
        sessionmaker,
        "Armenia and Azerbaijan resume peace talks in Geneva",
        {"talks": 0.55},
    )

    report = await match_stories(sessionmaker, CONFIG, now=T0)

    queued = {d.chat_id: d for d in await deliveries(sessionmaker)}
    assert set(queued) == {plain, armenia}
    assert other_topic not in queued and strict not in queued and wants_iran not in queued
    assert no_geneva not in queued and ukraine not in queued and stopped not in queued
    assert queued[plain].topics == ["talks"]
    assert report.stories == 1 and report.deliveries == 2
    async with sessionmaker() as session:
        stored = await session.get(Story, story)
        assert stored is not None and stored.matched_revision == stored.revision


async def test_matching_twice_or_concurrently_queues_once(sessionmaker):
    chats = await add_chats(sessionmaker, 50)
    for n in range(3):
        await add_story(sessionmaker, f"Ceasefire talks round {n}", {"talks": 0.9})

    await asyncio.gather(*(match_stories(sessionmaker, CONFIG, now=T0) for _ in range(3)))
    await match_stories(sessionmaker, CONFIG, now=T0)

    async with sessionmaker() as session:
        total = await session.scalar(select(func.count()).select_from(Delivery))
        pairs = await session.scalar(
            select(func.count()).select_from(
                select(Delivery.story_id, Delivery.chat_id).distinct().subquery()
            )
        )
    assert total == pairs == 3 * len(chats)


async def test_new_revision_queues_new_chats_and_flags_sent_alerts_for_editing(sessionmaker):
    [talks_chat] = await add_chats(sessionmaker, 1, topics=["talks"])
    [guarantees_chat] = await add_chats(sessionmaker, 1, topics=["security-guarantees"])
    story = await add_story(sessionmaker, "Talks on security guarantees", {"talks": 0.8})
    await match_stories(sessionmaker, CONFIG, now=T0)
    async with sessionmaker.begin() as session:
        row = (await session.execute(select(Delivery))).scalar_one()
        row.status, row.message_id, row.sent_revision = DeliveryStatus.SENT, 7, 1

    await add_outlet(sessionmaker, story, "Dawn")
    async with sessionmaker.begin() as session:
        from bot.db.models import StoryTopic

        session.add(StoryTopic(story_id=story, topic="security-guarantees", score=0.9))
        stored = await session.get(Story, story)
        assert stored is not None
        stored.revision += 1
    report = await match_stories(sessionmaker, CONFIG, now=T0)

    rows = {d.chat_id: d for d in await deliveries(sessionmaker)}
    assert set(rows) == {talks_chat, guarantees_chat}
    assert rows[talks_chat].edit_pending is True
    assert rows[guarantees_chat].status is DeliveryStatus.PENDING
    assert report.edits_flagged == 1


async def test_digest_quiet_hours_mute_and_broadcast_set_when_and_order(sessionmaker):
    [instant] = await add_chats(sessionmaker, 1)
    [digest] = await add_chats(
        sessionmaker, 1, mode="digest", digest_time="08:00", timezone="Europe/Kyiv"
    )
    [quiet] = await add_chats(sessionmaker, 1, quiet_start="11:00", quiet_end="13:30")
    [muted] = await add_chats(sessionmaker, 1, muted_until=T0 + timedelta(hours=2))
    [channel] = await add_chats(sessionmaker, 1, start=-1001, is_broadcast=True, type="channel")
    await add_story(sessionmaker, "Peace talks", {"talks": 0.9})

    await match_stories(sessionmaker, CONFIG, now=T0)

    rows = {d.chat_id: d for d in await deliveries(sessionmaker)}
    assert rows[instant].not_before == T0
    # 08:00 in Kyiv (UTC+2 in March) the next morning
    assert rows[digest].not_before == T0.replace(hour=6) + timedelta(days=1)
    assert rows[quiet].not_before == T0.replace(hour=13, minute=30)
    assert rows[muted].not_before == T0 + timedelta(hours=2)
    assert rows[channel].priority == 0
    assert rows[instant].priority == 4  # four private recipients


async def test_narrow_stories_get_a_lower_priority_number(sessionmaker):
    everyone = await add_chats(sessionmaker, 20, topics=["talks"])
    [few] = await add_chats(sessionmaker, 1, topics=["talks", "de-escalation"])
    broad = await add_story(sessionmaker, "Talks", {"talks": 0.9})
    narrow = await add_story(sessionmaker, "Truce", {"de-escalation": 0.9})

    await match_stories(sessionmaker, CONFIG, now=T0)

    rows = await deliveries(sessionmaker)
    priority = {(d.story_id, d.chat_id): d.priority for d in rows}
    assert priority[(narrow, few)] == 1
    assert priority[(broad, everyone[0])] == 21
