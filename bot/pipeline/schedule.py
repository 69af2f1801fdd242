"""Standalone polling schedule (dry run, tests): APScheduler without python-telegram-bot.

One job per source, so one slow source never holds up another and never runs twice at once
(``max_instances=1``); runs missed while the process was busy collapse into one
(``coalesce``), and a run late by up to half its interval still happens (the 3.x default grace
of 1 s would silently skip cycles on a busy loop). Each run polls only its own source and only
when the database says it is due, so back-off and server hints stretch the real schedule.
When the bot runs, its JobQueue adapter uses ``job_kwargs`` and ``poll_job`` the same way.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import utcnow
from bot.pipeline.poll import PollReport, poll_sources
from bot.settings import AdminConfig, SourceConfig
from bot.sources import Politeness

_LOGGER = logging.getLogger(__name__)
ReportHook = Callable[[PollReport], Awaitable[None]]
DUE_SLACK = 0.1  # a run up to 10% of the interval early still counts as due
_heap_frozen = False


def freeze_startup_heap() -> None:
    """Take everything alive now out of the garbage collector's full passes (once per process).

    Call it when start-up is over (modules imported, config and database ready), just before
    polling begins. A full (generation 2) collection walks every tracked object: the ~100k that
    imports, the config and the ORM metadata leave behind cost 50-100 ms per pass on a small
    machine, and CPython runs such passes in the middle of a polling cycle, stalling the event
    loop. After ``gc.freeze()`` full passes only walk what was created since (a poll cycle's
    working set), a few milliseconds. Frozen objects are never collected, which is why this is
    for start-up objects, which live as long as the process anyway; the ``gc.collect()`` first
    makes sure no garbage is frozen with them.
    """
    global _heap_frozen  # one process-wide switch, by nature
    if _heap_frozen:
        return
    gc.collect()
    gc.freeze()
    _heap_frozen = True


def job_kwargs(config: AdminConfig, source: SourceConfig) -> dict[str, Any]:
    """APScheduler job options for one source's polling job."""
    interval = config.interval_for(source)
    return {
        "max_instances": 1,
        "coalesce": True,
        "misfire_grace_time": max(1, int(interval / 2)),
    }


async def poll_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    config_getter: Callable[[], AdminConfig],
    politeness: Politeness,
    name: str,
) -> PollReport:
    """One scheduled run for source ``name`` (the config is read fresh at every run)."""
    config = config_getter()
    source = next((s for s in config.sources if s.name == name), None)
    slack = config.interval_for(source) * DUE_SLACK if source else 0.0
    return await poll_sources(
        sessionmaker,
        client,
        config,
        politeness=politeness,
        names={name},
        now=utcnow() + timedelta(seconds=slack),
    )


class StandalonePoller:
    """Owns an ``AsyncIOScheduler`` with one polling job per enabled source."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient,
        config_getter: Callable[[], AdminConfig],
        *,
        politeness: Politeness | None = None,
        on_report: ReportHook | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._client = client
        self._config_getter = config_getter
        config = config_getter()
        self._politeness = politeness or Politeness.from_config(config.polling)
        self._on_report = on_report
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    def start(self) -> None:
        """Schedule every enabled source (first run now) and start; needs a running loop.

        Start-up is over by now, so the start-up heap is frozen (``freeze_startup_heap``).
        """
        freeze_startup_heap()
        config = self._config_getter()
        for source in config.sources:
            if not source.enabled:
                continue
            self._scheduler.add_job(
                self._run,
                "interval",
                seconds=config.interval_for(source),
                args=[source.name],
                id=f"poll:{source.name}",
                name=f"poll {source.name}",
                next_run_time=utcnow(),
                **job_kwargs(config, source),
            )
        self._scheduler.start()

    def stop(self) -> None:
        self._scheduler.shutdown(wait=False)

    async def _run(self, name: str) -> None:
        try:
            report = await poll_job(
                self._sessionmaker, self._client, self._config_getter, self._politeness, name
            )
        except Exception:  # a scheduler job must log, not die: the next run may succeed
            _LOGGER.exception("polling job for %s failed", name)
            return
        if self._on_report is not None:
            await self._on_report(report)
