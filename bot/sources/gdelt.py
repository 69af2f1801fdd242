"""GDELT DOC 2.0 API (``mode=ArtList&format=json``): request URL and response reading.

GDELT answers errors as plain text, sometimes with HTTP 200 ("One or more of your keywords were
too short…"), and its rate-limit notice is plain text too; so the body is read as text first
and only parsed as JSON when it looks like JSON. An empty result is ``{}``. Titles come with
spaces before punctuation ("Talks resume , officials say"), which are folded here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from bot.sources.types import ErrorKind, ParsedFeed, RawEntry, SourceError

MAX_RECORDS = 250
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)\]])")
_LANGUAGES = {
    "arabic": "ar",
    "chinese": "zh",
    "english": "en",
    "french": "fr",
    "german": "de",
    "hebrew": "he",
    "hindi": "hi",
    "italian": "it",
    "japanese": "ja",
    "korean": "ko",
    "persian": "fa",
    "polish": "pl",
    "portuguese": "pt",
    "russian": "ru",
    "spanish": "es",
    "turkish": "tr",
    "ukrainian": "uk",
    "urdu": "ur",
}


def gdelt_url(base_url: str, query: str, *, interval_seconds: float) -> str:
    """The ArtList request; the window is twice the interval so nothing falls between polls."""
    minutes = max(15, int(2 * interval_seconds // 60) + 1)
    timespan = f"{minutes // 60}h" if minutes >= 120 else f"{minutes}min"
    params = {
        "query": query,
        "mode": "ArtList",
        "format": "json",
        "sort": "DateDesc",
        "maxrecords": str(MAX_RECORDS),
        "timespan": timespan,
    }
    separator = "&" if urlsplit(base_url).query else "?"
    return f"{base_url}{separator}{urlencode(params)}"


def parse_gdelt(body: bytes) -> ParsedFeed:
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        raise SourceError(ErrorKind.EMPTY, "GDELT returned an empty body")
    if not text.startswith("{"):
        first_line = text.splitlines()[0][:200]
        if "limit requests" in text.lower():
            raise SourceError(ErrorKind.RATE_LIMITED, f"GDELT rate limit: {first_line[:80]}")
        raise SourceError(ErrorKind.QUERY, f"GDELT rejected the query: {first_line}")
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise SourceError(ErrorKind.PARSE, f"GDELT sent invalid JSON: {exc}") from None
    articles = document.get("articles", []) if isinstance(document, dict) else None
    if not isinstance(articles, list):
        raise SourceError(ErrorKind.NOT_A_FEED, "GDELT answer has no articles list")
    entries = [entry for entry in map(_entry, articles) if entry is not None]
    return ParsedFeed(entries=entries, title="GDELT DOC")


def _entry(article: object) -> RawEntry | None:
    if not isinstance(article, dict):
        return None
    url = article.get("url")
    title = article.get("title")
    if not isinstance(url, str) or not isinstance(title, str):
        return None
    language = str(article.get("language") or "").strip().lower()
    return RawEntry(
        link=url,
        title=_SPACE_BEFORE_PUNCT.sub(r"\1", title),
        summary_is_html=False,
        published=_seendate(article.get("seendate")),
        language=_LANGUAGES.get(language),
    )


def _seendate(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
