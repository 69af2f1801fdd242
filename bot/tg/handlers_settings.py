"""/settings, /topics, /subscribe, /unsubscribe and the buttons on those screens."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from telegram import Update
from telegram.error import BadRequest

from bot.db.models import Chat, ChatStatus
from bot.filters.sensitivity import SENSITIVITIES
from bot.tg import store, texts
from bot.tg.common import checked_args, may_change, say, subscribed_chat
from bot.tg.context import Context, services_of
from bot.tg.keyboards import (
    MENU,
    MODE,
    SENSITIVITY,
    TOPIC,
    forget_keyboard,
    settings_keyboard,
    topics_keyboard,
)
from bot.tg.views import settings_text, topic_names


async def settings(update: Update, context: Context) -> None:
    chat = await subscribed_chat(update, context)
    if chat is None:
        return
    config = services_of(context).config
    markup = settings_keyboard(chat.sensitivity, chat.mode, chat.status == ChatStatus.ACTIVE)
    await say(update, context, settings_text(chat, config), markup)


async def topics(update: Update, context: Context) -> None:
    chat = await subscribed_chat(update, context)
    if chat is None:
        return
    config = services_of(context).config
    await say(update, context, texts.TOPICS_HEADER, topics_keyboard(config.topics, chat.topics))


async def subscribe_topics(update: Update, context: Context) -> None:
    await _change_topics(update, context, add=True)


async def unsubscribe_topics(update: Update, context: Context) -> None:
    await _change_topics(update, context, add=False)


async def _change_topics(update: Update, context: Context, *, add: bool) -> None:
    if (
        not await may_change(update, context)
        or (raw := await checked_args(update, context)) is None
    ):
        return
    if await subscribed_chat(update, context) is None:
        return
    config = services_of(context).config
    valid = ", ".join(config.topics)
    wanted = [word.strip(",").casefold() for word in raw.split() if word.strip(",")]
    if not wanted:
        command = "subscribe" if add else "unsubscribe"
        await say(update, context, texts.TOPIC_USAGE.format(command=command, valid=valid))
        return
    unknown = [word for word in wanted if word not in config.topics]
    if unknown:
        await say(
            update, context, texts.UNKNOWN_TOPIC.format(given=escape(unknown[0][:40]), valid=valid)
        )
        return

    def apply(chat: Chat) -> None:
        current = [t for t in chat.topics if add or t not in wanted]
        chat.topics = current + [t for t in wanted if add and t not in current]

    row = await _change(update, context, apply)
    if row is not None:
        await say(update, context, _topics_now(row, context))


def _topics_now(chat: Chat, context: Context) -> str:
    if not chat.topics:
        return texts.TOPICS_NONE
    return texts.TOPICS_NOW.format(topics=topic_names(chat.topics, services_of(context).config))


async def _change(update: Update, context: Context, apply: Callable[[Chat], Any]) -> Chat | None:
    chat = update.effective_chat
    if chat is None:
        return None
    return await store.change(services_of(context).sessionmaker, chat.id, apply)


async def settings_button(update: Update, context: Context) -> None:
    """Every button on the /settings and /topics screens: change, then redraw in place."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or not query.data:
        return
    if not await may_change(update, context):
        await query.answer(texts.GROUP_ADMINS_ONLY)
        return
    services = services_of(context)
    config, data = services.config, query.data
    row = await store.get_chat(services.sessionmaker, chat.id)
    if row is None:
        await query.answer(texts.NOT_SUBSCRIBED)
        return
    show_topics = data.startswith(TOPIC) or data == f"{MENU}topics"
    if data.startswith(TOPIC) and (key := data.removeprefix(TOPIC)) in config.topics:
        row = await store.change(services.sessionmaker, chat.id, lambda c: _toggle(c, key)) or row
    elif (
        data.startswith(SENSITIVITY) and (value := data.removeprefix(SENSITIVITY)) in SENSITIVITIES
    ):
        row = (
            await store.change(
                services.sessionmaker, chat.id, lambda c: setattr(c, "sensitivity", value)
            )
            or row
        )
    elif data.startswith(MODE) and (mode := data.removeprefix(MODE)) in ("instant", "digest"):
        row = (
            await store.change(services.sessionmaker, chat.id, lambda c: setattr(c, "mode", mode))
            or row
        )
    elif data in (f"{MENU}stop", f"{MENU}start"):
        status = ChatStatus.STOPPED if data.endswith("stop") else ChatStatus.ACTIVE
        row = (
            await store.change(
                services.sessionmaker, chat.id, lambda c: setattr(c, "status", status)
            )
            or row
        )
    elif data == f"{MENU}forget":
        await query.answer()
        await say(update, context, texts.FORGET_CONFIRM, forget_keyboard())
        return
    elif data != f"{MENU}settings" and not show_topics:
        await query.answer(texts.BUTTON_EXPIRED)
        return
    await query.answer()
    if show_topics:
        text, markup = texts.TOPICS_HEADER, topics_keyboard(config.topics, row.topics, back=True)
    else:
        text = settings_text(row, config)
        markup = settings_keyboard(row.sensitivity, row.mode, row.status == ChatStatus.ACTIVE)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def _toggle(chat: Chat, key: str) -> None:
    chat.topics = (
        [t for t in chat.topics if t != key] if key in chat.topics else [*chat.topics, key]
    )
