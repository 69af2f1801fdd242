"""The one error handler: log the failure with its traceback, tell the user in one sentence."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.tg import texts
from bot.tg.context import Context

_LOGGER = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    # Logged first, so the failure is visible even if apologising fails too.
    where = f"update {update.update_id}" if isinstance(update, Update) else "a job"
    _LOGGER.error("handler failed on %s", where, exc_info=context.error)
    if not isinstance(update, Update):
        return
    if update.callback_query is not None:
        # Already answered, or too old: the apology below still goes out.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(texts.APOLOGY)
    if update.effective_chat is None:
        return
    try:
        await context.bot.send_message(update.effective_chat.id, texts.APOLOGY)
    except TelegramError as exc:
        _LOGGER.warning("could not apologise in chat %s: %s", update.effective_chat.id, exc)
