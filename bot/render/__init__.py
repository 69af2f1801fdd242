"""Pure rendering: story → Telegram-HTML message and buttons, plain text, digests, "why?".

No Telegram import here: ``bot/tg`` converts ``RenderedMessage`` and ``Button`` to PTB objects.
"""

from __future__ import annotations

from bot.render.alert import render_alert, render_plain, render_why
from bot.render.digest import render_digest
from bot.render.types import Button, RenderedMessage, StoryView, TopicHit
from bot.render.views import StoryNotFoundError, load_story_view, load_story_views

__all__ = [
    "Button",
    "RenderedMessage",
    "StoryNotFoundError",
    "StoryView",
    "TopicHit",
    "load_story_view",
    "load_story_views",
    "render_alert",
    "render_digest",
    "render_plain",
    "render_why",
]
