"""Subscribing and leaving: /start, /stop, /forget, /help, and what happens to a chat's row when
Telegram reports the group migrated or the bot was blocked or removed."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.constants import ChatType

from bot.db.models import ChatStatus
from bot.tg import store, texts
from bot.tg.common import may_change, say
from bot.tg.context import Context, services_of
from bot.tg.keyboards import FORGET, forget_keyboard, topics_keyboard
from bot.tg.views import topic_names

_LOGGER = logging.getLogger(__name__)


async def start(update: Update, context: Context) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or not await may_change(update, context):
        return
    services = services_of(context)
    title = chat.title or chat.full_name
    before = await store.get_chat(services.sessionmaker, chat.id)
    row, created = await store.subscribe(
        services.sessionmaker, chat.id, chat.type, title, user.id if user else None
    )
    config = services.config
    if created:
        text = texts.WELCOME.format(topics=topic_names(row.topics, config))
        await say(update, context, text, topics_keyboard(config.topics, row.topics))
    elif before is not None and before.status != ChatStatus.ACTIVE:
        await say(update, context, texts.WELCOME_BACK)
    else:
        await say(update, context, texts.ALREADY_ON)


async def stop(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None or not await may_change(update, context):
        return
    sessions = services_of(context).sessionmaker
    if await store.get_chat(sessions, chat.id) is None:
        await say(update, context, texts.NOT_SUBSCRIBED)
        return
    await store.set_status(sessions, chat.id, ChatStatus.STOPPED)
    await say(update, context, texts.STOPPED)


async def forget(update: Update, context: Context) -> None:
    if update.effective_chat is None or not await may_change(update, context):
        return
    await say(update, context, texts.FORGET_CONFIRM, forget_keyboard())


async def forget_button(update: Update, context: Context) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    if not await may_change(update, context):
        await query.answer(texts.GROUP_ADMINS_ONLY)
        return
    await query.answer()
    if query.data == f"{FORGET}yes":
        await store.forget(services_of(context).sessionmaker, chat.id)
        await query.edit_message_text(texts.FORGET_DONE)
    else:
        await query.edit_message_text(texts.FORGET_CANCELLED)


async def help_command(update: Update, context: Context) -> None:
    await say(update, context, texts.HELP)


async def unknown(update: Update, context: Context) -> None:
    """Unknown commands and plain text in private chats get a pointer to /help."""
    await say(update, context, texts.POINTER_TO_HELP)


async def migrated(update: Update, context: Context) -> None:
    """A group became a supergroup: its settings follow it to the new chat id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    moved = await store.migrate(
        services_of(context).sessionmaker, message.chat.id, message.migrate_to_chat_id
    )
    _LOGGER.info(
        "chat %s migrated to %s (settings moved: %s)",
        message.chat.id,
        message.migrate_to_chat_id,
        moved,
    )


async def membership_changed(update: Update, context: Context) -> None:
    """The bot was blocked, kicked or removed: stop sending there (settings kept)."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    if status in (ChatMember.BANNED, ChatMember.LEFT):
        reason = "blocked by the user" if change.chat.type == ChatType.PRIVATE else "removed"
        await store.set_status(
            services_of(context).sessionmaker, change.chat.id, ChatStatus.BLOCKED, reason
        )
