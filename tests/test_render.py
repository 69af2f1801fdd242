"""Alert rendering: golden examples, hostile feed text, Telegram's limits and HTML rules."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.render import (
    RenderedMessage,
    StoryView,
    TopicHit,
    render_alert,
    render_digest,
    render_plain,
    render_why,
)
from bot.render.text import safe_url, utf16_len
from bot.settings import TopicConfig

TOPICS = {
    "talks": TopicConfig(label="Talks", emoji="🤝", threshold=0.5),
    "de-escalation": TopicConfig(label="De-escalation", emoji="🕊️", threshold=0.5),
    "security-guarantees": TopicConfig(label="Security guarantees", emoji="🛡️", threshold=0.6),
}
PUBLISHED = datetime(2022, 3, 29, 16, 40, tzinfo=UTC)
NOW = PUBLISHED + timedelta(hours=2, minutes=5)

# Telegram's HTML mode: these tags only, and & must start one of these entities.
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
_TOKEN = re.compile(
    r"<(/?)([a-zA-Z-]+)((?:\s+[a-z]+=\"[^\"<>]*\")*)\s*>|<|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);|&"
)


def telegram_parse(text: str) -> str:
    """Parse like Telegram's HTML mode; return the visible text or raise on what it rejects."""
    stack: list[str] = []
    visible: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        visible.append(text[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("<", "&"):
            raise AssertionError(
                f"unescaped {token!r} at {match.start()}: {text[match.start() :][:40]!r}"
            )
        if token.startswith("&"):
            visible.append(html.unescape(token))
            continue
        closing, tag = match.group(1), match.group(2).lower()
        if tag not in _ALLOWED_TAGS:
            raise AssertionError(f"unsupported tag <{tag}>")
        if closing:
            if not stack or stack.pop() != tag:
                raise AssertionError(f"unbalanced </{tag}>")
        else:
            stack.append(tag)
    visible.append(text[position:])
    if stack:
        raise AssertionError(f"unclosed tags {stack}")
    return "".join(visible)


def check_telegram_limits(message: RenderedMessage) -> str:
    visible = telegram_parse(message.text)
    assert 0 < utf16_len(visible) <= 4096
    assert utf16_len(message.text) <= 4096
    for row in message.buttons:
        assert 1 <= len(row) <= 8
        for button in row:
            assert button.text
            if button.callback_data is not None:
                assert 1 <= len(button.callback_data.encode()) <= 64
            else:
                assert safe_url(button.url) == button.url
    return visible


def story(**changes: object) -> StoryView:
    base = StoryView(
        id=42,
        title="Russia to scale back operations near Kyiv & Chernihiv as Istanbul talks progress",
        url="https://example.org/news/kyiv?ref=rss&lang=en",
        outlet="BBC News",
        published_at=PUBLISHED,
        summary=(
            'Russia said it would "radically reduce" military activity near Kyiv and Chernihiv. '
            "Zelensky was sceptical."
        ),
        outlets=("BBC News", "Al Jazeera", "Dawn", "NPR", "Foreign Policy", "UN News"),
        topics=(
            TopicHit("de-escalation", 0.84, "Russia will reduce military activity near Kyiv."),
            TopicHit("talks", 0.91, "Negotiations in Istanbul made headway."),
        ),
    )
    return StoryView(**{**base.__dict__, **changes})


GOLDEN_ALERT = """\
🤝 Talks · 🕊️ De-escalation
<b><a href="https://example.org/news/kyiv?ref=rss&amp;lang=en">Russia to scale back operations near Kyiv &amp; Chernihiv as Istanbul talks progress</a></b>
<i>BBC News</i> · 29 Mar 2022, 16:40 UTC · 2 h ago

Russia said it would "radically reduce" military activity near Kyiv and Chernihiv. Zelensky was sceptical.

<i>Also reported by:</i> Al Jazeera, Dawn, NPR +2"""

GOLDEN_PLAIN = """\
🤝 Talks · 🕊️ De-escalation
Russia to scale back operations near Kyiv & Chernihiv as Istanbul talks progress
BBC News · 29 Mar 2022, 16:40 UTC
https://example.org/news/kyiv?ref=rss&lang=en

Russia said it would "radically reduce" military activity near Kyiv and Chernihiv. Zelensky was sceptical.

Also reported by: Al Jazeera, Dawn, NPR +2"""


def test_golden_alert() -> None:
    message = render_alert(story(), TOPICS, now=NOW)
    assert message.text == GOLDEN_ALERT
    assert [[(b.text, b.url, b.callback_data) for b in row] for row in message.buttons] == [
        [("📰 Open article", "https://example.org/news/kyiv?ref=rss&lang=en", None)],
        [("👍", None, "fb:+:42"), ("👎", None, "fb:-:42"), ("why?", None, "why:42")],
    ]
    check_telegram_limits(message)


def test_golden_plain() -> None:
    assert render_plain(story(), TOPICS) == GOLDEN_PLAIN


def test_single_outlet_has_no_also_reported_line() -> None:
    message = render_alert(story(outlets=("BBC News",)), TOPICS)
    assert "Also reported by" not in message.text
    assert "Also reported by" not in render_plain(story(outlets=("BBC News",)), TOPICS)


def test_two_outlets_named_without_count() -> None:
    text = render_alert(story(outlets=("BBC News", "Al Jazeera")), TOPICS).text
    assert text.endswith("<i>Also reported by:</i> Al Jazeera")


@pytest.mark.parametrize(
    ("title", "summary", "outlet"),
    [
        pytest.param(
            "<script>alert(1)</script> & <b>bold", "x < y && y > z", "A&B <i>", id="tags"
        ),
        pytest.param(
            "Unbalanced </b></a> <a href='x'>", "</i><i><i>", "Out</b>let", id="unbalanced"
        ),
        pytest.param("&amp; &lt;already&gt; &#x27; &bogus;", "&&&&", "&", id="entities"),
        pytest.param("🕊️🇺🇦👨‍👩‍👧 ceasefire 🤝" * 3, "😀" * 3000, "📰", id="emoji"),
        pytest.param(
            "وقف إطلاق النار في غزة: محادثات", "מו״מ בקהיר. שלב שני.", "الجزيرة", id="rtl"
        ),
        pytest.param("Talks " * 2000, "word " * 5000, "N" * 500, id="10kb"),
        pytest.param(
            "\x00null\x07 bell\ud800 surrogate\u2028sep", "\x1b[31mred", "ok", id="control"
        ),
        pytest.param("", "", "", id="empty"),
    ],
)
def test_hostile_feed_text_is_escaped_and_fits(title: str, summary: str, outlet: str) -> None:
    hostile = story(title=title, summary=summary, outlet=outlet or None, outlets=(outlet, "B & C"))
    visible = check_telegram_limits(render_alert(hostile, TOPICS, now=NOW))
    visible.encode("utf-8")  # no lone surrogates left: the Bot API request must be valid JSON
    assert "\x00" not in visible and "\x1b" not in visible
    plain = render_plain(hostile, TOPICS)
    plain.encode("utf-8")
    assert utf16_len(plain) <= 4096
    digest = render_digest([hostile] * 8, TOPICS, now=NOW)
    check_telegram_limits(digest)


def test_hostile_title_keeps_its_text_visible() -> None:
    visible = telegram_parse(render_alert(story(title="<script>x</script> & y"), TOPICS).text)
    assert "<script>x</script> & y" in visible


def test_rtl_text_is_isolated() -> None:
    text = render_alert(story(title="محادثات السلام"), TOPICS).text
    assert "\u2068محادثات السلام\u2069" in text


def test_long_title_is_cut_at_a_word_with_ellipsis() -> None:
    visible = telegram_parse(render_alert(story(title="Talks " * 2000), TOPICS).text)
    title_line = visible.splitlines()[1]
    assert title_line.endswith("Talks…")
    assert len(title_line) <= 300


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://x.org/a", "https://exa mple.org", "/relative", "", None,
     "https://", "https://x.org/" + "a" * 3000, "https://x.org/\x00"],
)  # fmt: skip
def test_unusable_urls_give_no_link_and_no_open_button(url: str | None) -> None:
    message = render_alert(story(url=url), TOPICS)
    check_telegram_limits(message)
    assert "href" not in message.text
    assert [b.url for row in message.buttons for b in row] == [None, None, None]
    assert "https://" not in render_plain(story(url=url), TOPICS)


def test_quote_in_url_is_escaped_in_href() -> None:
    message = render_alert(story(url='https://x.org/a"b'), TOPICS)
    assert 'href="https://x.org/a&quot;b"' in message.text
    check_telegram_limits(message)


def test_story_without_topics_still_renders() -> None:
    message = render_alert(story(topics=()), TOPICS)
    assert message.text.startswith("<b><a href=")
    assert render_why(story(topics=()), TOPICS) == "No topic of this story reached its threshold."


def test_unknown_topic_gets_a_readable_label() -> None:
    text = render_alert(story(topics=(TopicHit("prisoner-exchange", 0.7),)), TOPICS).text
    assert text.splitlines()[0] == "• Prisoner Exchange"


def test_time_in_the_chat_time_zone() -> None:
    from zoneinfo import ZoneInfo

    text = render_alert(story(), TOPICS, tz=ZoneInfo("Europe/Kyiv")).text
    assert "29 Mar 2022, 19:40 EEST" in text


def test_why_shows_scores_against_thresholds_and_evidence() -> None:
    text = render_why(story(), TOPICS)
    assert text == (
        "🤝 Talks: 0.91 (threshold 0.50)\n“Negotiations in Istanbul made headway.”\n\n"
        "🕊️ De-escalation: 0.84 (threshold 0.50)\n“Russia will reduce military activity near Kyiv.”"
    )
    strict = render_why(story(), TOPICS, thresholds={"talks": 0.6, "de-escalation": 0.6})
    assert "0.91 (threshold 0.60)" in strict


def test_why_fits_a_callback_popup() -> None:
    long_evidence = story(
        topics=tuple(TopicHit(k, 0.9, "Long evidence sentence. " * 40) for k in TOPICS)
    )
    text = render_why(long_evidence, TOPICS, max_chars=200)
    assert len(text) <= 200
    assert "Talks: 0.90" in text


def test_digest_golden() -> None:
    first = story()
    second = story(
        id=7, title="Truce agreed in the east", url=None, outlet="Dawn", outlets=("Dawn",),
        summary="", topics=(TopicHit("de-escalation", 0.7),),
    )  # fmt: skip
    message = render_digest([first, second], TOPICS, heading="Your digest", now=NOW)
    assert message.text == (
        "<b>Your digest</b> · 2 stories\n\n"
        '1. 🤝🕊️ <b><a href="https://example.org/news/kyiv?ref=rss&amp;lang=en">Russia to scale '
        "back operations near Kyiv &amp; Chernihiv as Istanbul talks progress</a></b>\n"
        "<i>BBC News</i> +5 more · 29 Mar 2022, 16:40 UTC · 2 h ago\n"
        'Russia said it would "radically reduce" military activity near Kyiv and Chernihiv. '
        "Zelensky was sceptical.\n\n"
        "2. 🕊️ <b>Truce agreed in the east</b>\n"
        "<i>Dawn</i> · 29 Mar 2022, 16:40 UTC · 2 h ago"
    )
    assert message.buttons == ()


def test_digest_of_many_stories_stops_before_the_limit_and_counts_the_rest() -> None:
    many = [
        story(id=i, title=f"Story {i} " + "long title " * 20, summary="S. " * 200)
        for i in range(1, 60)
    ]
    message = render_digest(many, TOPICS)
    visible = check_telegram_limits(message)
    shown = len(re.findall(r"^\d+\. ", visible, re.MULTILINE))
    assert 0 < shown < 59
    assert visible.endswith(f"…and {59 - shown} more.")
