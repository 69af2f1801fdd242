"""Turning outbox rows into messages: one alert, or several stories combined into one message.

The dispatcher asks a ``Composer``; the default one renders with ``bot.render`` (pure functions)
from the stories as they are in the database right now, and returns both the HTML message and
its plain-text twin, so a "can't parse entities" answer can be resent without another query.
Fan-out sends one story to thousands of chats, so an alert rendered for one set of topics is
reused for a few seconds instead of being loaded and rendered again for every chat.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.sender import Outgoing
from bot.render import (
    StoryNotFoundError,
    load_story_view,
    load_story_views,
    render_alert,
    render_digest,
    render_plain,
)
from bot.settings import TopicConfig

PLAIN_LIMIT = 4000  # characters; Telegram's limit is 4096


@dataclass(frozen=True)
class Composed:
    html: Outgoing
    plain: Outgoing
    revisions: dict[int, int]  # story id -> the revision this text shows


class Composer(Protocol):
    async def alert(self, session: AsyncSession, story_id: int, topics: Sequence[str]) -> Composed:
        """One story, showing the topics this chat follows (all of the story's if empty)."""
        ...

    async def combined(self, session: AsyncSession, story_ids: Sequence[int]) -> Composed:
        """Several stories in one message (burst, digest, catch-up after quiet hours)."""
        ...


class CachedComposer:
    """Reuses single-alert renderings for ``ttl`` seconds; combined messages are never cached
    (each chat's set of stories differs)."""

    def __init__(
        self,
        composer: Composer,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        ttl: float = 5.0,
        max_entries: int = 256,
    ) -> None:
        self._composer = composer
        self._sessionmaker = sessionmaker
        self._ttl = ttl
        self._max_entries = max_entries
        self._cache: dict[tuple[int, tuple[str, ...]], tuple[float, Composed]] = {}

    async def alert(
        self, story_id: int, topics: Sequence[str], *, fresh: bool = False
    ) -> Composed:
        key = (story_id, tuple(sorted(topics)))
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and not fresh and now - hit[0] < self._ttl:
            return hit[1]
        async with self._sessionmaker() as session:
            composed = await self._composer.alert(session, story_id, key[1])
        if len(self._cache) >= self._max_entries:
            self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self._ttl}
            if len(self._cache) >= self._max_entries:
                self._cache.clear()
        self._cache[key] = (now, composed)
        return composed

    async def combined(self, story_ids: Sequence[int]) -> Composed:
        async with self._sessionmaker() as session:
            return await self._composer.combined(session, story_ids)


class RenderComposer:
    """The production composer: ``bot.render`` over the stories as stored right now.

    ``topics`` is read at every call, so a config reload changes labels without a restart.
    """

    def __init__(self, topics: Callable[[], Mapping[str, TopicConfig]]) -> None:
        self._topics = topics

    async def alert(self, session: AsyncSession, story_id: int, topics: Sequence[str]) -> Composed:
        view = await load_story_view(session, story_id)
        if topics:  # show the topics this chat follows, not every topic the story carries
            shown = tuple(hit for hit in view.topics if hit.key in topics)
            view = replace(view, topics=shown or view.topics)
        config = self._topics()
        rendered = render_alert(view, config)
        return Composed(
            html=Outgoing(rendered.text, rendered.buttons, html=True),
            plain=Outgoing(render_plain(view, config), rendered.buttons, html=False),
            revisions={story_id: view.revision},
        )

    async def combined(self, session: AsyncSession, story_ids: Sequence[int]) -> Composed:
        views = await load_story_views(session, list(story_ids))
        if not views:
            raise StoryNotFoundError(f"stories {list(story_ids)} not found")
        config = self._topics()
        rendered = render_digest(views, config)
        plain = "\n\n".join(render_plain(view, config) for view in views)
        if len(plain) > PLAIN_LIMIT:
            plain = plain[: PLAIN_LIMIT - 1] + "…"
        return Composed(
            html=Outgoing(rendered.text, rendered.buttons, html=True),
            plain=Outgoing(plain, (), html=False),
            revisions={view.id: view.revision for view in views},
        )
