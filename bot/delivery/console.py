"""The terminal as a subscriber: what ``parley run --dry-run`` prints instead of sending.

The dry run's subscriber is an ordinary ``Chat`` row with a reserved id that Telegram never
uses (0) and type ``console``, following every topic. Because it lives in the outbox like any
chat, the dry run gets the same guarantees as the bot: an alert is printed once, even across
restarts, and a changed story is printed again as an update.
"""

from __future__ import annotations

import html
import re
import sys
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Chat, ChatStatus
from bot.delivery.outbox import CONSOLE_CHAT_TYPE
from bot.delivery.sender import Outgoing
from bot.settings import AdminConfig

CONSOLE_CHAT_ID = 0
_TAG = re.compile(r"<[^>]+>")
RULE = "─" * 72


def as_text(message: Outgoing) -> str:
    """Telegram HTML to terminal text, with URL buttons shown as links."""
    text = html.unescape(_TAG.sub("", message.text)) if message.html else message.text
    links = [f"  [{b.text}] {b.url}" for row in message.buttons for b in row if b.url]
    return "\n".join([text, *links])


class ConsoleSender:
    """A ``Sender`` that prints; message ids count up from the last one the outbox stored."""

    def __init__(self, out: TextIO | None = None, *, first_message_id: int = 1) -> None:
        self._out = out or sys.stdout
        self._next_id = first_message_id

    async def send(self, chat_id: int, message: Outgoing) -> int:
        print(f"{RULE}\n{as_text(message)}", file=self._out, flush=True)
        message_id = self._next_id
        self._next_id += 1
        return message_id

    async def edit(self, chat_id: int, message_id: int, message: Outgoing) -> None:
        print(
            f"{RULE}\n(update to alert #{message_id})\n{as_text(message)}",
            file=self._out,
            flush=True,
        )


async def ensure_console_chat(
    sessionmaker: async_sessionmaker[AsyncSession], config: AdminConfig, *, active: bool = True
) -> None:
    """Create or refresh the terminal subscriber (every configured topic), or stop it."""
    async with sessionmaker.begin() as session:
        chat = await session.get(Chat, CONSOLE_CHAT_ID)
        if chat is None:
            chat = Chat(id=CONSOLE_CHAT_ID, type=CONSOLE_CHAT_TYPE, title="terminal")
            session.add(chat)
        chat.is_broadcast = True
        chat.topics = list(config.topics)
        chat.status = ChatStatus.ACTIVE if active else ChatStatus.STOPPED
