"""Normalisation: plain text, canonical URLs, UTC dates from real feeds, boilerplate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.pipeline.normalise import (
    canonical_url,
    html_to_paragraphs,
    html_to_text,
    normalise_entry,
)
from bot.sources import RawEntry, parse_document

FEEDS = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)


def _first(name: str):
    feed = parse_document((FEEDS / name).read_bytes(), base_url=f"https://example.org/{name}")
    item = normalise_entry(feed.entries[0], source="t", now=NOW, feed_link=feed.link)
    assert item is not None
    return item


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "bbc_world_2026-02-18.xml", datetime(2026, 2, 17, 18, 55, 33, tzinfo=UTC), id="GMT"
        ),
        pytest.param(
            "dawn_world_2026-02-18.xml", datetime(2026, 2, 17, 15, 1, 20, tzinfo=UTC), id="+0500"
        ),
        pytest.param(
            "abcnews_international_2026-02-17.xml",
            datetime(2026, 2, 18, 1, 19, 37, tzinfo=UTC),
            id="-0500",
        ),
        pytest.param(
            "csmonitor_all_2026-02-17.xml", datetime(2026, 2, 17, 23, 3, 7, tzinfo=UTC), id="EST"
        ),
        pytest.param(
            "al-monitor_2026-02-17.xml",
            datetime(2026, 2, 17, 22, 36, 36, tzinfo=UTC),
            id="ISO-in-pubDate",
        ),
        pytest.param(
            "dw_english_all_2026-02-18.rdf",
            datetime(2026, 2, 18, 0, 15, 0, tzinfo=UTC),
            id="dc:date",
        ),
    ],
)
def test_published_times_are_utc(name: str, expected: datetime) -> None:
    item = _first(name)
    assert item.published_at == expected
    assert item.published_at.utcoffset() == timedelta(0)
    assert item.published_estimated is False


def test_missing_date_is_first_seen_and_flagged() -> None:
    item = normalise_entry(
        RawEntry(title="No date", link="https://a.example/x"), source="s", now=NOW
    )
    assert item is not None
    assert (item.published_at, item.published_estimated) == (NOW, True)


def test_future_date_is_clamped() -> None:
    entry = RawEntry(title="Tomorrow", published=NOW + timedelta(days=1))
    item = normalise_entry(entry, source="s", now=NOW)
    assert item is not None
    assert (item.published_at, item.published_estimated) == (NOW, True)


def test_html_to_text_decodes_and_folds() -> None:
    html = "<p>Talks&nbsp;resume &amp; <b>hopes</b>\n\n rise</p><script>alert(1)</script>&#8217;"
    assert html_to_text(html) == "Talks resume & hopes rise \u2019"
    assert html_to_text("a < b and c > d", is_html=True) == "a < b and c > d"


def test_boilerplate_is_dropped_from_article_text() -> None:
    html = (
        "<p>Envoys met in Geneva.</p><p>- Sponsor -spot_img</p><p>Creator: someone</p>"
        "<p>Atlas News</p><p>Atlas Newshttps://staging.theatlasnews.co</p>"
        "<p>Second paragraph.</p><p>More In This Category</p><p>Other story</p>"
    )
    assert html_to_paragraphs(html, drop=("Atlas News",)) == (
        "Envoys met in Geneva.\n\nSecond paragraph."
    )


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        pytest.param(
            "https://WWW.Example.COM/a/b?utm_source=rss&id=3&fbclid=x#frag",
            None,
            "https://www.example.com/a/b?id=3",
            id="tracking-and-fragment",
        ),
        pytest.param(
            "/news/1?gclid=z",
            "https://outlet.example/feed.xml",
            "https://outlet.example/news/1",
            id="relative",
        ),
        pytest.param(
            "https://example.com:443/x", None, "https://example.com/x", id="default-port"
        ),
        pytest.param("javascript:alert(1)", None, None, id="not-http"),
        pytest.param("", None, None, id="empty"),
    ],
)
def test_canonical_url(url: str, base: str | None, expected: str | None) -> None:
    assert canonical_url(url, base) == expected


def test_seed_item_keeps_its_guid_and_text() -> None:
    feed = parse_document(
        (
            Path(__file__).parent.parent / "config/feeds/seed-atlas-news_2022-03-29.xml"
        ).read_bytes(),
        base_url="file:///x",
    )
    item = normalise_entry(feed.entries[0], source="Atlas News", now=NOW, feed_title=feed.title)
    assert item is not None
    assert item.guid == "parley-seed-atlas-news-2022-03-29"
    assert item.content is not None
    assert "Sponsor" not in item.content
    assert "More In This Category" not in item.content
    assert item.content.startswith("Negotiations in Turkey")
