"""Several stories → one message: daily digests, and bursts that would otherwise flood a chat.

Stories are added in the order given until the next one would break Telegram's 4096-character
limit; the rest are counted in a closing line rather than dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo

from bot.render.alert import MAX_OUTLET_CHARS
from bot.render.text import (
    MAX_MESSAGE_UTF16,
    esc,
    esc_attr,
    field,
    isolate,
    safe_url,
    utf16_len,
    when,
)
from bot.render.types import RenderedMessage, StoryView
from bot.settings import TopicConfig

DIGEST_TITLE_CHARS = 200
DIGEST_SUMMARY_CHARS = 240


def _entry(
    number: int,
    story: StoryView,
    topics: Mapping[str, TopicConfig],
    now: datetime | None,
    tz: tzinfo | None,
) -> str:
    url = safe_url(story.url)
    title = esc(isolate(field(story.title, DIGEST_TITLE_CHARS) or "(untitled)"))
    link = f'<a href="{esc_attr(url)}">{title}</a>' if url else title
    marks = "".join(
        (topics[h.key].emoji if h.key in topics else "•")
        for h in sorted(story.topics, key=lambda h: (-h.score, h.key))
    )
    head = f"{number}. {esc(marks)} <b>{link}</b>" if marks else f"{number}. <b>{link}</b>"
    meta = []
    if story.outlet:
        outlet = esc(isolate(field(story.outlet, MAX_OUTLET_CHARS)))
        extra = len(story.other_outlets)
        meta.append(f"<i>{outlet}</i>" + (f" +{extra} more" if extra else ""))
    meta.append(esc(when(story.published_at, now=now, tz=tz)))
    lines = [head, " · ".join(meta)]
    summary = field(story.summary, DIGEST_SUMMARY_CHARS)
    if summary:
        lines.append(esc(isolate(summary)))
    return "\n".join(lines)


def render_digest(
    stories: Sequence[StoryView],
    topics: Mapping[str, TopicConfig],
    *,
    heading: str = "Parley digest",
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> RenderedMessage:
    """One HTML message listing ``stories``, never over 4096 characters (no buttons)."""
    count = len(stories)
    top = f"<b>{esc(field(heading, 100))}</b> · {count} {'story' if count == 1 else 'stories'}"
    blocks = [top]
    shown = 0
    for number, story in enumerate(stories, start=1):
        block = _entry(number, story, topics, now, tz)
        left = count - number
        closing = f"\n\n<i>…and {left} more.</i>" if left else ""
        candidate = "\n\n".join([*blocks, block]) + closing
        if utf16_len(candidate) > MAX_MESSAGE_UTF16:
            break  # the previous round checked that its own closing line fits
        blocks.append(block)
        shown += 1
    text = "\n\n".join(blocks)
    if shown < count:
        text += f"\n\n<i>…and {count - shown} more.</i>"
    return RenderedMessage(text=text)
