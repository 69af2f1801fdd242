"""JobQueue adapters: the pipeline cycle and the outbox sender, scheduled from ``post_init``.

Two jobs, because fetching and sending have different clocks. The cycle (poll → … → match)
runs every polling interval with ``max_instances=1`` (a slow cycle is never overlapped),
``coalesce`` (missed runs collapse into one) and a misfire grace of half the interval (the 3.x
default of 1 s would silently skip runs on a busy loop); ``asyncio.timeout`` bounds it, because
a hung cycle would otherwise block every later one. The sender is one long-running job started
once: it sends while the cycle polls, is woken the moment matching queues alerts (and checks
every second anyway), and keeps one ``Dispatcher`` so its rate limits hold for the whole
process. ``Application.stop`` marks the application not running before it waits for jobs; the
sender then stops claiming, finishes the message in flight and returns the rest to the queue.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.delivery.compose import RenderComposer
from bot.delivery.dispatcher import Dispatcher
from bot.pipeline.cycle import cycle_interval, run_once
from bot.sources import Politeness
from bot.tg.context import Context, services_of
from bot.tg.deliver import TelegramSender

if TYPE_CHECKING:
    from bot.tg.app import ParleyApp

_LOGGER = logging.getLogger(__name__)
CYCLE_JOB = "pipeline-cycle"
SENDER_JOB = "outbox-sender"
SENDER_RESTART = 5.0


@dataclass
class PipelineState:
    """What the two jobs keep between runs (held as the jobs' ``data``, not in a global)."""

    dispatcher: Dispatcher
    sender: TelegramSender
    politeness: Politeness
    channel_cache: dict[str, int] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)


async def cycle_job(context: Context) -> None:
    state = _state(context)
    services = services_of(context)
    timeout = services.config.polling.cycle_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            report = await run_once(
                services,
                politeness=state.politeness,
                resolver=state.sender,  # resolves channels given as @username
                channel_cache=state.channel_cache,
                on_matched=lambda _: state.wake.set(),
            )
    except TimeoutError:
        services.timings.record_timeout()
        _LOGGER.error(
            "cycle cancelled after %.0f s; the next run resumes from the database", timeout
        )
        return
    services.timings.record_cycle(report)
    _LOGGER.info(report.line())


async def sender_job(context: Context) -> None:
    state = _state(context)
    application = context.application
    while application.running:
        try:
            await state.dispatcher.run(
                wake=state.wake, should_stop=lambda: not application.running
            )
        except Exception:  # e.g. the database went away: log, wait, resume from the outbox
            _LOGGER.exception("outbox sender failed; restarting it in %.0f s", SENDER_RESTART)
            await asyncio.sleep(SENDER_RESTART)


def _state(context: Context) -> PipelineState:
    job = context.job
    if job is None or not isinstance(job.data, PipelineState):
        raise RuntimeError("pipeline job scheduled without its state")
    return job.data


def schedule_jobs(application: ParleyApp) -> None:
    """Schedule the cycle and the sender; call from ``post_init`` once services exist."""
    job_queue = application.job_queue
    services = application.bot_data.services
    if job_queue is None or services is None:
        raise RuntimeError("schedule_jobs needs the job queue and the services")
    config = services.config
    sender = TelegramSender(application.bot)
    dispatcher = Dispatcher(
        services.sessionmaker,
        sender,
        RenderComposer(lambda: services.config.topics),
        config.delivery,
    )
    state = PipelineState(dispatcher, sender, Politeness.from_config(config.polling))
    interval = cycle_interval(config)
    job_queue.run_repeating(
        cycle_job,
        interval=interval,
        first=1,
        name=CYCLE_JOB,
        data=state,
        job_kwargs={
            "max_instances": 1,
            "coalesce": True,
            "misfire_grace_time": max(1, int(interval / 2)),
        },
    )
    job_queue.run_once(sender_job, when=0, name=SENDER_JOB, data=state)
