"""What the outbox does to a chat when Telegram says it is gone or has moved."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Chat, ChatStatus, Delivery, DeliveryStatus
from bot.delivery.outbox import NO_SYNC as _NO_SYNC


async def block_chat(
    sessionmaker: async_sessionmaker[AsyncSession], chat_id: int, reason: str
) -> None:
    """Stop sending to a chat: mark it blocked and skip what is still queued for it."""
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Chat)
            .where(Chat.id == chat_id)
            .values(status=ChatStatus.BLOCKED, blocked_reason=reason[:500])
            .execution_options(**_NO_SYNC)
        )
        await session.execute(
            update(Delivery)
            .where(Delivery.chat_id == chat_id, Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.SKIPPED, last_error=f"chat gone: {reason}"[:500])
            .execution_options(**_NO_SYNC)
        )


async def migrate_chat(
    sessionmaker: async_sessionmaker[AsyncSession], old_id: int, new_id: int
) -> bool:
    """Move a chat to its new id (deliveries follow by ON UPDATE CASCADE). When the new id is
    already a chat (the bot saw the supergroup first), the old chat's queued rows move there
    and the old chat is marked gone. Returns False if neither chat exists any more."""
    async with sessionmaker.begin() as session:
        old = await session.get(Chat, old_id)
        if old is None:
            return await session.get(Chat, new_id) is not None
        existing = await session.get(Chat, new_id)
        if existing is None:
            await session.execute(
                update(Chat)
                .where(Chat.id == old_id)
                .values(id=new_id, type="supergroup")
                .execution_options(**_NO_SYNC)
            )
            return True
        taken = select(Delivery.story_id).where(Delivery.chat_id == new_id)
        await session.execute(
            update(Delivery)
            .where(Delivery.chat_id == old_id, Delivery.story_id.not_in(taken))
            .values(chat_id=new_id)
            .execution_options(**_NO_SYNC)
        )
        old.status = ChatStatus.BLOCKED
        old.blocked_reason = f"migrated to {new_id}"
        return True
