"""Fetching against a real HTTP server on 127.0.0.1: conditional GET, limits, broken input."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.settings import PollingConfig, SourceConfig
from bot.sources import (
    ErrorKind,
    FetchResult,
    Politeness,
    Validators,
    create_http_client,
    fetch_source,
)
from tests.fakes.feed_server import FEEDS_DIR, FeedServer

POLLING = PollingConfig(
    connect_timeout_seconds=2,
    read_timeout_seconds=0.5,
    max_body_bytes=300_000,
    max_redirects=3,
    gdelt_min_spacing_seconds=0.01,
)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with create_http_client(POLLING) as http:
        yield http


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    validators: Validators | None = None,
    kind: str = "rss",
    **extra: str,
) -> FetchResult:
    source = SourceConfig(name="t", kind=kind, url=url, **extra)
    return await fetch_source(
        source,
        validators or Validators(),
        client=client,
        politeness=Politeness.from_config(POLLING),
        polling=POLLING,
        interval=600,
    )


async def test_conditional_get_sends_validators_and_304_is_no_work(server, client) -> None:
    url = server.serve_file(
        "/bbc.xml", "bbc_world_2026-02-18.xml", last_modified="Wed, 18 Feb 2026 00:00:00 GMT"
    )
    first = await _fetch(client, url)
    assert first.error is None and first.feed is not None
    assert len(first.feed.entries) == 33
    assert first.validators.etag and first.validators.last_modified
    second = await _fetch(client, url, first.validators)
    assert (second.not_modified, second.changed, second.feed) == (True, False, None)
    sent = server.hits("/bbc.xml")[1].headers
    assert sent["If-None-Match"] == first.validators.etag
    assert sent["If-Modified-Since"] == "Wed, 18 Feb 2026 00:00:00 GMT"


async def test_same_body_without_validators_is_unchanged(server, client) -> None:
    url = server.serve_file("/npr.xml", "npr_world_2026-02-17.xml", etag=False)
    first = await _fetch(client, url)
    second = await _fetch(client, url, first.validators)
    assert first.changed and first.feed is not None
    assert (second.changed, second.not_modified, second.feed, second.error) == (
        False,
        False,
        None,
        None,
    )


async def test_cache_headers_are_reported(server, client) -> None:
    url = server.serve_file(
        "/c.xml", "csmonitor_all_2026-02-17.xml", headers={"Cache-Control": "public, max-age=1800"}
    )
    result = await _fetch(client, url)
    assert result.max_age_seconds == 1800
    assert result.feed is not None and result.feed.ttl_seconds == 300 * 60


@pytest.mark.parametrize(
    ("options", "kind", "text"),
    [
        pytest.param({"status": 500}, ErrorKind.HTTP, "HTTP 500", id="5xx"),
        pytest.param(
            {"status": 429, "headers": {"Retry-After": "120"}},
            ErrorKind.RATE_LIMITED,
            "retry after 120",
            id="429",
        ),
        pytest.param({"status": 410}, ErrorKind.GONE, "410", id="410"),
        pytest.param({"body": b""}, ErrorKind.EMPTY, "empty", id="empty-200"),
        pytest.param(
            {
                "body": b"<!DOCTYPE html><html><body><p>Welcome</p></body></html>",
                "content_type": "text/html",
            },
            ErrorKind.NOT_A_FEED,
            "HTML page (text/html)",
            id="html-page",
        ),
        pytest.param({"delay": 2.0}, ErrorKind.TIMEOUT, "Timeout", id="timeout"),
        pytest.param({"body": b'{"hello": 1}'}, ErrorKind.NOT_A_FEED, "items", id="json-not-feed"),
    ],
)
async def test_failures_are_values(server, client, options, kind, text) -> None:
    url = server.serve("/bad", **options)
    result = await _fetch(client, url)
    assert result.error is not None
    assert result.error.kind == kind
    assert text in str(result.error)
    assert result.feed is None


async def test_retry_after_http_date(server, client) -> None:
    url = server.serve(
        "/busy", status=503, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}
    )
    result = await _fetch(client, url)
    assert result.error is not None and result.error.kind == ErrorKind.RATE_LIMITED
    assert result.error.retry_after is not None and result.error.retry_after > 86400


async def test_redirect_loop_is_an_error(server, client) -> None:
    server.serve("/a", redirect_to="/b")
    url = server.serve("/b", redirect_to="/a")
    result = await _fetch(client, url)
    assert result.error is not None and result.error.kind == ErrorKind.REDIRECTS


async def test_redirect_is_followed(server, client) -> None:
    server.serve_file("/new.xml", "npr_world_2026-02-17.xml")
    url = server.serve("/old.xml", redirect_to="/new.xml")
    result = await _fetch(client, url)
    assert result.error is None and result.feed is not None and len(result.feed.entries) == 10


async def test_huge_body_is_cut_off_and_its_entries_kept(server, client) -> None:
    head = (FEEDS_DIR / "bbc_world_2026-02-18.xml").read_bytes()[:20_000]
    url = server.serve("/huge", body=head, endless=True)
    result = await _fetch(client, url)
    assert result.error is not None and result.error.kind == ErrorKind.TOO_LARGE
    assert result.feed is not None and len(result.feed.entries) >= 5
    assert result.validators == Validators()


async def test_truncated_xml_recovers_entries(server, client) -> None:
    body = (FEEDS_DIR / "bbc_world_2026-02-18.xml").read_bytes()[:12_000]
    url = server.serve("/cut.xml", body=body)
    result = await _fetch(client, url)
    assert result.error is None and result.feed is not None
    assert result.feed.warning is not None and "malformed" in result.feed.warning
    assert 5 <= len(result.feed.entries) < 33


async def test_wrong_encoding_still_parses(server, client) -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        "<item><title>Caf\xe9 talks in Gen\xe8ve</title><guid>1</guid></item></channel></rss>"
    ).encode("latin-1")
    url = server.serve("/latin.xml", body=body)
    result = await _fetch(client, url)
    assert result.feed is not None and len(result.feed.entries) == 1
    assert "talks in Gen" in (result.feed.entries[0].title or "")


async def test_json_feed(server, client) -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JF",
        "language": "en",
        "items": [
            {
                "id": "1",
                "url": "https://jf.example/1",
                "title": "Truce holds",
                "content_html": "<p>Calm.</p>",
                "date_published": "2026-02-17T10:00:00+02:00",
            },
            {
                "id": "2",
                "content_text": "No title here but text",
                "date_modified": "2026-02-17T10:00:00Z",
            },
            "junk",
        ],
    }
    url = server.serve(
        "/feed.json", body=json.dumps(document), content_type="application/feed+json"
    )
    result = await _fetch(client, url, kind="jsonfeed")
    assert result.feed is not None
    first, second = result.feed.entries
    assert (first.title, first.link, first.published and first.published.hour) == (
        "Truce holds",
        "https://jf.example/1",
        8,
    )
    assert second.content == "No title here but text" and not second.content_is_html
    assert result.feed.warning == "skipped 1 unusable items"


async def test_gdelt_artlist(server, client) -> None:
    server.serve(
        "/api/v2/doc/doc",
        body=(FEEDS_DIR / "gdelt/overwatch_vizhinjam_2024.json").read_bytes(),
        content_type="application/json",
    )
    result = await _fetch(client, server.url("/api/v2/doc/doc"), kind="gdelt", query="vizhinjam")
    assert result.error is None and result.feed is not None
    assert len(result.feed.entries) == 4
    first = result.feed.entries[0]
    assert (
        first.published is not None and first.published.isoformat() == "2024-06-15T17:00:00+00:00"
    )
    assert first.language == "en"
    sent = server.hits("/api/v2/doc/doc")[0].query
    assert (sent["mode"], sent["format"], sent["query"]) == ("ArtList", "json", "vizhinjam")
    assert all(
        " ," not in (entry.title or "") and " ;" not in (entry.title or "")
        for entry in result.feed.entries
    )


@pytest.mark.parametrize(
    ("file", "status", "kind"),
    [
        pytest.param("overwatch_keyword_error.txt", 200, ErrorKind.QUERY, id="query-error-200"),
        pytest.param("overwatch_rate_limited.txt", 429, ErrorKind.RATE_LIMITED, id="429-text"),
        pytest.param(
            "overwatch_rate_limited.txt", 200, ErrorKind.RATE_LIMITED, id="rate-text-200"
        ),
    ],
)
async def test_gdelt_plain_text_errors(server, client, file, status, kind) -> None:
    body = (FEEDS_DIR / "gdelt" / file).read_bytes()
    url = server.serve("/gd", body=body, status=status, content_type="text/html")
    result = await _fetch(client, url, kind="gdelt", query="x y z")
    assert result.error is not None and result.error.kind == kind


async def test_gdelt_empty_answer(server, client) -> None:
    url = server.serve("/gd", body=b"{}", content_type="application/json")
    result = await _fetch(client, url, kind="gdelt", query="nothing")
    assert result.error is None and result.feed is not None and result.feed.entries == []


async def test_file_source_change_detection(tmp_path: Path, client) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes((FEEDS_DIR / "npr_world_2026-02-17.xml").read_bytes())
    first = await _fetch(client, str(path), kind="file")
    assert first.feed is not None and len(first.feed.entries) == 10
    second = await _fetch(client, path.as_uri(), first.validators, kind="file")
    assert second.not_modified and second.feed is None
    path.write_bytes(path.read_bytes())  # rewritten, same bytes: new mtime, same hash
    import os

    os.utime(path, ns=(1, 1))
    third = await _fetch(client, str(path), first.validators, kind="file")
    assert (third.changed, third.not_modified, third.feed) == (False, False, None)


async def test_missing_file_is_an_error(tmp_path: Path, client) -> None:
    result = await _fetch(client, str(tmp_path / "nope.xml"), kind="file")
    assert result.error is not None and result.error.kind == ErrorKind.FILE


@pytest.mark.parametrize(
    ("name", "entries"),
    [
        pytest.param("un-news_europe_2022-04-01.xml", 30, id="un-news"),
        pytest.param("bbc_world_2026-02-18.xml", 33, id="bbc"),
        pytest.param("dawn_world_2026-02-18.xml", 30, id="dawn"),
    ],
)
async def test_bundled_feeds_parse_completely(
    repo_root: Path, client, name: str, entries: int
) -> None:
    result = await _fetch(client, str(repo_root / "config" / "feeds" / name), kind="file")
    assert result.error is None and result.feed is not None
    assert len(result.feed.entries) == entries
