"""Group commit of polled items: one writer task stores many sources per transaction.

One commit (one fsync on SQLite) serves many sources instead of one, and one lookup of known
fingerprints covers the whole batch. Each source still gets its own outcome: a transaction that
fails is retried one source per transaction, so a bad source can only fail itself. Items are
committed with ``state = new`` together with their source's health, before anything downstream
can see them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from bot.db.models import Item, ItemState
from bot.pipeline.dedupe import known_keys
from bot.pipeline.normalise import NormalisedItem
from bot.settings import PollingConfig
from bot.sources import FetchResult, Politeness
from bot.sources.health import HealthUpdate, SourceState, health_after
from bot.sources.state import execute_health

_LOGGER = logging.getLogger(__name__)
MAX_BATCH_SOURCES = 64  # sources per group-commit transaction
MAX_BATCH_ROWS = 3_000  # item rows per group-commit transaction
INSERT_CHUNK = 250  # rows per executemany: bounds each slice of bind processing on the loop
BACKLOG_SOURCES = 48  # sources parsed but not yet stored, per process
_ITEMS = cast(Table, Item.__table__)
_NEW = ItemState.NEW.value  # a plain str keeps row dicts free of GC-tracked objects

# (fingerprint, url_hash, insert row); the row holds only str/int/bool/datetime/None values,
# so neither it nor the tuple is tracked by the cyclic garbage collector.
Prepared = tuple[str, str | None, dict[str, Any]]


@dataclass(slots=True, eq=False)
class StoreJob:
    """One source's rows and the inputs of its health update, waiting for the writer."""

    sessionmaker: async_sessionmaker[AsyncSession]
    state: SourceState
    result: FetchResult
    rows: list[Prepared]
    now: datetime
    interval: float
    polling: PollingConfig
    done: asyncio.Future[tuple[list[int], HealthUpdate]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class StoreWriter:
    """Group commit: one task stores every waiting source in as few transactions as it can.

    There is no waiting for a batch to fill: while one transaction runs, the sources that
    become ready queue up and go into the next one, so a lone source is stored at once and a
    busy cycle gets big batches. The process-wide ``store_lock`` is held per transaction: the
    known-items check and the insert must see each other's rows, or two outlets carrying one
    article would both store it.
    """

    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock
        self._queue: deque[StoreJob] = deque()
        self._task: asyncio.Task[None] | None = None
        self.backlog = asyncio.Semaphore(BACKLOG_SOURCES)

    async def store(self, job: StoreJob) -> tuple[list[int], HealthUpdate]:
        """Commit ``job``'s new items with its health; (new item ids, health) once durable."""
        self._queue.append(job)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="poll store writer"
            )
        return await job.done

    async def _run(self) -> None:
        try:
            while self._queue:
                batch = self._take()
                if batch:
                    await self._commit(batch)
        finally:
            self._task = None
            while self._queue:  # only when cancelled (the loop is closing)
                self._queue.popleft().done.cancel()

    def _take(self) -> list[StoreJob]:
        batch: list[StoreJob] = []
        rows = 0
        while self._queue and len(batch) < MAX_BATCH_SOURCES:
            job = self._queue[0]
            if batch and (
                rows + len(job.rows) > MAX_BATCH_ROWS
                or job.sessionmaker is not batch[0].sessionmaker
            ):
                break
            self._queue.popleft()
            if job.done.done():  # its poll was cancelled (cycle timeout): nothing to report to
                continue
            batch.append(job)
            rows += len(job.rows)
        return batch

    async def _commit(self, batch: list[StoreJob]) -> None:
        try:
            outcomes = await self._write(batch)
        except asyncio.CancelledError:
            for job in batch:
                job.done.cancel()
            raise
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0].done.done():
                    batch[0].done.set_exception(exc)
                return
            # Rolled back as a whole: store each source on its own so only the culprit fails.
            _LOGGER.warning(
                "storing %d sources in one transaction failed (%r); storing them one by one",
                len(batch),
                exc,
            )
            for job in batch:
                await self._commit([job])
            return
        for job, outcome in zip(batch, outcomes, strict=True):
            if not job.done.done():
                job.done.set_result(outcome)

    async def _write(self, batch: list[StoreJob]) -> list[tuple[list[int], HealthUpdate]]:
        async with self._lock, batch[0].sessionmaker.begin() as session:
            connection = await session.connection()
            known_fp, known_url = await known_keys(
                connection,
                [fp for job in batch for fp, _, _ in job.rows],
                [u_hash for job in batch for _, u_hash, _ in job.rows if u_hash],
            )
            fresh: list[dict[str, Any]] = []
            owner: dict[str, int] = {}
            # In queue order, as if the sources were stored one after another.
            for index, job in enumerate(batch):
                for fp, u_hash, row in job.rows:
                    if fp in known_fp or (u_hash is not None and u_hash in known_url):
                        continue
                    known_fp.add(fp)
                    if u_hash is not None:
                        known_url.add(u_hash)
                    fresh.append(row)
                    owner[fp] = index
            ids: list[list[int]] = [[] for _ in batch]
            statement = insert_statement(connection.dialect.name)
            for start in range(0, len(fresh), INSERT_CHUNK):
                result = await connection.execute(statement, fresh[start : start + INSERT_CHUNK])
                for item_id, fp in result:
                    ids[owner[fp]].append(item_id)
            healths = [
                health_after(
                    job.state,
                    job.result,
                    new_items=len(job_ids),
                    now=job.now,
                    interval=job.interval,
                    polling=job.polling,
                )
                for job, job_ids in zip(batch, ids, strict=True)
            ]
            await execute_health(connection, [health.values for health in healths])
        return list(zip(ids, healths, strict=True))


def store_writer(politeness: Politeness) -> StoreWriter:
    writer = politeness.store_writer
    if not isinstance(writer, StoreWriter):
        writer = politeness.store_writer = StoreWriter(politeness.store_lock)
    return writer


_INSERTS: dict[str, ReturningInsert[tuple[int, str]]] = {}


def insert_statement(dialect: str) -> ReturningInsert[tuple[int, str]]:
    """INSERT … ON CONFLICT (fingerprint) DO NOTHING RETURNING id, fingerprint, built once.

    Core executemany (batched by insertmanyvalues) with one cached statement; the returned
    fingerprint says which source each new id belongs to.
    """
    statement = _INSERTS.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = _INSERTS[dialect] = (
            insert(_ITEMS)
            .on_conflict_do_nothing(index_elements=["fingerprint"])
            .returning(_ITEMS.c.id, _ITEMS.c.fingerprint)
        )
    return statement


def item_row(
    source_id: int,
    item: NormalisedItem,
    fp: str,
    u_hash: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "fingerprint": fp,
        "guid": item.guid,
        "url": item.url,
        "url_hash": u_hash,
        "title": item.title,
        "summary": item.summary,
        "content": item.content,
        "language": item.language,
        "author": item.author,
        "published_at": item.published_at,
        "published_estimated": item.published_estimated,
        "fetched_at": now,
        "state": _NEW,
    }
