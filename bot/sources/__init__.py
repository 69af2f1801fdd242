"""Fetching and parsing per source kind: RSS/Atom, JSON Feed, GDELT DOC API and local files.

``fetch_source`` is the one entry point; it returns raw entries (``RawEntry``) that
``bot.pipeline.normalise`` turns into items. Only ``state`` touches the database (the ``sources`` table).
"""

from bot.sources.fetch import fetch_source, parse_fetched
from bot.sources.http import Politeness, create_http_client, fetch_url
from bot.sources.parse import parse_document
from bot.sources.types import (
    Document,
    ErrorKind,
    FetchResult,
    ParsedFeed,
    RawEntry,
    SourceError,
    Validators,
)

__all__ = [
    "Document",
    "ErrorKind",
    "FetchResult",
    "ParsedFeed",
    "Politeness",
    "RawEntry",
    "SourceError",
    "Validators",
    "create_http_client",
    "fetch_source",
    "fetch_url",
    "parse_document",
    "parse_fetched",
]
