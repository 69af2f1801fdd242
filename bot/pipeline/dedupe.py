"""Item identity: a stable fingerprint per item and a URL key, so each article is stored once.

Rules (miniflux and FreshRSS, adapted to a store shared by all outlets):

- A GUID that is a URL identifies the article on its own, after the same canonicalisation as
  links and with any fragment dropped: BBC's ``…/articles/x#0`` … ``#3`` are one article.
- Any other GUID is only unique within its outlet, so it is scoped by the source name.
- No GUID: the canonical link; no link either: source + title + date.
- Besides the fingerprint every item with a real article link has a ``url_hash``; an item
  whose link is already stored (same article, other GUID or other outlet) is not new. Bare
  home-page links (a path of ``/``) are not article identities and get no hash.

Fingerprints are SHA-256 hex (256 bits): collisions are not a practical concern.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import cast
from urllib.parse import urlsplit

from sqlalchemy import Column, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.models import Item
from bot.pipeline.normalise import NormalisedItem, canonical_url

Candidate = tuple[NormalisedItem, str, str | None]
_ITEMS = cast(Table, Item.__table__)
# Bound parameters per IN list: far below SQLite's and asyncpg's limits, and a short slice of
# statement rendering on the event loop.
KEY_CHUNK = 500


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def url_hash(url: str | None) -> str | None:
    """Hash of a canonical article URL, or None for a missing or home-page URL."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.path in ("", "/") and not parts.query:
        return None
    # http/https and a trailing slash are the same article on every outlet we have seen.
    key = f"{parts.netloc.removeprefix('www.')}{parts.path.rstrip('/')}"
    if parts.query:
        key = f"{key}?{parts.query}"
    return _sha(f"url:{key}")


def fingerprint(item: NormalisedItem) -> str:
    guid = item.guid
    if guid:
        if guid.startswith(("http://", "https://")):
            as_url = canonical_url(guid)
            hashed = url_hash(as_url)
            if hashed:
                return hashed
        return _sha(f"guid:{item.source}\x00{guid}")
    hashed = url_hash(item.url)
    if hashed:
        return hashed
    date = "" if item.published_estimated else item.published_at.isoformat()
    return _sha(f"title:{item.source}\x00{item.title.casefold()}\x00{date}")


def unique_in_batch(
    items: Iterable[NormalisedItem],
) -> list[tuple[NormalisedItem, str, str | None]]:
    """(item, fingerprint, url_hash) for the first occurrence of each article in one document.

    A repeated GUID with a different link is a different article (a CMS reusing GUIDs):
    it is told apart by its link, as miniflux does.
    """
    seen_fp: set[str] = set()
    seen_url: set[str] = set()
    out: list[tuple[NormalisedItem, str, str | None]] = []
    for item in items:
        fp = fingerprint(item)
        u_hash = url_hash(item.url)
        if fp in seen_fp and u_hash and u_hash not in seen_url:
            fp = _sha(f"{fp}\x00{u_hash}")
        if fp in seen_fp or (u_hash is not None and u_hash in seen_url):
            continue
        seen_fp.add(fp)
        if u_hash:
            seen_url.add(u_hash)
        out.append((item, fp, u_hash))
    return out


def drop_known(
    candidates: Sequence[tuple[NormalisedItem, str, str | None]],
    known_fingerprints: set[str],
    known_url_hashes: set[str],
) -> list[tuple[NormalisedItem, str, str | None]]:
    return [
        candidate
        for candidate in candidates
        if candidate[1] not in known_fingerprints
        and (candidate[2] is None or candidate[2] not in known_url_hashes)
    ]


async def unknown_candidates(
    session: AsyncSession, candidates: list[Candidate]
) -> list[Candidate]:
    """The candidates whose fingerprint and article URL are both not stored yet."""
    known_fp, known_url = await known_keys(
        session, [fp for _, fp, _ in candidates], [u for _, _, u in candidates if u]
    )
    return drop_known(candidates, known_fp, known_url)


async def known_keys(
    db: AsyncSession | AsyncConnection, fingerprints: list[str], url_hashes: list[str]
) -> tuple[set[str], set[str]]:
    """(stored fingerprints, stored url hashes) among the given ones, a few queries in all.

    Core selects of one column: the poller asks this for many sources' items at once.
    """
    return (
        await _stored(db, _ITEMS.c.fingerprint, fingerprints),
        await _stored(db, _ITEMS.c.url_hash, url_hashes),
    )


async def _stored(
    db: AsyncSession | AsyncConnection, column: Column[str], values: list[str]
) -> set[str]:
    found: set[str] = set()
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), KEY_CHUNK):
        chunk = unique[start : start + KEY_CHUNK]
        result = await db.execute(select(column).where(column.in_(chunk)))
        found.update(value for value in result.scalars() if value)
    return found
