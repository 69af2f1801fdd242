"""The values rendering works on and produces: plain dataclasses, no Telegram types.

``bot/tg`` turns a ``RenderedMessage`` into ``send_message(text, parse_mode=HTML,
reply_markup=InlineKeyboardMarkup(...))``; the terminal dry run prints ``render_plain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Button:
    """One inline button: exactly one of ``url`` and ``callback_data`` is set."""

    text: str
    url: str | None = None
    callback_data: str | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.callback_data is None):
            raise ValueError("a button needs exactly one of url and callback_data")


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    parse_mode: str = "HTML"
    disable_preview: bool = True


@dataclass(frozen=True)
class TopicHit:
    """A topic a story carries: its best score and the sentence that supports it."""

    key: str
    score: float
    evidence: str | None = None


@dataclass(frozen=True)
class StoryView:
    """Everything an alert shows about one story, read from the database in one go."""

    id: int
    title: str
    url: str | None
    outlet: str | None
    published_at: datetime
    summary: str = ""
    outlets: tuple[str, ...] = ()
    topics: tuple[TopicHit, ...] = ()
    item_count: int = 1
    revision: int = 1
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    places: tuple[str, ...] = field(default=())

    @property
    def other_outlets(self) -> tuple[str, ...]:
        """Outlets besides the lead one, in the order they reported it."""
        return tuple(o for o in self.outlets if o != self.outlet)
