"""/keywords, /countries and /sensitivity: parse first, then write, so bad input changes nothing."""

from __future__ import annotations

from telegram import Update

from bot.db.models import Chat
from bot.filters import InputError
from bot.filters.countries import parse_countries
from bot.filters.keywords import merge_keywords, parse_keywords
from bot.filters.sensitivity import parse_sensitivity
from bot.tg import store, texts
from bot.tg.common import checked_args, may_change, say, subscribed_chat
from bot.tg.context import Context, services_of
from bot.tg.views import country_list, keyword_list

_KEYWORD_ACTIONS = ("include", "exclude", "remove", "clear")


def _keywords_now(chat: Chat) -> str:
    exclude = keyword_list(chat.keywords_exclude) if chat.keywords_exclude else texts.NONE
    return texts.KEYWORDS_NOW.format(include=keyword_list(chat.keywords_include), exclude=exclude)


async def keywords(update: Update, context: Context) -> None:
    raw = await checked_args(update, context)
    chat = await subscribed_chat(update, context) if raw is not None else None
    if raw is None or chat is None:
        return
    if not raw:
        await say(update, context, f"{_keywords_now(chat)}\n\n{texts.KEYWORDS_USAGE}")
        return
    if not await may_change(update, context):
        return
    action, _, rest = raw.partition(" ")
    action = action.casefold()
    if action not in _KEYWORD_ACTIONS:
        action, rest = "include", raw
    limits = services_of(context).config.limits
    try:
        words = parse_keywords(
            rest, max_count=limits.max_keywords, max_length=limits.max_keyword_length
        )
        if action in ("include", "exclude"):
            if not words:
                await say(update, context, texts.KEYWORDS_USAGE)
                return
            current = chat.keywords_include if action == "include" else chat.keywords_exclude
            merged = merge_keywords(current, words, max_count=limits.max_keywords)
    except InputError as error:
        await say(update, context, texts.input_error(error))
        return

    def apply(row: Chat) -> None:
        if action == "include":
            row.keywords_include = merged
            row.keywords_exclude = [w for w in row.keywords_exclude if w not in words]
        elif action == "exclude":
            row.keywords_exclude = merged
            row.keywords_include = [w for w in row.keywords_include if w not in words]
        elif action == "remove":
            row.keywords_include = [w for w in row.keywords_include if w not in words]
            row.keywords_exclude = [w for w in row.keywords_exclude if w not in words]
        else:
            row.keywords_include, row.keywords_exclude = [], []

    updated = await store.change(services_of(context).sessionmaker, chat.id, apply)
    if updated is not None:
        await say(update, context, _keywords_now(updated))


async def countries(update: Update, context: Context) -> None:
    raw = await checked_args(update, context)
    chat = await subscribed_chat(update, context) if raw is not None else None
    if raw is None or chat is None:
        return
    if not raw:
        now = texts.COUNTRIES_NOW.format(countries=country_list(chat.countries))
        await say(update, context, f"{now}\n\n{texts.COUNTRIES_USAGE}")
        return
    if not await may_change(update, context):
        return
    if raw.casefold() in ("clear", "any", "all", "off"):
        entries: list[str] = []
    else:
        try:
            entries = parse_countries(
                raw, max_count=services_of(context).config.limits.max_countries
            )
        except InputError as error:
            await say(update, context, texts.input_error(error))
            return
    updated = await store.change(
        services_of(context).sessionmaker, chat.id, lambda row: setattr(row, "countries", entries)
    )
    if updated is not None:
        await say(update, context, texts.COUNTRIES_NOW.format(countries=country_list(entries)))


async def sensitivity(update: Update, context: Context) -> None:
    raw = await checked_args(update, context)
    chat = await subscribed_chat(update, context) if raw is not None else None
    if raw is None or chat is None:
        return
    if not raw:
        await say(update, context, texts.SENSITIVITY_USAGE.format(value=chat.sensitivity))
        return
    if not await may_change(update, context):
        return
    try:
        value = parse_sensitivity(raw)
    except InputError as error:
        await say(update, context, texts.input_error(error))
        return
    await store.change(
        services_of(context).sessionmaker, chat.id, lambda row: setattr(row, "sensitivity", value)
    )
    await say(update, context, texts.SENSITIVITY_SET.format(value=value))
