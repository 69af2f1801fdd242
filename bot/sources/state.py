"""Source state in the database: reading it for a cycle, writing health, resuming.

The config names the sources; the ``sources`` table remembers what polling learnt about them
(validators, error streak, next poll time). Reads and writes use Core statements rather than
ORM objects because they run every cycle over every source: 2,000 sources on the 304 path
must stay a few milliseconds of event-loop time.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.db.models import Source, utcnow
from bot.settings import AdminConfig, SourceConfig
from bot.sources.health import SourceState
from bot.sources.types import Validators

_SOURCES = cast(Table, Source.__table__)
HEALTH_CHUNK = 100
STATE_CHUNK = 250


async def load_states(
    sessionmaker: async_sessionmaker[AsyncSession], config: AdminConfig
) -> dict[str, SourceState]:
    wanted = {source.name: source for source in config.sources}
    async with sessionmaker.begin() as session:
        if await _reconcile(session, wanted):
            await session.flush()
        # Core rows, not ORM objects: this runs every cycle over every source.
        result = await session.execute(select(*(_SOURCES.c[name] for name in _STATE_COLUMNS)))
        states: dict[str, SourceState] = {}
        # Rows are converted as they are fetched; a slice at a time keeps 2,000 sources from
        # holding the event loop in one piece.
        for rows in result.partitions(STATE_CHUNK):
            states.update((row.name, _state(row)) for row in rows if row.name in wanted)
            await asyncio.sleep(0)
        return states


async def _reconcile(session: AsyncSession, wanted: dict[str, SourceConfig]) -> bool:
    """Insert missing sources and reset moved ones; True when anything changed."""
    current = {
        row.name: (row.url, row.kind)
        for row in await session.execute(select(_SOURCES.c.name, _SOURCES.c.url, _SOURCES.c.kind))
    }
    changed = False
    missing = [
        {"name": name, "kind": source.kind, "url": source.url, "created_at": utcnow()}
        for name, source in wanted.items()
        if name not in current
    ]
    if missing:
        # One executemany, not one round trip per source (a first cycle over 2,000 sources).
        # ON CONFLICT: concurrent per-source jobs may add the same new source at once.
        connection = await session.connection()
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        statement = insert(_SOURCES).on_conflict_do_nothing(index_elements=["name"])
        for start in range(0, len(missing), HEALTH_CHUNK):
            await connection.execute(statement, missing[start : start + HEALTH_CHUNK])
        changed = True
    for name, source in wanted.items():
        if name in current and current[name] != (source.url, source.kind):
            await session.execute(
                update(_SOURCES)
                .where(_SOURCES.c.name == name)
                .values(
                    url=source.url,
                    kind=source.kind,
                    etag=None,
                    last_modified=None,
                    body_hash=None,
                    paused_at=None,
                    pause_reason=None,
                    next_poll_at=None,
                    error_streak=0,
                )
            )
            changed = True
    return changed


_STATE_COLUMNS = (
    "id",
    "name",
    "etag",
    "last_modified",
    "body_hash",
    "error_streak",
    "fetch_count",
    "not_modified_count",
    "items_seen",
    "feed_ttl_seconds",
    "next_poll_at",
    "paused_at",
)


def _state(row: Any) -> SourceState:
    return SourceState(
        id=row.id,
        name=row.name,
        validators=Validators(row.etag, row.last_modified, row.body_hash),
        error_streak=row.error_streak or 0,
        fetch_count=row.fetch_count or 0,
        not_modified_count=row.not_modified_count or 0,
        items_seen=row.items_seen or 0,
        feed_ttl_seconds=row.feed_ttl_seconds,
        next_poll_at=row.next_poll_at,
        paused_at=row.paused_at,
    )


async def resume_source(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> bool:
    """Un-pause a source and make it due now; False when no source has that name."""
    async with sessionmaker.begin() as session:
        result = await session.execute(
            update(Source)
            .where(Source.name == name)
            .values(paused_at=None, pause_reason=None, error_streak=0, next_poll_at=None)
        )
        return bool(getattr(result, "rowcount", 0))


def health_statement() -> Update:
    """A Core UPDATE by primary key; the SET clause comes from the parameter keys."""
    table = _SOURCES
    return update(table).where(table.c.id == bindparam("source_pk"))


def health_params(values: dict[str, Any]) -> dict[str, Any]:
    params = {key: value for key, value in values.items() if key != "id"}
    params["source_pk"] = values["id"]
    return params


async def write_health(
    sessionmaker: async_sessionmaker[AsyncSession], batch: list[dict[str, Any]]
) -> None:
    if not batch:
        return
    async with sessionmaker.begin() as session:
        await execute_health(await session.connection(), batch)


async def execute_health(connection: AsyncConnection, batch: list[dict[str, Any]]) -> None:
    """Write many sources' health inside the caller's transaction (``health_after`` values)."""
    # Rows with different keys cannot share one executemany; group them by key set.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in batch:
        groups.setdefault(tuple(sorted(values)), []).append(values)
    for rows in groups.values():
        # Chunks keep each slice of parameter processing on the event loop short.
        for start in range(0, len(rows), HEALTH_CHUNK):
            chunk = rows[start : start + HEALTH_CHUNK]
            await connection.execute(health_statement(), [health_params(r) for r in chunk])
