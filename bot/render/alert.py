"""One story → one alert: Telegram HTML with buttons, or plain text for a terminal.

Pure functions of their arguments (no clock unless ``now`` is given, no I/O), so golden tests pin
the exact output. Every piece of feed text is cleaned, shortened and escaped here, and the result
always fits Telegram's 4096-character limit: the summary gives way first, then the headline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo

from bot.render import callbacks
from bot.render.text import (
    MAX_MESSAGE_UTF16,
    esc,
    esc_attr,
    field,
    isolate,
    safe_url,
    shorten,
    utf16_len,
    when,
)
from bot.render.types import Button, RenderedMessage, StoryView, TopicHit
from bot.settings import TopicConfig

MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 1200
MAX_OUTLET_CHARS = 80
MAX_EVIDENCE_CHARS = 300
ALSO_SHOWN = 3  # outlets named in "also reported by"; the rest are "+N"


def topic_line(hits: Sequence[TopicHit], topics: Mapping[str, TopicConfig]) -> str:
    """ "🤝 Talks · 🕊️ De-escalation": the story's topics, best score first."""
    parts = []
    for hit in sorted(hits, key=lambda h: (-h.score, h.key)):
        config = topics.get(hit.key)
        emoji = config.emoji if config else "•"
        label = config.label if config and config.label else hit.key.replace("-", " ").title()
        parts.append(f"{emoji} {label}")
    return " · ".join(parts)


def also_reported(story: StoryView) -> str:
    """ "BBC News, Al Jazeera, Dawn +3", or "" when only one outlet has the story."""
    others = [field(o, MAX_OUTLET_CHARS) for o in story.other_outlets]
    if not others:
        return ""
    named = ", ".join(isolate(o) for o in others[:ALSO_SHOWN])
    rest = len(others) - ALSO_SHOWN
    return f"{named} +{rest}" if rest > 0 else named


def render_alert(
    story: StoryView,
    topics: Mapping[str, TopicConfig],
    *,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> RenderedMessage:
    """The alert as Telegram HTML, with open / 👍 / 👎 / why? buttons."""
    url = safe_url(story.url)
    title_limit, summary_limit = MAX_TITLE_CHARS, MAX_SUMMARY_CHARS
    while True:
        text = _html(story, topics, url, title_limit, summary_limit, now=now, tz=tz)
        if utf16_len(text) <= MAX_MESSAGE_UTF16 or title_limit <= 40:
            break
        if summary_limit > 0:
            summary_limit = summary_limit // 2 if summary_limit > 100 else 0
        else:
            title_limit //= 2
    rows: list[tuple[Button, ...]] = []
    if url:
        rows.append((Button("📰 Open article", url=url),))
    rows.append(
        (
            Button("👍", callback_data=callbacks.feedback_up(story.id)),
            Button("👎", callback_data=callbacks.feedback_down(story.id)),
            Button("why?", callback_data=callbacks.why(story.id)),
        )
    )
    return RenderedMessage(text=text, buttons=tuple(rows))


def _html(
    story: StoryView,
    topics: Mapping[str, TopicConfig],
    url: str | None,
    title_limit: int,
    summary_limit: int,
    *,
    now: datetime | None,
    tz: tzinfo | None,
) -> str:
    lines = []
    if story.topics:
        lines.append(esc(topic_line(story.topics, topics)))
    title = esc(isolate(field(story.title, title_limit) or "(untitled)"))
    lines.append(f'<b><a href="{esc_attr(url)}">{title}</a></b>' if url else f"<b>{title}</b>")
    byline = (
        [f"<i>{esc(isolate(field(story.outlet, MAX_OUTLET_CHARS)))}</i>"] if story.outlet else []
    )
    byline.append(esc(when(story.published_at, now=now, tz=tz)))
    lines.append(" · ".join(byline))
    summary = field(story.summary, summary_limit) if summary_limit else ""
    if summary:
        lines += ["", esc(isolate(summary))]
    also = also_reported(story)
    if also:
        lines += ["", f"<i>Also reported by:</i> {esc(also)}"]
    return "\n".join(lines)


def render_plain(
    story: StoryView,
    topics: Mapping[str, TopicConfig],
    *,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> str:
    """The same alert as plain text: for the terminal dry run and the "can't parse" fallback."""
    lines = []
    if story.topics:
        lines.append(topic_line(story.topics, topics))
    lines.append(field(story.title, MAX_TITLE_CHARS) or "(untitled)")
    byline = [field(story.outlet, MAX_OUTLET_CHARS)] if story.outlet else []
    byline.append(when(story.published_at, now=now, tz=tz))
    lines.append(" · ".join(byline))
    url = safe_url(story.url)
    if url:
        lines.append(url)
    summary = field(story.summary, MAX_SUMMARY_CHARS)
    if summary:
        lines += ["", summary]
    also = also_reported(story)
    if also:
        lines += ["", f"Also reported by: {also}"]
    return shorten("\n".join(lines), MAX_MESSAGE_UTF16 // 2)


def render_why(
    story: StoryView,
    topics: Mapping[str, TopicConfig],
    *,
    thresholds: Mapping[str, float] | None = None,
    max_chars: int = MAX_MESSAGE_UTF16 // 2,
) -> str:
    """Plain text for the "why?" button: per topic, the score against the threshold and the
    sentence that carried it. ``thresholds`` overrides the config's (a chat's sensitivity);
    ``max_chars=200`` fits a callback-query pop-up."""
    if not story.topics:
        return shorten("No topic of this story reached its threshold.", max_chars)
    hits = sorted(story.topics, key=lambda h: (-h.score, h.key))
    evidence_limit = MAX_EVIDENCE_CHARS
    while True:
        lines = []
        for hit in hits:
            config = topics.get(hit.key)
            threshold = (thresholds or {}).get(hit.key, config.threshold if config else 0.5)
            head = f"{topic_line([hit], topics)}: {hit.score:.2f} (threshold {threshold:.2f})"
            evidence = field(hit.evidence, evidence_limit) if evidence_limit else ""
            lines.append(f"{head}\n“{evidence}”" if evidence else head)
        text = "\n\n".join(lines)
        if len(text) <= max_chars or evidence_limit == 0:
            return shorten(text, max_chars)
        evidence_limit = evidence_limit // 2 if evidence_limit > 40 else 0
