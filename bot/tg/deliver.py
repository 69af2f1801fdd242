"""``TelegramSender``: the delivery ``Sender`` for the real Bot API, through PTB's ``Bot``.

It only translates. A ``RenderedMessage``-shaped ``Outgoing`` becomes ``send_message`` with HTML
parse mode, link previews off and an ``InlineKeyboardMarkup``; PTB's exceptions become the typed
outcomes in ``bot.delivery.sender``, and the dispatcher decides what each one means. The order of
the ``except`` clauses matters: ``BadRequest`` and ``TimedOut`` are both ``NetworkError``s.

Use a ``Bot`` without PTB's ``AIORateLimiter``: the dispatcher paces sends itself (including the
per-private-chat limit that limiter lacks), and the limiter's reaction to one 429, pausing every
request of the application, would also stall the bot's replies to commands.
"""

from __future__ import annotations

from typing import NoReturn

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    TelegramError,
)
from telegram.error import (
    ChatMigrated as TgChatMigrated,
)
from telegram.error import (
    RetryAfter as TgRetryAfter,
)

from bot.delivery.sender import (
    BadFormatting,
    ChatGone,
    ChatMigrated,
    NotEditable,
    Outgoing,
    RetryAfter,
    TransientError,
)

_GONE = (
    "chat not found",
    "peer_id_invalid",
    "have no rights",
    "not enough rights",
    "user is deactivated",
    "bot was kicked",
    "chat_write_forbidden",
)
_NOT_EDITABLE = (
    "message is not modified",
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
)


def keyboard(message: Outgoing) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(button.text, url=button.url)
            if button.url is not None
            else InlineKeyboardButton(button.text, callback_data=button.callback_data)
            for button in row
        ]
        for row in message.buttons
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def retry_seconds(exc: TgRetryAfter) -> float:
    """Seconds from a PTB ``RetryAfter`` without touching its deprecated int-valued property."""
    seconds = exc.__reduce__()[1][0]
    return float(seconds)


def translate(exc: TelegramError, *, editing: bool = False) -> NoReturn:
    """Raise the delivery outcome for a PTB error."""
    text = str(exc).lower()
    if isinstance(exc, TgRetryAfter):
        raise RetryAfter(retry_seconds(exc), scope=None) from exc
    if isinstance(exc, TgChatMigrated):
        raise ChatMigrated(int(exc.new_chat_id)) from exc
    if isinstance(exc, Forbidden):
        raise ChatGone(str(exc)) from exc
    if isinstance(exc, BadRequest):
        if any(marker in text for marker in _GONE):
            raise ChatGone(str(exc)) from exc
        if editing and any(marker in text for marker in _NOT_EDITABLE):
            raise NotEditable(str(exc)) from exc
        # "can't parse entities", and any other refusal of this message's content (too long,
        # bad button): the plain-text resend is the one thing left to try.
        raise BadFormatting(str(exc)) from exc
    if isinstance(exc, NetworkError):  # TimedOut, 5xx, connection errors
        raise TransientError(str(exc)) from exc
    raise TransientError(f"{type(exc).__name__}: {exc}") from exc


class TelegramSender:
    """Implements ``bot.delivery.sender.Sender`` with a PTB ``Bot`` (initialised by the caller)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._no_preview = LinkPreviewOptions(is_disabled=True)

    async def send(self, chat_id: int, message: Outgoing) -> int:
        try:
            sent = await self.bot.send_message(
                chat_id,
                message.text,
                parse_mode=ParseMode.HTML if message.html else None,
                reply_markup=keyboard(message),
                link_preview_options=self._no_preview,
            )
        except TelegramError as exc:
            translate(exc)
        return sent.message_id

    async def edit(self, chat_id: int, message_id: int, message: Outgoing) -> None:
        try:
            await self.bot.edit_message_text(
                message.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML if message.html else None,
                reply_markup=keyboard(message),
                link_preview_options=self._no_preview,
            )
        except TelegramError as exc:
            translate(exc, editing=True)

    async def resolve_chat(self, username: str) -> int:
        """A channel's numeric id from its ``@username`` (``ChatResolver``)."""
        chat = await self.bot.get_chat(username)
        return chat.id
