"""Fetch and parse one configured source, whatever its kind, into a ``FetchResult``.

This is the single entry point the poller and ``parley fetch`` use. It never raises for a
source's own failure: every expected problem comes back as ``FetchResult.error``, with the
entries that could still be recovered (a body cut off at the size cap is parsed up to the cut).

With ``defer_parse=True`` the body comes back unparsed (``FetchResult.document``) and the
caller runs ``parse_fetched`` itself, in a worker thread of its choosing: the poller parses and
normalises in one thread hop, and only once its store has room, so thousands of parsed entries
never pile up as live Python objects while the database catches up.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx

from bot.settings import PollingConfig, SourceConfig
from bot.sources.files import file_path, read_file
from bot.sources.gdelt import gdelt_url, parse_gdelt
from bot.sources.http import Politeness, fetch_url
from bot.sources.parse import parse_document
from bot.sources.types import (
    Document,
    ErrorKind,
    FetchResult,
    ParsedFeed,
    SourceError,
    Validators,
)


async def fetch_source(
    source: SourceConfig,
    validators: Validators,
    *,
    client: httpx.AsyncClient,
    politeness: Politeness,
    polling: PollingConfig,
    interval: float,
    defer_parse: bool = False,
) -> FetchResult:
    """One poll of ``source``; ``validators`` is what the last successful poll stored.

    ``defer_parse``: return a changed body as ``document`` (see ``parse_fetched``).
    """
    try:
        if source.kind == "file":
            result = await _fetch_file(source, validators, polling)
        elif source.kind == "gdelt":
            result = await _fetch_gdelt(source, validators, client, politeness, polling, interval)
        else:
            result = await _fetch_feed(source, validators, client, politeness, polling)
    except SourceError as exc:
        return FetchResult(changed=False, status=exc.status, error=exc)
    if result.document is None or defer_parse:
        return result
    async with politeness.parsing():
        return await asyncio.to_thread(parse_fetched, result)


def parse_fetched(result: FetchResult) -> FetchResult:
    """Parse ``result.document`` (blocking: call it in a worker thread).

    The outcome is what ``fetch_source`` returns without ``defer_parse``: the parsed ``feed``,
    or for a document with nothing in it an error result that keeps no validators (the next
    poll fetches again). A cut-off body that does not parse keeps its size error, no entries.
    """
    document = result.document
    if document is None:
        return result
    result.document = None
    try:
        result.feed = _parse(document)
    except SourceError as exc:
        if document.lenient:
            result.feed = None
            return result
        return FetchResult(changed=False, status=exc.status, error=exc)
    return result


def _parse(document: Document) -> ParsedFeed:
    if document.kind == "gdelt":
        return parse_gdelt(document.body)
    return parse_document(
        document.body, base_url=document.base_url, content_type=document.content_type
    )


async def _fetch_feed(
    source: SourceConfig,
    validators: Validators,
    client: httpx.AsyncClient,
    politeness: Politeness,
    polling: PollingConfig,
) -> FetchResult:
    async with politeness.slot(source.url):
        response = await fetch_url(
            client, source.url, validators=validators, max_bytes=polling.max_body_bytes
        )
    if response.status == 304:
        return FetchResult(
            changed=False,
            status=304,
            not_modified=True,
            validators=validators,
            max_age_seconds=response.max_age_seconds,
        )
    result = FetchResult(
        changed=True,
        status=response.status,
        validators=response.validators,
        max_age_seconds=response.max_age_seconds,
        base_url=response.url,
    )
    if response.truncated:
        return _truncated(result, response.body, polling, response.url)
    if response.validators.body_hash == validators.body_hash:
        result.changed = False
        return result
    content_type = response.headers.get("content-type")
    result.document = Document(response.body, response.url, content_type)
    return result


async def _fetch_file(
    source: SourceConfig, validators: Validators, polling: PollingConfig
) -> FetchResult:
    body, new_validators, truncated = await asyncio.to_thread(
        read_file, source.url, validators, max_bytes=polling.max_body_bytes
    )
    if body is None:
        return FetchResult(changed=False, not_modified=True, validators=validators)
    base_url = file_path(source.url).resolve().as_uri()
    result = FetchResult(changed=True, validators=new_validators, base_url=base_url)
    if truncated:
        return _truncated(result, body, polling, base_url)
    if new_validators.body_hash == validators.body_hash:
        result.changed = False
        return result
    result.document = Document(body, base_url)
    return result


async def _fetch_gdelt(
    source: SourceConfig,
    validators: Validators,
    client: httpx.AsyncClient,
    politeness: Politeness,
    polling: PollingConfig,
    interval: float,
) -> FetchResult:
    host = (urlsplit(source.url).hostname or "").lower()
    politeness.space_host(host, polling.gdelt_min_spacing_seconds)
    url = gdelt_url(source.url, source.query or "", interval_seconds=interval)
    async with politeness.slot(url):
        response = await fetch_url(
            client, url, max_bytes=polling.max_body_bytes, accept="application/json"
        )
    result = FetchResult(
        changed=True,
        status=response.status,
        validators=Validators(body_hash=response.validators.body_hash),
        base_url=response.url,
    )
    if response.truncated:
        raise SourceError(ErrorKind.TOO_LARGE, f"GDELT answer over {polling.max_body_bytes} bytes")
    if response.validators.body_hash == validators.body_hash:
        result.changed = False
        return result
    result.document = Document(response.body, response.url, kind="gdelt")
    return result


def _truncated(result: FetchResult, body: bytes, polling: PollingConfig, url: str) -> FetchResult:
    """Keep what the first ``max_body_bytes`` hold, but record the source as failing.

    The validators are not kept, so the next poll fetches again instead of trusting a cut body.
    """
    result.error = SourceError(
        ErrorKind.TOO_LARGE, f"body over {polling.max_body_bytes} bytes, cut off"
    )
    result.validators = Validators()
    result.document = Document(body, url, lenient=True)
    return result
