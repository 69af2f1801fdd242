"""Inline keyboards and their callback data.

Settings buttons use short prefixes (``t:`` topic toggle, ``sens:``, ``mode:``, ``menu:``,
``forget:``), well under Telegram's 64 bytes; alert buttons (``fb:``/``why:``) belong to
``bot.render.callbacks``. ``to_markup`` turns a rendered message's buttons into PTB's types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.filters.sensitivity import SENSITIVITIES
from bot.render import Button
from bot.settings import TopicConfig

TOPIC = "t:"
SENSITIVITY = "sens:"
MODE = "mode:"
MENU = "menu:"
FORGET = "forget:"


def topic_label(key: str, topic: TopicConfig | None) -> str:
    if topic is None:
        return key
    label = topic.label or key
    return f"{topic.emoji} {label}".strip()


def topics_keyboard(
    topics: Mapping[str, TopicConfig], chosen: Sequence[str], *, back: bool = False
) -> InlineKeyboardMarkup:
    """One ✅/▫️ toggle per topic, core and admin-defined alike."""
    rows = [
        [
            InlineKeyboardButton(
                f"{'✅' if key in chosen else '▫️'} {topic_label(key, topic)}",
                callback_data=f"{TOPIC}{key}",
            )
        ]
        for key, topic in topics.items()
    ]
    if back:
        rows.append([InlineKeyboardButton("« Settings", callback_data=f"{MENU}settings")])
    return InlineKeyboardMarkup(rows)


def settings_keyboard(sensitivity: str, mode: str, active: bool) -> InlineKeyboardMarkup:
    sens_row = [
        InlineKeyboardButton(
            f"{'● ' if value == sensitivity else ''}{value}",
            callback_data=f"{SENSITIVITY}{value}",
        )
        for value in SENSITIVITIES
    ]
    mode_row = [
        InlineKeyboardButton(
            f"{'● ' if value == mode else ''}{value}", callback_data=f"{MODE}{value}"
        )
        for value in ("instant", "digest")
    ]
    last_row = [
        InlineKeyboardButton("🗂 Topics", callback_data=f"{MENU}topics"),
        InlineKeyboardButton(
            "⏸ Stop" if active else "▶️ Resume",
            callback_data=f"{MENU}{'stop' if active else 'start'}",
        ),
        InlineKeyboardButton("🗑 Forget", callback_data=f"{MENU}forget"),
    ]
    return InlineKeyboardMarkup([sens_row, mode_row, last_row])


def forget_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes, delete everything", callback_data=f"{FORGET}yes"),
                InlineKeyboardButton("Cancel", callback_data=f"{FORGET}no"),
            ]
        ]
    )


def to_markup(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """PTB markup for ``bot.render`` buttons (None when there are none)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button.text, url=button.url)
                if button.url
                else InlineKeyboardButton(button.text, callback_data=button.callback_data)
                for button in row
            ]
            for row in rows
        ]
    )
