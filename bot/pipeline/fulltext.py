"""Optional full-article text for sources with ``full_text = true``, kept for summaries.

trafilatura (the ``fulltext`` extra) is used when installed: it is maintained and strips page
furniture well. Without it a small fallback keeps the page's ``<p>`` paragraphs and drops the
same boilerplate as feed bodies, which is enough for a 1–3 sentence summary. Both are capped
in time and size: a slow or huge page costs the item its full text, never the poll.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import httpx

from bot.pipeline.normalise import MAX_CONTENT_CHARS, html_to_paragraphs
from bot.sources.http import Politeness, fetch_url
from bot.sources.types import SourceError

_LOGGER = logging.getLogger(__name__)
_PARAGRAPHS = re.compile(r"<p\b[^>]*>(.*?)</p\s*>", re.IGNORECASE | re.DOTALL)
MAX_PAGE_BYTES = 3_000_000
MIN_USEFUL_CHARS = 200


def _trafilatura() -> Any | None:
    try:
        import trafilatura
    except ImportError:
        return None
    return trafilatura


def extract_text(page: str, *, url: str | None = None, drop: tuple[str, ...] = ()) -> str | None:
    """Article text from an HTML page (CPU-bound: call it in a worker thread)."""
    module = _trafilatura()
    text: str | None = None
    if module is not None:
        text = module.extract(
            page, url=url, include_comments=False, include_tables=False, favor_precision=True
        )
    if text:
        text = html_to_paragraphs(text.replace("\n", "\n\n"), is_html=False, drop=drop)
    else:
        paragraphs = "\n".join(_PARAGRAPHS.findall(page))
        text = html_to_paragraphs(paragraphs, drop=drop)
    if len(text) < MIN_USEFUL_CHARS:
        return None
    return text[:MAX_CONTENT_CHARS]


async def fetch_full_text(
    client: httpx.AsyncClient,
    url: str,
    *,
    politeness: Politeness,
    time_cap: float = 15.0,
    drop: tuple[str, ...] = (),
) -> str | None:
    """Download and extract one article; None on any failure (logged at debug level)."""
    try:
        async with asyncio.timeout(time_cap):
            async with politeness.slot(url):
                response = await fetch_url(
                    client, url, max_bytes=MAX_PAGE_BYTES, accept="text/html,*/*;q=0.5"
                )
            page = response.body.decode(response_encoding(response.headers), errors="replace")
            async with politeness.parsing():
                return await asyncio.to_thread(extract_text, page, url=url, drop=drop)
    except (SourceError, TimeoutError) as exc:
        _LOGGER.debug("no full text for %s: %s", url, exc)
        return None


def response_encoding(headers: httpx.Headers) -> str:
    match = re.search(r"charset=([\w-]+)", headers.get("content-type", ""), re.IGNORECASE)
    if match:
        try:
            "".encode(match[1])
        except LookupError:
            return "utf-8"
        return match[1]
    return "utf-8"
