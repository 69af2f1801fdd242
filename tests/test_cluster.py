"""Stories in the database: joining, outlets, topics, revisions, windows (SQLite and PostgreSQL).

Items are real articles from tests/data/story_pairs.jsonl, embedded with the bundled encoder, so
joins and splits here are the model's own decisions, not planted vectors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Item, ItemScore, ItemState, Source, Story, StoryTopic
from bot.pipeline.cluster import cluster_classified_items
from bot.render import load_story_view, render_alert
from bot.settings import StoriesConfig, TopicConfig
from classifiers.artifact import DEFAULT_ARTIFACT_DIR
from classifiers.encoder import OnnxEncoder
from classifiers.text import item_text

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "tests" / "data" / "story_pairs.jsonl"
MODEL = DEFAULT_ARTIFACT_DIR
THRESHOLDS = {"talks": 0.5, "de-escalation": 0.5, "security-guarantees": 0.5}
CONFIG = StoriesConfig()
Maker = async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
def articles() -> Iterator[dict[str, dict[str, Any]]]:
    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    yield {row["id"]: row for row in rows if row["kind"] == "item"}


@pytest.fixture(scope="module")
def encoder() -> Iterator[OnnxEncoder]:
    yield OnnxEncoder(MODEL)


class Newsroom:
    """Adds classified items the way the classify stage leaves them."""

    def __init__(self, maker: Maker, encoder: OnnxEncoder, articles: dict[str, dict[str, Any]]):
        self.maker, self.encoder, self.articles = maker, encoder, articles
        self.sources: dict[str, int] = {}
        self.count = 0

    async def add(
        self,
        article_id: str,
        *,
        outlet: str | None = None,
        scores: dict[str, float] | None = None,
        shift: timedelta = timedelta(0),
        embed: bool = True,
    ) -> int:
        article = self.articles[article_id]
        outlet = outlet or article["outlet"]
        self.count += 1
        vector = self.encoder.embed([item_text(article["title"], article["summary"])])[0]
        async with self.maker.begin() as session:
            if outlet not in self.sources:
                source = Source(name=outlet, kind="file", url=f"{len(self.sources)}.xml")
                session.add(source)
                await session.flush()
                self.sources[outlet] = source.id
            item = Item(
                source_id=self.sources[outlet],
                fingerprint=hashlib.sha256(f"{article_id}/{self.count}".encode()).hexdigest(),
                url=article["url"], title=article["title"], summary=article["summary"],
                content=article.get("content"),
                published_at=datetime.fromisoformat(article["published"]) + shift,
                state=ItemState.CLASSIFIED,
                embedding=np.asarray(vector, dtype=np.float32).tobytes() if embed else None,
            )  # fmt: skip
            session.add(item)
            await session.flush()
            for topic, score in (scores or {}).items():
                session.add(
                    ItemScore(
                        item_id=item.id, topic=topic, score=score, evidence=f"{topic} sentence"
                    )
                )
            return item.id


@pytest.fixture
def newsroom(
    sessionmaker: Maker, encoder: OnnxEncoder, articles: dict[str, dict[str, Any]]
) -> Newsroom:
    return Newsroom(sessionmaker, encoder, articles)


async def stories(maker: Maker) -> list[Story]:
    async with maker() as session:
        return list((await session.execute(select(Story).order_by(Story.id))).scalars())


async def story_topics(maker: Maker, story_id: int) -> dict[str, tuple[float, str | None]]:
    async with maker() as session:
        rows = await session.execute(select(StoryTopic).where(StoryTopic.story_id == story_id))
        return {t.topic: (t.score, t.evidence) for t in rows.scalars()}


SEED_NOW = datetime(2022, 3, 29, 21, tzinfo=UTC)  # the seed articles are from that evening
SEED_SCORES = {"talks": 0.9, "de-escalation": 0.8, "security-guarantees": 0.3}


async def test_two_outlets_one_event_make_one_story(
    newsroom: Newsroom, sessionmaker: Maker
) -> None:
    await newsroom.add("seed-atlas", scores=SEED_SCORES)
    await newsroom.add(
        "seed-second", scores={"talks": 0.7, "de-escalation": 0.85, "security-guarantees": 0.6}
    )
    report = await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=SEED_NOW)
    (story,) = await stories(sessionmaker)
    assert report.new_story_ids == [story.id]
    assert report.items_clustered == 2
    assert story.outlets == ["Atlas News", "Seed article B"]
    assert story.item_count == 2
    assert story.first_seen_at == datetime(2022, 3, 29, 16, 40, tzinfo=UTC)
    assert story.last_seen_at == datetime(2022, 3, 29, 18, 5, tzinfo=UTC)
    # best score per topic, and every topic at or above its threshold
    assert await story_topics(sessionmaker, story.id) == {
        "talks": (0.9, "talks sentence"),
        "de-escalation": (0.85, "de-escalation sentence"),
        "security-guarantees": (0.6, "security-guarantees sentence"),
    }
    assert story.lead_source == "Atlas News"  # its best topic score (0.9) is the story's best
    assert 0 < len(story.summary) <= CONFIG.summary_max_chars
    assert "Sponsor" not in story.summary
    assert {"kyiv", "russia", "ukraine"} <= set(story.entities)
    assert {"RU", "UA"} <= set(story.places)  # ISO codes, for chats that filter by country
    async with sessionmaker() as session:
        states = [tuple(row) for row in await session.execute(select(Item.state, Item.story_id))]
    assert states == [(ItemState.CLUSTERED, story.id)] * 2


async def test_second_outlet_later_bumps_revision_and_is_reported(
    newsroom: Newsroom, sessionmaker: Maker
) -> None:
    await newsroom.add("seed-atlas", scores=SEED_SCORES)
    first = await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=SEED_NOW)
    await newsroom.add("seed-second", scores={"talks": 0.6})
    second = await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=SEED_NOW)
    (story,) = await stories(sessionmaker)
    assert first.new_story_ids == [story.id]
    assert second.new_story_ids == []
    assert second.updated_story_ids == [story.id]
    assert second.gained_outlets == {story.id: ["Seed article B"]}
    assert second.gained_topics == {}
    assert story.revision == 2
    async with sessionmaker() as session:
        view = await load_story_view(session, story.id)
    text = render_alert(view, {k: TopicConfig() for k in THRESHOLDS}).text
    assert "Also reported by:</i> Seed article B" in text


async def test_same_outlet_repost_is_not_a_new_outlet(
    newsroom: Newsroom, sessionmaker: Maker
) -> None:
    await newsroom.add("seed-atlas", scores=SEED_SCORES)
    await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=SEED_NOW)
    await newsroom.add("seed-atlas", scores=SEED_SCORES, shift=timedelta(hours=2))  # an update
    report = await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=SEED_NOW)
    (story,) = await stories(sessionmaker)
    assert (story.item_count, story.revision, story.outlets) == (2, 1, ["Atlas News"])
    assert report.updated_story_ids == [] and report.gained_outlets == {}


async def test_new_topic_is_news_but_a_better_score_is_not(
    newsroom: Newsroom, sessionmaker: Maker
) -> None:
    await newsroom.add("seed-atlas", scores={"talks": 0.6, "security-guarantees": 0.2})
    await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=SEED_NOW)
    await newsroom.add("seed-atlas", scores={"talks": 0.95}, shift=timedelta(minutes=30))
    better = await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=SEED_NOW)
    (story,) = await stories(sessionmaker)
    assert better.gained_topics == {} and story.revision == 1
    assert (await story_topics(sessionmaker, story.id))["talks"][0] == 0.95
    await newsroom.add(
        "seed-atlas", scores={"security-guarantees": 0.75}, shift=timedelta(hours=1)
    )
    gained = await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=SEED_NOW)
    (story,) = await stories(sessionmaker)
    assert gained.gained_topics == {story.id: ["security-guarantees"]}
    assert gained.updated_story_ids == [story.id]
    assert story.revision == 2
    assert set(await story_topics(sessionmaker, story.id)) == {"talks", "security-guarantees"}


async def test_different_events_on_the_same_day_stay_apart(
    newsroom: Newsroom, sessionmaker: Maker
) -> None:
    iran_talks = await newsroom.add("bbc-136")  # Iran says 'guiding principles' agreed with US
    iran_talks_aj = await newsroom.add("aljazeera-81")  # US and Iran reach 'guiding principles'
    ukraine_talks = await newsroom.add("bbc-131")  # Russia-Ukraine peace talks, also in Geneva
    hormuz = await newsroom.add("abc-australia-14")  # Iran closes a shipping route during talks
    await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS)
    async with sessionmaker() as session:
        story_of = dict((await session.execute(select(Item.id, Item.story_id))).tuples().all())
    assert story_of[iran_talks] == story_of[iran_talks_aj]
    assert len({story_of[iran_talks], story_of[ukraine_talks], story_of[hormuz]}) == 3


async def test_window_and_closing(newsroom: Newsroom, sessionmaker: Maker) -> None:
    await newsroom.add("seed-atlas")
    await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=SEED_NOW)
    await newsroom.add("seed-second", shift=timedelta(hours=CONFIG.window_hours + 1))
    later = datetime(2022, 3, 29, 18, tzinfo=UTC) + timedelta(hours=CONFIG.window_hours + 1)
    report = await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=later)
    first, second = await stories(sessionmaker)
    assert report.stories_closed == 1 and first.closed and not second.closed
    assert report.new_story_ids == [second.id]
    assert first.item_count == second.item_count == 1


async def test_item_without_embedding_starts_its_own_story(
    newsroom: Newsroom, sessionmaker: Maker
) -> None:
    await newsroom.add("seed-atlas")
    await newsroom.add("seed-second", embed=False)
    await newsroom.add("seed-second", outlet="Third outlet")
    report = await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=SEED_NOW)
    assert len(report.new_story_ids) == 2
    async with sessionmaker() as session:
        left = await session.scalar(
            select(func.count()).select_from(Item).where(Item.state != ItemState.CLUSTERED)
        )
    assert left == 0


async def test_nothing_to_do(sessionmaker: Maker) -> None:
    report = await cluster_classified_items(sessionmaker, CONFIG, THRESHOLDS, now=SEED_NOW)
    assert (report.items_clustered, report.new_story_ids, report.updated_story_ids) == (0, [], [])
