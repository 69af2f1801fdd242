"""/mode, /timezone, /quiet, /mute and /unmute: when a chat gets its alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from telegram import Update

from bot.db.models import Chat
from bot.filters import InputError
from bot.filters.schedule import parse_duration, parse_hhmm, parse_quiet_window, parse_timezone
from bot.tg import store, texts
from bot.tg.common import checked_args, may_change, say, subscribed_chat
from bot.tg.context import Context, services_of
from bot.tg.views import local_time, mode_line


async def _prepare(update: Update, context: Context) -> tuple[Chat, str] | None:
    """The chat and its arguments when a change may go ahead; otherwise None (user told)."""
    raw = await checked_args(update, context)
    chat = await subscribed_chat(update, context) if raw is not None else None
    if raw is None or chat is None:
        return None
    if raw and not await may_change(update, context):
        return None
    return chat, raw


async def mode(update: Update, context: Context) -> None:
    prepared = await _prepare(update, context)
    if prepared is None:
        return
    chat, raw = prepared
    words = raw.casefold().split()
    if not words:
        await say(update, context, f"{mode_line(chat)}\n{texts.MODE_USAGE}")
        return
    try:
        if words[0] == "instant" and len(words) == 1:
            new_mode, digest_time = "instant", chat.digest_time
        elif words[0] == "digest" and len(words) <= 2:
            new_mode = "digest"
            digest_time = parse_hhmm(words[1]) if len(words) == 2 else chat.digest_time
        else:
            await say(update, context, texts.MODE_USAGE)
            return
    except InputError as error:
        await say(update, context, texts.input_error(error))
        return

    def apply(row: Chat) -> None:
        row.mode, row.digest_time = new_mode, digest_time

    updated = await store.change(services_of(context).sessionmaker, chat.id, apply)
    if updated is not None:
        await say(update, context, mode_line(updated))


async def timezone(update: Update, context: Context) -> None:
    prepared = await _prepare(update, context)
    if prepared is None:
        return
    chat, raw = prepared
    if not raw:
        await say(update, context, texts.TIMEZONE_USAGE.format(tz=escape(chat.timezone)))
        return
    try:
        name = parse_timezone(raw)
    except InputError as error:
        await say(update, context, texts.input_error(error))
        return
    await store.change(
        services_of(context).sessionmaker, chat.id, lambda row: setattr(row, "timezone", name)
    )
    local = local_time(datetime.now(UTC), name)
    await say(update, context, texts.TIMEZONE_SET.format(tz=escape(name), local=local))


async def quiet(update: Update, context: Context) -> None:
    prepared = await _prepare(update, context)
    if prepared is None:
        return
    chat, raw = prepared
    if not raw:
        await say(update, context, texts.QUIET_USAGE)
        return
    window: tuple[str | None, str | None]
    if raw.casefold() in ("off", "none", "clear"):
        window = (None, None)
    else:
        try:
            window = parse_quiet_window(raw)
        except InputError as error:
            await say(update, context, texts.input_error(error))
            return

    def apply(row: Chat) -> None:
        row.quiet_start, row.quiet_end = window

    await store.change(services_of(context).sessionmaker, chat.id, apply)
    if window[0] is None:
        await say(update, context, texts.QUIET_OFF)
    else:
        await say(
            update,
            context,
            texts.QUIET_SET.format(start=window[0], end=window[1], tz=escape(chat.timezone)),
        )


async def mute(update: Update, context: Context) -> None:
    prepared = await _prepare(update, context)
    if prepared is None:
        return
    chat, raw = prepared
    if not raw:
        await say(update, context, texts.MUTE_USAGE)
        return
    try:
        until = datetime.now(UTC) + parse_duration(raw)
    except InputError as error:
        await say(update, context, texts.input_error(error))
        return
    await store.change(
        services_of(context).sessionmaker, chat.id, lambda row: setattr(row, "muted_until", until)
    )
    text = texts.MUTED.format(until=local_time(until, chat.timezone), tz=escape(chat.timezone))
    await say(update, context, text)


async def unmute(update: Update, context: Context) -> None:
    if not await may_change(update, context):
        return
    chat = await subscribed_chat(update, context)
    if chat is None:
        return
    await store.change(
        services_of(context).sessionmaker, chat.id, lambda row: setattr(row, "muted_until", None)
    )
    await say(update, context, texts.UNMUTED)
