"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) → ``ParsedFeed``.

Lenient like the XML path: an item that is not an object, or has neither a title nor any text,
is skipped rather than failing the whole feed; a document that is not JSON Feed at all is an
error with a one-line reason.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.sources.types import ErrorKind, ParsedFeed, RawEntry, SourceError

_VERSION_PREFIX = "https://jsonfeed.org/version/"


def looks_like_json(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def parse_json_feed(body: bytes) -> ParsedFeed:
    try:
        document = json.loads(body.decode("utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise SourceError(ErrorKind.PARSE, f"invalid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise SourceError(ErrorKind.NOT_A_FEED, "not a feed: JSON without an items list")
    version = str(document.get("version") or "")
    warning = None
    if not version.startswith(_VERSION_PREFIX):
        warning = f"JSON Feed without a known version ({version or 'none'}); read anyway"
    language = _text(document.get("language"))
    entries = []
    skipped = 0
    for item in document["items"]:
        entry = _entry(item, language) if isinstance(item, dict) else None
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    if skipped:
        note = f"skipped {skipped} unusable items"
        warning = f"{warning}; {note}" if warning else note
    return ParsedFeed(
        entries=entries,
        title=_text(document.get("title")),
        link=_text(document.get("home_page_url")),
        language=language.lower() if language else None,
        warning=warning,
    )


def _entry(item: dict[str, Any], feed_language: str | None) -> RawEntry | None:
    title = _text(item.get("title"))
    html = _text(item.get("content_html"))
    plain = _text(item.get("content_text"))
    summary = _text(item.get("summary"))
    if not (title or html or plain or summary):
        return None
    item_id = item.get("id")
    authors = item.get("authors") or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    author = next(
        (name for a in authors if isinstance(a, dict) and (name := _text(a.get("name")))), None
    )
    language = _text(item.get("language")) or feed_language
    return RawEntry(
        guid=str(item_id) if item_id not in (None, "") else None,
        link=_text(item.get("url")) or _text(item.get("external_url")),
        title=title,
        summary=summary,
        summary_is_html=False,
        content=html or plain,
        content_is_html=html is not None,
        published=_when(item.get("date_published")) or _when(item.get("date_modified")),
        author=author,
        language=language.lower() if language else None,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
