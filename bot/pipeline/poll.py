"""One polling cycle: fetch every due source concurrently, store new items, record health.

Each source's new items and its health are committed together (``state = new``) before
anything downstream can see them, so a crash between polling and classifying loses nothing.
A source's failure is a value in its ``SourceReport``; nothing here raises for it. Sources with
nothing new only change health columns, which are written in one batch at the end of the
cycle: the 304 path is most of the traffic and must stay cheap.

Throughput and event-loop latency (``bench/ingest.py``):

- Parsing, normalising, fingerprinting and building insert rows happen in one worker-thread
  hop per source; the event loop only moves ready rows to the database.
- One writer task per process (``bot.pipeline.store.StoreWriter``) group-commits: every source that is waiting
  to be stored goes into the next transaction (at most ``MAX_BATCH_SOURCES`` sources or
  ``MAX_BATCH_ROWS`` rows), with one lookup of known fingerprints for all of them, chunked
  executemany inserts and executemany health updates. One commit (one fsync on SQLite) then
  serves many sources instead of one. Each source still gets its own outcome: a transaction
  that fails is retried one source per transaction, so a bad source can only fail itself.
- At most ``BACKLOG_SOURCES`` sources are parsed but not yet stored. Without that bound,
  parsed entries of hundreds of sources waited for the database as live objects, and the
  garbage collector's full passes over them stalled the loop for 150-250 ms.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import httpx
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Source, utcnow
from bot.pipeline.dedupe import known_keys, unique_in_batch
from bot.pipeline.fulltext import fetch_full_text
from bot.pipeline.normalise import normalise_entry
from bot.pipeline.store import Prepared, StoreJob, item_row, store_writer
from bot.settings import AdminConfig, SourceConfig
from bot.sources import (
    ErrorKind,
    FetchResult,
    Politeness,
    SourceError,
    fetch_source,
    parse_fetched,
)
from bot.sources.health import HealthUpdate, SourceState, health_after
from bot.sources.state import (
    load_states,
    resume_source,
    write_health,
)

__all__ = [
    "PollReport",
    "SourceReport",
    "poll_sources",
    "resume_source",
    "sync_sources",
]

_LOGGER = logging.getLogger(__name__)
MAX_FULL_TEXT_PER_POLL = 20
START_SLICE = 100  # poll tasks started per event-loop pass
_SOURCES = cast(Table, Source.__table__)


@dataclass
class SourceReport:
    name: str
    outcome: str  # new | not_modified | unchanged | error | paused | not_due
    new_items: int = 0
    error: str | None = None
    next_poll_at: datetime | None = None
    entries: int = 0
    warning: str | None = None
    newly_paused: bool = False


@dataclass
class PollReport:
    sources: list[SourceReport] = field(default_factory=list)
    new_item_ids: list[int] = field(default_factory=list)
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None

    @property
    def errors(self) -> list[SourceReport]:
        return [report for report in self.sources if report.outcome == "error"]


async def sync_sources(
    sessionmaker: async_sessionmaker[AsyncSession], config: AdminConfig
) -> None:
    """Upsert configured sources by name: the config owns url and kind, the database the state.

    A source whose url or kind changed starts afresh (validators and pause cleared, due now).
    """
    await load_states(sessionmaker, config)


async def poll_sources(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    config: AdminConfig,
    *,
    politeness: Politeness | None = None,
    only_due: bool = True,
    now: datetime | None = None,
    names: set[str] | None = None,
) -> PollReport:
    """Poll every enabled, unpaused (and, with ``only_due``, due) source once.

    Pass the same ``politeness`` to every call in a process so per-host limits and GDELT's
    spacing hold across cycles; without one, each call gets its own.
    """
    polling = config.polling
    politeness = politeness or Politeness.from_config(polling)
    report = PollReport(started_at=now or utcnow())
    states = await load_states(sessionmaker, config)
    tasks: dict[asyncio.Task[SourceReport], SourceConfig] = {}
    batch: list[dict[str, Any]] = []
    for number, source in enumerate(config.sources, start=1):
        if number % START_SLICE == 0:
            # A new task runs its first step in the loop's next pass: 2,000 of them started
            # at once were one 60 ms pass. A slice at a time lets other callbacks in between.
            await asyncio.sleep(0)
        if not source.enabled or (names is not None and source.name not in names):
            continue
        state = states[source.name]
        if state.paused_at is not None:
            report.sources.append(SourceReport(source.name, "paused", error=_paused(state)))
        elif only_due and state.next_poll_at and state.next_poll_at > report.started_at:
            report.sources.append(
                SourceReport(source.name, "not_due", next_poll_at=state.next_poll_at)
            )
        else:
            job = _poll_one(sessionmaker, client, config, politeness, source, state, report, batch)
            tasks[asyncio.create_task(job, name=f"poll {source.name}")] = source
    if tasks:
        done, pending = await asyncio.wait(tasks, timeout=polling.cycle_timeout_seconds)
        for task in pending:
            task.cancel()
        for task in done | pending:
            source = tasks[task]
            if task in done and not task.cancelled() and task.exception() is None:
                report.sources.append(task.result())
                continue
            problem = SourceError(ErrorKind.CYCLE_TIMEOUT, "cycle timed out before it finished")
            if task in done and not task.cancelled():
                problem = SourceError(ErrorKind.INTERNAL, repr(task.exception())[:300])
                _LOGGER.error("polling %s failed", source.name, exc_info=task.exception())
            failed = FetchResult(changed=False, error=problem)
            health = health_after(
                states[source.name],
                failed,
                new_items=0,
                now=utcnow(),
                interval=config.interval_for(source),
                polling=polling,
            )
            batch.append(health.values)
            report.sources.append(
                SourceReport(
                    source.name, "error", error=str(problem), next_poll_at=health.next_poll_at
                )
            )
    await write_health(sessionmaker, batch)
    report.new_item_ids.sort()
    report.finished_at = utcnow()
    return report


def _paused(state: SourceState) -> str:
    return f"paused since {state.paused_at:%Y-%m-%d %H:%M} UTC"


async def _poll_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    config: AdminConfig,
    politeness: Politeness,
    source: SourceConfig,
    state: SourceState,
    report: PollReport,
    batch: list[dict[str, Any]],
) -> SourceReport:
    polling = config.polling
    interval = config.interval_for(source)
    budget = polling.connect_timeout_seconds + 2 * polling.read_timeout_seconds
    try:
        async with asyncio.timeout(budget):
            result = await fetch_source(
                source,
                state.validators,
                client=client,
                politeness=politeness,
                polling=polling,
                interval=interval,
                defer_parse=True,
            )
    except TimeoutError:
        result = FetchResult(
            changed=False,
            error=SourceError(ErrorKind.TIMEOUT, f"no complete answer in {budget:.0f} s"),
        )
    now = utcnow()
    writer = store_writer(politeness)
    stored: tuple[list[int], HealthUpdate] | None = None
    if result.document is not None:
        rows: list[Prepared] = []
        # The backlog slot is taken after the fetch, so a slow host never holds one.
        async with writer.backlog:
            async with politeness.parsing():
                result, rows = await asyncio.to_thread(_prepare, source, state.id, result, now)
            if rows and not source.full_text:
                job = StoreJob(sessionmaker, state, result, rows, now, interval, polling)
                stored = await writer.store(job)
        if rows and source.full_text:
            # Full-text fetches are network waits: outside the backlog, like the feed fetch.
            rows = await _with_full_texts(sessionmaker, client, politeness, source, rows)
            job = StoreJob(sessionmaker, state, result, rows, now, interval, polling)
            stored = await writer.store(job)
        if result.feed is not None and result.feed.warning:
            _LOGGER.warning("%s: %s", source.name, result.feed.warning)
    new_ids: list[int] = []
    if stored is not None:
        new_ids, health = stored
        report.new_item_ids.extend(new_ids)
    else:
        health = health_after(
            state, result, new_items=0, now=now, interval=interval, polling=polling
        )
        batch.append(health.values)
    if result.error is not None:
        log = _LOGGER.warning if health.newly_paused else _LOGGER.info
        log(
            "%s: poll failed (%s)%s",
            source.name,
            result.error,
            "; source PAUSED until an admin resumes it" if health.newly_paused else "",
        )
    return SourceReport(
        source.name,
        _outcome(result, len(new_ids)),
        new_items=len(new_ids),
        error=str(result.error) if result.error else None,
        next_poll_at=health.next_poll_at,
        entries=len(result.feed.entries) if result.feed else 0,
        warning=result.feed.warning if result.feed else None,
        newly_paused=health.newly_paused,
    )


def _outcome(result: FetchResult, new_items: int) -> str:
    if result.error is not None:
        return "error"
    if result.not_modified:
        return "not_modified"
    return "new" if new_items else "unchanged"


def _prepare(
    source: SourceConfig, source_id: int, result: FetchResult, now: datetime
) -> tuple[FetchResult, list[Prepared]]:
    """Parse, normalise, fingerprint and build insert rows: all of a source's CPU work, in
    one worker-thread hop, so the event loop only ever sees finished rows."""
    result = parse_fetched(result)
    feed = result.feed
    if feed is None:
        return result, []
    items = (
        normalise_entry(
            entry,
            source=source.name,
            now=now,
            base_url=result.base_url,
            feed_link=feed.link,
            feed_title=feed.title,
            language=source.language or feed.language,
        )
        for entry in feed.entries
    )
    candidates = unique_in_batch(item for item in items if item is not None)
    return result, [
        (fp, u_hash, item_row(source_id, item, fp, u_hash, now)) for item, fp, u_hash in candidates
    ]


async def _with_full_texts(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    politeness: Politeness,
    source: SourceConfig,
    rows: list[Prepared],
) -> list[Prepared]:
    """Rows with the article text fetched for up to ``MAX_FULL_TEXT_PER_POLL`` unknown items."""
    async with sessionmaker() as session:
        known_fp, known_url = await known_keys(
            session, [fp for fp, _, _ in rows], [u for _, u, _ in rows if u]
        )
    wanted = [
        row
        for fp, u_hash, row in rows
        if row["url"] and fp not in known_fp and (u_hash is None or u_hash not in known_url)
    ][:MAX_FULL_TEXT_PER_POLL]
    texts = await asyncio.gather(
        *(
            fetch_full_text(client, row["url"], politeness=politeness, drop=(source.name,))
            for row in wanted
        )
    )
    for row, text in zip(wanted, texts, strict=True):
        if text:
            row["content"] = text
    return rows
