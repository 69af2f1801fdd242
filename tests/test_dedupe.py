"""Item identity: BBC GUID suffixes, repeated GUIDs, URL variants across outlets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.pipeline.dedupe import fingerprint, unique_in_batch, url_hash
from bot.pipeline.normalise import NormalisedItem, canonical_url, normalise_entry
from bot.sources import RawEntry, parse_document

FEEDS = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2026, 2, 20, tzinfo=UTC)


def _items(name: str, source: str = "s") -> list[NormalisedItem]:
    feed = parse_document((FEEDS / name).read_bytes(), base_url="https://x.example/feed")
    items = [normalise_entry(e, source=source, now=NOW) for e in feed.entries]
    return [item for item in items if item is not None]


def _item(source: str = "s", **fields: object) -> NormalisedItem:
    entry = RawEntry(**{"title": "Talks resume", **fields})  # type: ignore[arg-type]
    item = normalise_entry(entry, source=source, now=NOW)
    assert item is not None
    return item


def test_bbc_guid_suffixes_are_one_article() -> None:
    variants = [
        _item(guid=f"https://www.bbc.com/news/articles/cp81l0e1eg5o#{n}", link=link)
        for n, link in enumerate(
            [
                "https://www.bbc.com/news/articles/cp81l0e1eg5o",
                "https://www.bbc.com/news/articles/cp81l0e1eg5o?at_medium=RSS&at_campaign=rss",
            ]
        )
    ]
    assert fingerprint(variants[0]) == fingerprint(variants[1])
    assert len(unique_in_batch(variants)) == 1


def test_repeated_guids_in_one_feed_collapse() -> None:
    items = _items("al-monitor_2026-02-17.xml")
    assert len(items) == 20
    assert len(unique_in_batch(items)) == 11


def test_same_article_under_two_urls_is_one_item() -> None:
    a = _item(source="Outlet A", link="https://www.example.com/world/peace-talks?utm_source=tw")
    b = _item(source="Outlet B", link="http://example.com/world/peace-talks/#comments")
    assert url_hash(a.url) == url_hash(b.url)
    assert len(unique_in_batch([a, b])) == 1


def test_opaque_guids_are_scoped_by_source() -> None:
    a = _item(source="Outlet A", guid="12345", title="One")
    b = _item(source="Outlet B", guid="12345", title="Two")
    assert fingerprint(a) != fingerprint(b)


def test_home_page_links_are_not_identities() -> None:
    assert url_hash(canonical_url("https://staging.theatlasnews.co/")) is None
    a = _item(guid="seed-a", link="https://staging.theatlasnews.co/", title="A")
    b = _item(guid="seed-b", link="https://staging.theatlasnews.co/", title="B")
    assert len(unique_in_batch([a, b])) == 2


def test_fingerprints_are_stable_and_wide() -> None:
    items = _items("bbc_world_2026-02-18.xml")
    first = [fingerprint(item) for item in items]
    again = [fingerprint(item) for item in _items("bbc_world_2026-02-18.xml")]
    assert first == again
    assert all(len(fp) == 64 for fp in first)
