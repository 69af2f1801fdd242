"""Screens built from a chat row: the settings summary and topic lists (HTML, escaped)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from bot.db.models import Chat, ChatStatus
from bot.filters.countries import format_country_entry
from bot.filters.keywords import format_keyword
from bot.filters.schedule import is_muted, zone
from bot.settings import AdminConfig
from bot.tg import texts
from bot.tg.keyboards import topic_label


def topic_names(chat_topics: list[str], config: AdminConfig) -> str:
    names = [
        topic_label(key, config.topics.get(key)) for key in chat_topics if key in config.topics
    ]
    return escape(", ".join(names)) if names else texts.NONE


def keyword_list(words: list[str]) -> str:
    return escape(", ".join(format_keyword(w) for w in words), quote=False) if words else texts.ANY


def country_list(entries: list[str]) -> str:
    return escape(", ".join(format_country_entry(e) for e in entries)) if entries else texts.ANY


def local_time(moment: datetime, tz_name: str) -> str:
    return moment.astimezone(zone(tz_name)).strftime("%Y-%m-%d %H:%M")


def mode_line(chat: Chat) -> str:
    if chat.mode == "digest":
        return texts.MODE_DIGEST.format(time=chat.digest_time, tz=escape(chat.timezone))
    return texts.MODE_INSTANT


def settings_text(chat: Chat, config: AdminConfig, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    quiet = (
        f"{chat.quiet_start}–{chat.quiet_end}" if chat.quiet_start and chat.quiet_end else "off"
    )
    muted = (
        f"until {local_time(chat.muted_until, chat.timezone)}"
        if chat.muted_until is not None and is_muted(now, chat.muted_until)
        else "no"
    )
    status = ChatStatus(chat.status).value
    return texts.SETTINGS.format(
        status=texts.STATUS_WORDS.get(status, status),
        topics=topic_names(chat.topics, config),
        sensitivity=chat.sensitivity,
        include=keyword_list(chat.keywords_include),
        exclude=keyword_list(chat.keywords_exclude) if chat.keywords_exclude else texts.NONE,
        countries=country_list(chat.countries),
        mode=mode_line(chat).removeprefix("Mode: "),
        tz=escape(chat.timezone),
        quiet=quiet,
        muted=muted,
    )
