"""Polling cycles against the fake feed server and a real database (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Item, ItemState, Source, utcnow
from bot.pipeline import poll, store
from bot.pipeline.dedupe import fingerprint, url_hash
from bot.pipeline.normalise import NormalisedItem
from bot.pipeline.poll import poll_sources, resume_source, sync_sources
from bot.settings import AdminConfig, PollingConfig, SourceConfig
from bot.sources import FetchResult, Politeness, create_http_client
from bot.sources.state import load_states
from tests.fakes.feed_server import FEEDS_DIR, FeedServer

POLLING = PollingConfig(
    connect_timeout_seconds=2,
    read_timeout_seconds=0.5,
    max_body_bytes=300_000,
    min_interval_seconds=60,
    default_interval_seconds=600,
    backoff_max_seconds=3600,
    pause_after_failures=3,
)
Maker = async_sessionmaker[AsyncSession]


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with create_http_client(POLLING) as http:
        yield http


def _config(*sources: dict[str, Any]) -> AdminConfig:
    return AdminConfig(
        polling=POLLING,
        sources=[SourceConfig(**{"kind": "rss", **source}) for source in sources],
    )


async def _count(sessionmaker: Maker) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Item)) or 0)


async def _source(sessionmaker: Maker, name: str) -> Source:
    async with sessionmaker() as session:
        row = await session.scalar(select(Source).where(Source.name == name))
        assert row is not None
        return row


async def test_poll_stores_new_items_once(
    sessionmaker: Maker, server: FeedServer, client: httpx.AsyncClient
) -> None:
    config = _config(
        {"name": "BBC", "url": server.serve_file("/bbc.xml", "bbc_world_2026-02-18.xml")}
    )
    first = await poll_sources(sessionmaker, client, config)
    assert [(s.name, s.outcome, s.new_items) for s in first.sources] == [("BBC", "new", 33)]
    assert len(first.new_item_ids) == 33
    async with sessionmaker() as session:
        states = set((await session.scalars(select(Item.state))).all())
    assert states == {ItemState.NEW}
    second = await poll_sources(sessionmaker, client, config, only_due=False)
    assert second.sources[0].outcome == "not_modified"
    assert second.new_item_ids == []
    assert await _count(sessionmaker) == 33
    row = await _source(sessionmaker, "BBC")
    assert (row.fetch_count, row.not_modified_count, row.items_seen, row.error_streak) == (
        2,
        1,
        33,
        0,
    )
    assert row.etag and row.last_success_at is not None
    assert row.feed_ttl_seconds == 15 * 60


async def test_due_sources_only(
    sessionmaker: Maker, server: FeedServer, client: httpx.AsyncClient
) -> None:
    config = _config(
        {"name": "NPR", "url": server.serve_file("/npr.xml", "npr_world_2026-02-17.xml")}
    )
    await poll_sources(sessionmaker, client, config)
    again = await poll_sources(sessionmaker, client, config)
    assert again.sources[0].outcome == "not_due"
    later = await poll_sources(sessionmaker, client, config, now=utcnow() + timedelta(hours=1))
    assert later.sources[0].outcome == "not_modified"
    assert len(server.hits("/npr.xml")) == 2


async def test_broken_source_does_not_stop_the_others(
    sessionmaker: Maker, server: FeedServer, client: httpx.AsyncClient
) -> None:
    config = _config(
        {"name": "Slow", "url": server.serve("/slow", delay=3.0)},
        {"name": "Down", "url": server.serve("/down", status=500)},
        {
            "name": "HTML",
            "url": server.serve(
                "/html", body="<html><body>hi</body></html>", content_type="text/html"
            ),
        },
        {"name": "Dawn", "url": server.serve_file("/dawn.xml", "dawn_world_2026-02-18.xml")},
    )
    report = await poll_sources(sessionmaker, client, config)
    outcomes = {s.name: (s.outcome, s.new_items) for s in report.sources}
    assert outcomes["Dawn"] == ("new", 30)
    assert {outcomes[name][0] for name in ("Slow", "Down", "HTML")} == {"error"}
    down = await _source(sessionmaker, "Down")
    assert (down.error_streak, down.last_error_kind, down.last_status) == (1, "http", 500)
    assert await _count(sessionmaker) == 30


async def test_errors_back_off_then_pause(
    sessionmaker: Maker, server: FeedServer, client: httpx.AsyncClient
) -> None:
    config = _config(
        {"name": "Down", "url": server.serve("/down", status=502), "interval_seconds": 120}
    )
    delays = []
    for _ in range(3):
        start = utcnow()
        report = await poll_sources(sessionmaker, client, config, only_due=False)
        next_at = report.sources[0].next_poll_at
        assert next_at is not None
        delays.append(round((next_at - start).total_seconds() / 60))
    assert delays == [2, 4, 8]
    assert report.sources[0].newly_paused
    row = await _source(sessionmaker, "Down")
    assert row.paused_at is not None and "3 failed polls" in (row.pause_reason or "")
    paused = await poll_sources(sessionmaker, client, config, only_due=False)
    assert paused.sources[0].outcome == "paused"
    assert len(server.hits("/down")) == 3
    assert await resume_source(sessionmaker, "Down")
    server.serve_file("/down", "npr_world_2026-02-17.xml")
    back = await poll_sources(sessionmaker, client, config)
    assert (back.sources[0].outcome, back.sources[0].new_items) == ("new", 10)
    assert (await _source(sessionmaker, "Down")).error_streak == 0


async def test_retry_after_is_honoured(
    sessionmaker: Maker, server: FeedServer, client: httpx.AsyncClient
) -> None:
    url = server.serve("/limited", status=429, headers={"Retry-After": "1800"})
    config = _config({"name": "Busy", "url": url, "interval_seconds": 60})
    start = utcnow()
    report = await poll_sources(sessionmaker, client, config)
    next_at = report.sources[0].next_poll_at
    assert next_at is not None and next_at - start >= timedelta(seconds=1800)
    assert (await _source(sessionmaker, "Busy")).last_error_kind == "rate_limited"


async def test_cache_control_stretches_the_interval(
    sessionmaker: Maker, server: FeedServer, client: httpx.AsyncClient
) -> None:
    url = server.serve_file(
        "/npr.xml", "npr_world_2026-02-17.xml", headers={"Cache-Control": "max-age=2400"}
    )
    config = _config({"name": "NPR", "url": url, "interval_seconds": 60})
    start = utcnow()
    report = await poll_sources(sessionmaker, client, config)
    next_at = report.sources[0].next_poll_at
    assert next_at is not None and timedelta(seconds=2400) <= next_at - start < timedelta(
        seconds=2500
    )


async def test_same_article_from_two_outlets_is_stored_once(
    sessionmaker: Maker, server: FeedServer, client: httpx.AsyncClient
) -> None:
    item = (
        '<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">{guid}</guid>'
        "<pubDate>Tue, 17 Feb 2026 10:00:00 GMT</pubDate></item>"
    )

    def feed(*items: str) -> str:
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{"".join(items)}</channel></rss>'

    a = feed(
        item.format(
            title="Talks resume",
            link="https://www.wire.example/2026/talks?utm_source=a",
            guid="a-1",
        )
    )
    b = feed(
        item.format(
            title="Talks resume in Geneva",
            link="http://wire.example/2026/talks/?fbclid=q",
            guid="b-9",
        ),
        item.format(title="Another story", link="https://b.example/other", guid="b-10"),
    )
    config = _config(
        {"name": "A", "url": server.serve("/a.xml", a)},
        {"name": "B", "url": server.serve("/b.xml", b)},
    )
    report = await poll_sources(sessionmaker, client, config)
    assert sum(s.new_items for s in report.sources) == 2
    assert await _count(sessionmaker) == 2


async def test_bbc_guid_suffix_change_across_polls(
    sessionmaker: Maker, server: FeedServer, client: httpx.AsyncClient
) -> None:
    body = (FEEDS_DIR / "bbc_world_2026-02-18.xml").read_bytes()
    config = _config({"name": "BBC", "url": server.serve("/bbc.xml", body)})
    await poll_sources(sessionmaker, client, config)
    server.serve(
        "/bbc.xml", body.replace(b"#0</guid>", b"#1</guid>").replace(b"#1</guid>", b"#2</guid>")
    )
    report = await poll_sources(sessionmaker, client, config, only_due=False)
    assert report.sources[0].outcome == "unchanged"
    assert await _count(sessionmaker) == 33


async def test_file_sources_from_the_bundled_config(
    sessionmaker: Maker,
    client: httpx.AsyncClient,
    repo_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(repo_root)
    config = _config(
        {
            "name": "Atlas News",
            "kind": "file",
            "url": "config/feeds/seed-atlas-news_2022-03-29.xml",
        },
        {
            "name": "Seed article B",
            "kind": "file",
            "url": "config/feeds/seed-second-outlet_2022-03-29.xml",
        },
    )
    first = await poll_sources(sessionmaker, client, config)
    assert sorted(s.new_items for s in first.sources) == [1, 1]
    again = await poll_sources(sessionmaker, client, config, only_due=False)
    assert {s.outcome for s in again.sources} == {"not_modified"}
    async with sessionmaker() as session:
        item = await session.scalar(
            select(Item).where(Item.guid == "parley-seed-atlas-news-2022-03-29")
        )
    assert item is not None and item.content is not None and "Sponsor" not in item.content
    assert item.url_hash is None and item.language == "en"


async def test_sync_sources_resets_state_when_url_changes(
    sessionmaker: Maker, server: FeedServer, client: httpx.AsyncClient
) -> None:
    config = _config(
        {"name": "S", "url": server.serve_file("/one.xml", "npr_world_2026-02-17.xml")}
    )
    await poll_sources(sessionmaker, client, config)
    moved = _config(
        {"name": "S", "url": server.serve_file("/two.xml", "npr_world_2026-02-17.xml")}
    )
    await sync_sources(sessionmaker, moved)
    row = await _source(sessionmaker, "S")
    assert (row.url, row.etag, row.body_hash, row.next_poll_at) == (
        server.url("/two.xml"),
        None,
        None,
        None,
    )


async def test_cycle_timeout_reports_unfinished_sources(
    sessionmaker: Maker, server: FeedServer, client: httpx.AsyncClient
) -> None:
    polling = POLLING.model_copy(update={"cycle_timeout_seconds": 0.3, "read_timeout_seconds": 5})
    config = AdminConfig(
        polling=polling,
        sources=[
            SourceConfig(name="Stuck", kind="rss", url=server.serve("/stuck", delay=3)),
            SourceConfig(
                name="Fine",
                kind="rss",
                url=server.serve_file("/npr.xml", "npr_world_2026-02-17.xml"),
            ),
        ],
    )
    report = await poll_sources(
        sessionmaker, client, config, politeness=Politeness.from_config(polling)
    )
    outcomes = {s.name: s for s in report.sources}
    assert outcomes["Fine"].outcome == "new"
    assert outcomes["Stuck"].outcome == "error" and "cycle_timeout" in (
        outcomes["Stuck"].error or ""
    )
    assert (await _source(sessionmaker, "Stuck")).last_error_kind == "cycle_timeout"


async def test_a_source_that_cannot_be_stored_fails_alone(
    sessionmaker: Maker,
    server: FeedServer,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Group commit puts several sources in one transaction; one bad row must not cost the
    others their items (the batch is retried one source per transaction)."""
    real_row = store.item_row

    def poisoned(source_id: int, item: NormalisedItem, *args: Any) -> dict[str, Any]:
        row = real_row(source_id, item, *args)
        if item.source == "Bad":  # the database type refuses naive datetimes
            row["published_at"] = row["published_at"].replace(tzinfo=None)
        return row

    monkeypatch.setattr(poll, "item_row", poisoned)
    config = _config(
        {"name": "Bad", "url": server.serve_file("/bbc.xml", "bbc_world_2026-02-18.xml")},
        {"name": "Dawn", "url": server.serve_file("/dawn.xml", "dawn_world_2026-02-18.xml")},
    )
    report = await poll_sources(sessionmaker, client, config)
    outcomes = {s.name: (s.outcome, s.new_items) for s in report.sources}
    assert outcomes == {"Bad": ("error", 0), "Dawn": ("new", 30)}
    assert await _count(sessionmaker) == 30
    assert (await _source(sessionmaker, "Bad")).last_error_kind == "internal"


async def test_store_writer_batches_dedupes_and_isolates_failures(
    sessionmaker: Maker, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(
        {"name": "A", "url": "http://127.0.0.1:9/a"},
        {"name": "B", "url": "http://127.0.0.1:9/b"},
        {"name": "C", "url": "http://127.0.0.1:9/c"},
    )
    states = await load_states(sessionmaker, config)
    now = utcnow()

    def rows(name: str, urls: list[str], *, naive: bool = False) -> list[store.Prepared]:
        prepared: list[store.Prepared] = []
        for index, url in enumerate(urls):
            item = NormalisedItem(
                source=name,
                guid=f"{name}-{index}",
                url=url,
                title=f"story {index}",
                summary="",
                content=None,
                published_at=now.replace(tzinfo=None) if naive else now,
                published_estimated=False,
                language=None,
                author=None,
            )
            fp, u_hash = fingerprint(item), url_hash(url)
            prepared.append((fp, u_hash, store.item_row(states[name].id, item, fp, u_hash, now)))
        return prepared

    fetched = FetchResult(changed=True, status=200)
    jobs = [
        store.StoreJob(sessionmaker, states["A"], fetched, rows("A", [A0, A1]), now, 600, POLLING),
        store.StoreJob(
            sessionmaker, states["B"], fetched, rows("B", [B0], naive=True), now, 600, POLLING
        ),
        # C carries A's first article under its own GUID: stored once, by A.
        store.StoreJob(sessionmaker, states["C"], fetched, rows("C", [C0, A0]), now, 600, POLLING),
    ]
    writer = store.StoreWriter(asyncio.Lock())
    # Queued before the writer task first runs, so all three go into one transaction.
    a, b, c = await asyncio.gather(*(writer.store(job) for job in jobs), return_exceptions=True)
    assert "storing 3 sources in one transaction failed" in caplog.text
    assert isinstance(b, Exception)
    assert not isinstance(a, BaseException) and not isinstance(c, BaseException)
    assert (len(a[0]), len(c[0])) == (2, 1)
    assert a[1].values["items_seen"] == 2 and c[1].values["items_seen"] == 1
    assert await _count(sessionmaker) == 3
    assert (await _source(sessionmaker, "C")).items_seen == 1
    assert (await _source(sessionmaker, "B")).fetch_count == 0


A0, A1 = "https://a.example/news/0", "https://a.example/news/1"
B0, C0 = "https://b.example/news/0", "https://c.example/news/0"
