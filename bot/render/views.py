"""Reading a story for rendering: the one place that turns database rows into a ``StoryView``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Story, StoryTopic
from bot.render.types import StoryView, TopicHit


class StoryNotFoundError(LookupError):
    """The story was deleted (or never existed): a stale button or outbox row."""


def story_view(story: Story, topics: list[StoryTopic]) -> StoryView:
    return StoryView(
        id=story.id,
        title=story.title,
        url=story.url,
        outlet=story.lead_source,
        published_at=story.published_at,
        summary=story.summary,
        outlets=tuple(story.outlets),
        topics=tuple(TopicHit(t.topic, t.score, t.evidence) for t in topics),
        item_count=story.item_count,
        revision=story.revision,
        first_seen_at=story.first_seen_at,
        last_seen_at=story.last_seen_at,
        places=tuple(story.places),
    )


async def load_story_view(session: AsyncSession, story_id: int) -> StoryView:
    story = await session.get(Story, story_id)
    if story is None:
        raise StoryNotFoundError(f"story {story_id} not found")
    topics = (
        (await session.execute(select(StoryTopic).where(StoryTopic.story_id == story_id)))
        .scalars()
        .all()
    )
    return story_view(story, list(topics))


async def load_story_views(session: AsyncSession, story_ids: list[int]) -> list[StoryView]:
    """Several stories in two queries, in the order asked; missing ones are skipped."""
    if not story_ids:
        return []
    stories = {
        s.id: s
        for s in (await session.execute(select(Story).where(Story.id.in_(story_ids)))).scalars()
    }
    topics: dict[int, list[StoryTopic]] = {}
    query = select(StoryTopic).where(StoryTopic.story_id.in_(story_ids))
    for topic in (await session.execute(query)).scalars():
        topics.setdefault(topic.story_id, []).append(topic)
    return [story_view(stories[i], topics.get(i, [])) for i in story_ids if i in stories]
