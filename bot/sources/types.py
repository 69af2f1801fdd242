"""Values that cross the fetch/parse boundary: raw entries, parsed feeds, fetch outcomes, errors.

Parsers hand back plain strings exactly as the feed had them (HTML included); turning them into
clean text, canonical URLs and UTC datetimes is the normaliser's job, so every source kind goes
through the same rules.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


class ErrorKind(enum.StrEnum):
    """Why a fetch failed; stored in ``sources.last_error_kind`` so admins can group failures."""

    TIMEOUT = "timeout"
    NETWORK = "network"
    HTTP = "http"
    RATE_LIMITED = "rate_limited"
    TOO_LARGE = "too_large"
    REDIRECTS = "redirects"
    NOT_A_FEED = "not_a_feed"
    PARSE = "parse"
    EMPTY = "empty"
    QUERY = "query"
    FILE = "file"
    GONE = "gone"
    CYCLE_TIMEOUT = "cycle_timeout"
    INTERNAL = "internal"


class SourceError(Exception):
    """An expected failure of one source, reported in one line and never raised past poll."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.message}"


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One entry as the source gave it; every field may be missing or dirty."""

    guid: str | None = None
    link: str | None = None
    title: str | None = None
    summary: str | None = None
    summary_is_html: bool = True
    content: str | None = None
    content_is_html: bool = True
    published: datetime | None = None
    author: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a parser recovered from one document, plus any problem it hit on the way."""

    entries: list[RawEntry]
    title: str | None = None
    link: str | None = None
    language: str | None = None
    ttl_seconds: float | None = None
    warning: str | None = None


@dataclass(slots=True)
class Validators:
    """Conditional-GET state kept between polls (ETag, Last-Modified, body hash)."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A fetched body not parsed yet (``fetch_source(..., defer_parse=True)``).

    The poller parses it later, in the same worker thread as normalising, so the parsed
    entries never wait on the event loop as Python objects (cheap for the GC, see poll.py).
    ``lenient``: the body was cut off at the size cap, so a parse failure means "no entries"
    rather than an error of its own (the result already carries the size error).
    """

    body: bytes
    base_url: str
    content_type: str | None = None
    kind: Literal["feed", "gdelt"] = "feed"
    lenient: bool = False


@dataclass(slots=True)
class FetchResult:
    """One fetch of one source.

    ``changed`` is False for a 304, an unchanged file or an identical body; then ``feed`` is
    None. ``error`` with ``feed`` set means a partial success (e.g. a body cut off at the size
    cap whose first entries were still recovered). ``document`` is set instead of ``feed``
    only when the caller asked for a deferred parse; ``parse_fetched`` turns one into the other.
    """

    changed: bool
    status: int | None = None
    feed: ParsedFeed | None = None
    validators: Validators = field(default_factory=Validators)
    max_age_seconds: float | None = None
    error: SourceError | None = None
    not_modified: bool = False
    base_url: str | None = None
    document: Document | None = None
