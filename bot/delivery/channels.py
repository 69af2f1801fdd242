"""Broadcast channels from ``[telegram] channels``: one post per alert reaches every member.

Telegram lets a bot send about 30 messages a second in all, so an alert for 10,000 private
subscribers reaches the last one after more than five minutes; a channel post reaches all of a
channel's members at once. Each configured channel becomes a ``Chat`` row with
``is_broadcast=True`` following its topics ("*" = every topic), matched like any chat but
queued first (priority 0) and never held by quiet hours. A channel given as ``@username`` is
resolved to its numeric id through the sender when it can (``ChatResolver``); until then it is
skipped with a warning. A channel removed from the config is stopped, not deleted, so its
delivery history stays.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Protocol, runtime_checkable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Chat, ChatStatus
from bot.settings import AdminConfig

_LOGGER = logging.getLogger(__name__)
CHANNEL_TYPE = "channel"


@runtime_checkable
class ChatResolver(Protocol):
    async def resolve_chat(self, username: str) -> int:
        """The numeric id of a public chat given as ``@username``."""
        ...


async def wanted_channels(
    config: AdminConfig, resolver: ChatResolver | None, cache: dict[str, int]
) -> dict[int, tuple[set[str], str | None]]:
    """Channel id → (topics, @username) from the config, resolving usernames once each."""
    wanted: dict[int, tuple[set[str], str | None]] = {}
    by_ref: dict[int | str, set[str]] = defaultdict(set)
    for topic, ref in config.telegram.channels.items():
        by_ref[ref].update(config.topics if topic == "*" else {topic})
    for ref, topics in by_ref.items():
        username = None
        if isinstance(ref, str) and not ref.lstrip("-").isdigit():
            username = ref if ref.startswith("@") else f"@{ref}"
            if username not in cache:
                if resolver is None:
                    continue
                try:
                    cache[username] = await resolver.resolve_chat(username)
                except Exception as exc:  # unknown channel, bot not a member, network
                    _LOGGER.warning("channel %s cannot be resolved yet: %s", username, exc)
                    continue
            chat_id = cache[username]
        else:
            chat_id = int(ref)
        topics_so_far, _ = wanted.get(chat_id, (set(), None))
        wanted[chat_id] = (topics_so_far | topics, username)
    return wanted


async def sync_channels(
    sessionmaker: async_sessionmaker[AsyncSession],
    config: AdminConfig,
    *,
    resolver: ChatResolver | None = None,
    cache: dict[str, int] | None = None,
) -> int:
    """Make the channel rows match the config; returns how many channels are active."""
    wanted = await wanted_channels(config, resolver, {} if cache is None else cache)
    async with sessionmaker.begin() as session:
        existing = {
            chat.id: chat
            for chat in (
                await session.execute(
                    select(Chat).where(
                        Chat.is_broadcast.is_(True),
                        Chat.type == CHANNEL_TYPE,
                        Chat.added_by.is_(None),  # not one a user subscribed with /channel
                    )
                )
            ).scalars()
        }
        for chat_id, (topics, username) in wanted.items():
            chat = existing.get(chat_id) or await session.get(Chat, chat_id)
            if chat is None:
                chat = Chat(id=chat_id, type=CHANNEL_TYPE)
                session.add(chat)
            chat.is_broadcast = True
            chat.topics = sorted(topics)
            chat.title = chat.title or username
            if chat.status is not ChatStatus.BLOCKED:
                chat.status = ChatStatus.ACTIVE
        gone = [chat_id for chat_id in existing if chat_id not in wanted]
        if gone:
            await session.execute(
                update(Chat)
                .where(Chat.id.in_(gone), Chat.status == ChatStatus.ACTIVE)
                .values(status=ChatStatus.STOPPED)
                .execution_options(synchronize_session=False)
            )
    return len(wanted)
