"""Classified items → stories: one story per real-world event, however many outlets report it.

An item joins the open story whose centroid (the mean embedding of its items, from the same
encoder as the classifier) is most similar, if that similarity reaches
``[stories] similarity_threshold`` and the story was seen within ``window_hours`` of the item.
Named places and actors (capitalised names, and countries from ``bot.geo``) sharpen that: an item
whose headline names nothing the story has named (talks on Iran in Geneva vs talks on Ukraine in
Geneva, a truce in one region vs shelling in another) pays ``ENTITY_MISMATCH_PENALTY``, and one
that shares several names with the story (the same ministers, cities, countries) earns
``ENTITY_SHARED_BONUS``. Threshold, penalty and bonus were tuned on
``tests/data/story_pairs.jsonl`` (``parley eval-stories --sweep``, ``bench/stories.py``).

A story's ``revision`` goes up only when it gains an outlet or a topic: that is what the match and
delivery stages act on (a new alert, or an edited "also reported by"). Reposts and updates from an
outlet the story already has add the item and nothing else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Item, ItemScore, ItemState, Source, Story, StoryTopic, utcnow
from bot.geo import find_countries
from bot.pipeline.summarise import best_text, summarise
from bot.pipeline.textutil import is_title_case, named_entities
from bot.settings import StoriesConfig

_LOGGER = logging.getLogger(__name__)

ENTITY_MISMATCH_PENALTY = 0.1
ENTITY_SHARED_BONUS = 0.08
ENTITY_SHARED_MIN = 4
ENTITY_TEXT_CHARS = 400  # the lede names the actors; the rest of a long article adds noise
BATCH_SIZE = 200

Vector = npt.NDArray[np.float32]


@dataclass
class ClusterReport:
    new_story_ids: list[int] = field(default_factory=list)
    updated_story_ids: list[int] = field(default_factory=list)
    gained_topics: dict[int, list[str]] = field(default_factory=dict)
    gained_outlets: dict[int, list[str]] = field(default_factory=dict)
    items_clustered: int = 0
    stories_closed: int = 0
    seconds: float = 0.0


@dataclass
class StoryState:
    """What matching needs to know about one open story, kept in memory during a batch."""

    key: int
    mean: Vector | None
    count: int
    entities: set[str]
    last_seen: datetime

    def add(self, vector: Vector | None, entities: Iterable[str], seen: datetime) -> None:
        if vector is not None:
            if self.mean is None:
                self.mean = vector.astype(np.float32)
            else:
                self.mean = ((self.mean * self.count + vector) / (self.count + 1)).astype(
                    np.float32
                )
        self.count += 1
        self.entities.update(entities)
        self.last_seen = max(self.last_seen, seen)


def item_entities(title: str, summary: str | None) -> tuple[set[str], set[str]]:
    """(headline entities, headline + lede entities) of an item.

    In a title-case headline every word is capitalised, so only the words the lede also
    capitalises count as names there. Countries found by the gazetteer join as "@XX" codes, so
    "Kyiv", "Ukrainians" and "Ukraine" meet.
    """
    lede_text = (summary or "")[:ENTITY_TEXT_CHARS]
    head = named_entities(title) | {f"@{code}" for code in find_countries(title)}
    lede = named_entities(lede_text) | {f"@{code}" for code in find_countries(lede_text)}
    if is_title_case(title):
        head &= lede
    return head, head | lede


def best_story(
    vector: Vector | None,
    title_entities: set[str],
    published: datetime,
    stories: Sequence[StoryState],
    config: StoriesConfig,
    entities: set[str] | None = None,
) -> StoryState | None:
    """The open story this item belongs to, or None when it starts a new one.

    ``entities`` (headline + lede names) earn ``ENTITY_SHARED_BONUS`` when the story already
    names ``ENTITY_SHARED_MIN`` of them.
    """
    if vector is None:
        return None
    window = timedelta(hours=config.window_hours)
    near = [s for s in stories if s.mean is not None and abs(published - s.last_seen) <= window]
    if not near:
        return None
    means = np.stack([s.mean for s in near if s.mean is not None])
    norms = np.linalg.norm(means, axis=1)
    cosines = (means @ vector) / np.where(norms > 0, norms, np.inf)
    best: StoryState | None = None
    best_score = config.similarity_threshold
    # Only a story whose cosine comes near the threshold can win; entities are checked per story.
    for index in np.flatnonzero(cosines >= config.similarity_threshold - ENTITY_SHARED_BONUS):
        story = near[int(index)]
        score = float(cosines[index])
        if title_entities and story.entities and not title_entities & story.entities:
            score -= ENTITY_MISMATCH_PENALTY
        elif entities and len(entities & story.entities) >= ENTITY_SHARED_MIN:
            score += ENTITY_SHARED_BONUS
        if score >= best_score:
            best, best_score = story, score
    return best


def _vector(blob: bytes | None) -> Vector | None:
    if not blob or len(blob) % 4:
        return None
    vector = np.frombuffer(blob, dtype=np.float32)
    return vector if np.all(np.isfinite(vector)) else None


def _flagged(scores: Iterable[ItemScore], thresholds: Mapping[str, float]) -> dict[str, ItemScore]:
    return {s.topic: s for s in scores if s.topic in thresholds and s.score >= thresholds[s.topic]}


@dataclass
class _Open:
    story: Story
    state: StoryState
    topics: dict[str, StoryTopic]
    lead_score: float
    existed: bool


async def cluster_classified_items(
    sessionmaker: async_sessionmaker[AsyncSession],
    config: StoriesConfig,
    thresholds: Mapping[str, float],
    *,
    now: datetime | None = None,
) -> ClusterReport:
    """Every CLASSIFIED item joins or starts a story; one transaction per batch of items."""
    started = time.perf_counter()
    now = now or utcnow()
    report = ClusterReport()
    window = timedelta(hours=config.window_hours)
    async with sessionmaker.begin() as session:
        result = await session.execute(
            update(Story)
            .where(Story.closed.is_(False), Story.last_seen_at < now - window)
            .values(closed=True)
        )
        report.stories_closed = int(getattr(result, "rowcount", 0) or 0)
    while True:
        async with sessionmaker.begin() as session:
            done = await _cluster_batch(session, config, thresholds, report)
        if not done:
            break
    report.updated_story_ids = sorted(set(report.updated_story_ids))
    report.seconds = time.perf_counter() - started
    return report


async def _cluster_batch(
    session: AsyncSession,
    config: StoriesConfig,
    thresholds: Mapping[str, float],
    report: ClusterReport,
) -> int:
    rows = (
        await session.execute(
            select(Item, Source.name)
            .join(Source, Item.source_id == Source.id)
            .where(Item.state == ItemState.CLASSIFIED)
            .order_by(Item.published_at, Item.id)
            .limit(BATCH_SIZE)
        )
    ).all()
    if not rows:
        return 0
    scores: dict[int, list[ItemScore]] = {}
    item_ids = [item.id for item, _ in rows]
    for score in (
        await session.execute(select(ItemScore).where(ItemScore.item_id.in_(item_ids)))
    ).scalars():
        scores.setdefault(score.item_id, []).append(score)
    opened = await _open_stories(
        session, config, rows[0][0].published_at, rows[-1][0].published_at
    )
    for item, outlet in rows:
        flagged = _flagged(scores.get(item.id, ()), thresholds)
        await _place(session, item, outlet, flagged, opened, config, report)
        item.state = ItemState.CLUSTERED
        report.items_clustered += 1
    return len(rows)


async def _open_stories(
    session: AsyncSession, config: StoriesConfig, first: datetime, last: datetime
) -> list[_Open]:
    window = timedelta(hours=config.window_hours)
    stories = (
        (
            await session.execute(
                select(Story).where(
                    Story.closed.is_(False),
                    Story.last_seen_at >= first - window,
                    Story.first_seen_at <= last + window,
                )
            )
        )
        .scalars()
        .all()
    )
    topics: dict[int, dict[str, StoryTopic]] = {}
    if stories:
        query = select(StoryTopic).where(StoryTopic.story_id.in_([s.id for s in stories]))
        for topic in (await session.execute(query)).scalars():
            topics.setdefault(topic.story_id, {})[topic.topic] = topic
    opened = []
    for story in stories:
        own = topics.get(story.id, {})
        state = StoryState(
            story.id, _vector(story.centroid), story.item_count, set(story.entities),
            story.last_seen_at,
        )  # fmt: skip
        best = max((t.score for t in own.values() if t.item_id == story.lead_item_id), default=0.0)
        opened.append(_Open(story, state, own, best, existed=True))
    return opened


async def _place(
    session: AsyncSession,
    item: Item,
    outlet: str,
    flagged: dict[str, ItemScore],
    opened: list[_Open],
    config: StoriesConfig,
    report: ClusterReport,
) -> None:
    vector = _vector(item.embedding)
    heads, entities = item_entities(item.title, item.summary)
    countries = find_countries(f"{item.title}\n{(item.summary or '')[:ENTITY_TEXT_CHARS]}")
    candidates = [o.state for o in opened]
    match = best_story(vector, heads, item.published_at, candidates, config, entities)
    item_best = max((s.score for s in flagged.values()), default=0.0)
    if match is None:
        story = Story(
            title=item.title, url=item.url, lead_item_id=item.id, lead_source=outlet,
            outlets=[outlet], entities=sorted(entities), places=sorted(countries), item_count=1,
            centroid=vector.tobytes() if vector is not None else None,
            first_seen_at=item.published_at, last_seen_at=item.published_at,
            published_at=item.published_at, revision=1,
        )  # fmt: skip
        session.add(story)
        await session.flush()
        item.story_id = story.id
        topics = {}
        for key, score in flagged.items():
            topics[key] = StoryTopic(
                story_id=story.id, topic=key, score=score.score, evidence=score.evidence,
                item_id=item.id,
            )  # fmt: skip
            session.add(topics[key])
        state = StoryState(story.id, vector, 1, set(entities), item.published_at)
        opened.append(_Open(story, state, topics, item_best, existed=False))
        story.summary = _summary(item, topics, config)
        report.new_story_ids.append(story.id)
        return
    entry = next(o for o in opened if o.state is match)
    story = entry.story
    item.story_id = story.id
    match.add(vector, entities, item.published_at)
    story.item_count = match.count
    story.entities = sorted(match.entities)
    story.places = sorted(set(story.places) | countries)
    story.centroid = match.mean.tobytes() if match.mean is not None else None
    story.first_seen_at = min(story.first_seen_at, item.published_at)
    story.last_seen_at = match.last_seen
    gained_outlet = outlet not in story.outlets
    if gained_outlet:
        story.outlets = [*story.outlets, outlet]
    gained_topics = []
    for key, score in flagged.items():
        topic = entry.topics.get(key)
        if topic is None:
            entry.topics[key] = StoryTopic(
                story_id=story.id, topic=key, score=score.score, evidence=score.evidence,
                item_id=item.id,
            )  # fmt: skip
            session.add(entry.topics[key])
            gained_topics.append(key)
        elif score.score > topic.score:
            topic.score, topic.evidence, topic.item_id = score.score, score.evidence, item.id
    if item_best > entry.lead_score:
        story.title, story.url, story.lead_item_id = item.title, item.url, item.id
        story.lead_source, story.published_at = outlet, item.published_at
        entry.lead_score = item_best
        story.summary = _summary(item, entry.topics, config)
    if gained_outlet or gained_topics:
        story.revision += 1
        if entry.existed:
            report.updated_story_ids.append(story.id)
            if gained_outlet:
                report.gained_outlets.setdefault(story.id, []).append(outlet)
            if gained_topics:
                report.gained_topics.setdefault(story.id, []).extend(gained_topics)


def _summary(item: Item, topics: Mapping[str, StoryTopic], config: StoriesConfig) -> str:
    evidence = [t.evidence for t in topics.values() if t.evidence]
    return summarise(
        item.title,
        best_text(item.title, item.summary, item.content),
        evidence=evidence,
        max_chars=config.summary_max_chars,
        max_sentences=config.summary_max_sentences,
    )
