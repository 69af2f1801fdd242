"""Small helpers every handler module shares: replying, reading arguments, guarding changes."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.db.models import Chat
from bot.tg import store, texts
from bot.tg.context import Context, services_of
from bot.tg.permissions import can_change_settings

MAX_ARGS_CHARS = 1000


async def say(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send ``text`` to the chat the update came from (HTML and no link previews by default)."""
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_message(chat.id, text, reply_markup=markup)


def args_text(update: Update) -> str:
    """Everything after the command word, verbatim (quotes kept for keyword phrases)."""
    message = update.effective_message
    if message is None or not message.text:
        return ""
    parts = message.text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def checked_args(update: Update, context: Context) -> str | None:
    """The arguments, or None (after telling the user) when they are absurdly long."""
    text = args_text(update)
    if len(text) > MAX_ARGS_CHARS:
        await say(update, context, texts.TOO_LONG.format(limit=MAX_ARGS_CHARS))
        return None
    return text


async def may_change(update: Update, context: Context) -> bool:
    """In groups only admins change settings; others get one polite sentence."""
    if await can_change_settings(update, context):
        return True
    await say(update, context, texts.GROUP_ADMINS_ONLY)
    return False


async def subscribed_chat(update: Update, context: Context) -> Chat | None:
    """This chat's row, or None after pointing the user to /start."""
    chat = update.effective_chat
    if chat is None:
        return None
    row = await store.get_chat(services_of(context).sessionmaker, chat.id)
    if row is None:
        await say(update, context, texts.NOT_SUBSCRIBED)
    return row
