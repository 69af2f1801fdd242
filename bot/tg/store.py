"""Chat rows: create, change, migrate, forget; plus feedback. One session per unit of work.

Handlers call these with the ``Services`` sessionmaker; each function is one short transaction,
so a handler never holds a database lock while it talks to Telegram.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Chat, ChatStatus, Feedback, Story, StoryTopic, utcnow
from bot.settings import CORE_TOPICS

Sessions = async_sessionmaker[AsyncSession]


async def get_chat(sessions: Sessions, chat_id: int) -> Chat | None:
    async with sessions() as session:
        return await session.get(Chat, chat_id)


async def subscribe(
    sessions: Sessions, chat_id: int, chat_type: str, title: str | None, added_by: int | None
) -> tuple[Chat, bool]:
    """Create the chat with defaults, or re-activate it. Returns (chat, created). Idempotent:
    a second /start never creates a second row or resets settings."""
    async with sessions.begin() as session:
        chat = await session.get(Chat, chat_id, with_for_update=True)
        if chat is None:
            chat = Chat(
                id=chat_id,
                type=chat_type,
                title=title,
                topics=list(CORE_TOPICS),
                added_by=added_by,
                status=ChatStatus.ACTIVE,
            )
            session.add(chat)
            return chat, True
        chat.status = ChatStatus.ACTIVE
        chat.blocked_reason = None
        chat.title = title or chat.title
        return chat, False


async def change(sessions: Sessions, chat_id: int, apply: Callable[[Chat], Any]) -> Chat | None:
    """Load the chat, let ``apply`` change it, commit. None if the chat is not subscribed."""
    async with sessions.begin() as session:
        chat = await session.get(Chat, chat_id, with_for_update=True)
        if chat is None:
            return None
        apply(chat)
        chat.updated_at = utcnow()
        return chat


async def set_status(
    sessions: Sessions, chat_id: int, status: ChatStatus, reason: str | None = None
) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(Chat)
            .where(Chat.id == chat_id)
            .values(status=status, blocked_reason=reason, updated_at=utcnow())
        )


async def forget(sessions: Sessions, chat_id: int) -> None:
    """Delete the chat and everything keyed to it (deliveries cascade; feedback by chat id)."""
    async with sessions.begin() as session:
        await session.execute(delete(Feedback).where(Feedback.chat_id == chat_id))
        await session.execute(delete(Chat).where(Chat.id == chat_id))


async def migrate(sessions: Sessions, old_id: int, new_id: int) -> bool:
    """A group became a supergroup: move its row (and, by cascade, its outbox) to the new id.
    If the supergroup was already subscribed on its own, the older group row is dropped."""
    async with sessions.begin() as session:
        old = await session.get(Chat, old_id)
        if old is None:
            return False
        if await session.get(Chat, new_id) is not None:
            await session.delete(old)
            return True
        await session.execute(
            update(Chat)
            .where(Chat.id == old_id)
            .values(id=new_id, type="supergroup", updated_at=utcnow())
        )
        await session.execute(
            update(Feedback).where(Feedback.chat_id == old_id).values(chat_id=new_id)
        )
        return True


async def record_feedback(
    sessions: Sessions, story_id: int, chat_id: int, user_id: int, vote: int
) -> dict[str, float] | None:
    """Store (or change) one person's vote on a story, with the topic scores that produced the
    alert. Returns those scores, or None if the story no longer exists."""
    async with sessions.begin() as session:
        rows = (
            await session.execute(select(StoryTopic).where(StoryTopic.story_id == story_id))
        ).scalars()
        scores = {row.topic: round(row.score, 4) for row in rows}
        existing = (
            await session.execute(
                select(Feedback).where(Feedback.story_id == story_id, Feedback.user_id == user_id)
            )
        ).scalar_one_or_none()
        if await session.get(Story, story_id) is None:
            return None
        if existing is None:
            session.add(
                Feedback(
                    story_id=story_id,
                    chat_id=chat_id,
                    user_id=user_id,
                    vote=vote,
                    topic_scores=scores,
                )
            )
        else:
            existing.vote = vote
            existing.chat_id = chat_id
            existing.topic_scores = scores
            existing.created_at = utcnow()
        return scores
