"""The one seam between the outbox and a messaging service, and the ways a send can fail.

The dispatcher decides what to do after a failure (wait, retry, resend as plain text, move a
chat, stop sending to it), so a ``Sender`` only has to translate its service's errors into the
exceptions below. Keeping them typed, not strings, is what makes every Telegram error path
testable without Telegram.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol


class ButtonLike(Protocol):
    """A pure inline button (``bot.render`` defines the concrete dataclass)."""

    @property
    def text(self) -> str: ...

    @property
    def url(self) -> str | None: ...

    @property
    def callback_data(self) -> str | None: ...


@dataclass(frozen=True)
class Outgoing:
    """What to put in one chat: Telegram-HTML text (or plain text when ``html`` is false)."""

    text: str
    buttons: Sequence[Sequence[ButtonLike]] = field(default_factory=tuple)
    html: bool = True


class Sender(Protocol):
    """Sends and edits messages; raises one of the ``DeliveryError`` subclasses on failure."""

    async def send(self, chat_id: int, message: Outgoing) -> int:
        """Send and return the new message's id."""
        ...

    async def edit(self, chat_id: int, message_id: int, message: Outgoing) -> None:
        """Replace the text and buttons of a message this sender sent earlier."""
        ...


class DeliveryError(Exception):
    """Base of every failure a ``Sender`` reports."""


class RetryAfter(DeliveryError):
    """Flood control: wait exactly ``seconds``, for one chat or for every send of the bot.

    ``scope`` None means the service did not say (Telegram's 429 does not): the dispatcher then
    treats it as the chat's own limit if that chat was just sent to, else as the bot's.
    """

    def __init__(self, seconds: float, scope: Literal["chat", "global"] | None = None) -> None:
        super().__init__(f"retry after {seconds:g} s ({scope or 'unscoped'})")
        self.seconds = seconds
        self.scope = scope


class ChatGone(DeliveryError):
    """The bot can no longer write to the chat (blocked, kicked, deleted, not found)."""


class BadFormatting(DeliveryError):
    """The service refused the markup ("can't parse entities"); plain text will go through."""


class ChatMigrated(DeliveryError):
    """A group became a supergroup with a new id; resend there."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class TransientError(DeliveryError):
    """5xx, timeout or network failure: the same request may succeed later."""


class NotEditable(DeliveryError):
    """An edit that can never succeed (too old, deleted, or nothing changed)."""
