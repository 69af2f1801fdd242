"""``parley run --dry-run``: the whole pipeline on a timer, alerts printed to the terminal.

The same cycle as the bot (poll → … → match) followed by the same dispatcher, with a
``ConsoleSender`` delivering to the terminal subscriber (``bot.delivery.console``) that follows
every topic. Everything goes through the outbox, so restarting the dry run never prints an alert
twice. Other chats in the database are matched too and wait in the outbox for the bot, which
is what would happen if the bot ran instead.

Ctrl-C (or SIGTERM) stops cleanly: a cycle stage in progress is cancelled (its work is committed
batch by batch, so the next run resumes), while a delivery in progress finishes the alert it is
printing and records it before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from typing import TextIO

from sqlalchemy import func, select

from bot.db.models import Delivery
from bot.delivery.compose import RenderComposer
from bot.delivery.console import CONSOLE_CHAT_ID, ConsoleSender, ensure_console_chat
from bot.delivery.dispatcher import Dispatcher
from bot.pipeline.cycle import cycle_interval, run_once
from bot.pipeline.schedule import freeze_startup_heap
from bot.services import Services, create_services
from bot.settings import Settings
from bot.sources import Politeness


def _console_dispatcher(services: Services, out: TextIO, first_message_id: int) -> Dispatcher:
    # A terminal has no flood limits, and reading alerts one by one beats a combined list.
    config = services.config.delivery.model_copy(
        update={
            "global_per_second": 10_000,
            "private_chat_per_second": 10_000,
            "group_per_minute": 600_000,
            "burst_limit": 50,
        }
    )
    return Dispatcher(
        services.sessionmaker,
        ConsoleSender(out, first_message_id=first_message_id),
        RenderComposer(lambda: services.config.topics),
        config,
        console=True,
    )


async def dry_run(
    settings: Settings,
    *,
    out: TextIO | None = None,
    log: TextIO | None = None,
    stop: asyncio.Event | None = None,
    max_cycles: int | None = None,
) -> int:
    """Run cycles until ``stop`` is set (signals set it) or ``max_cycles`` have run."""
    out = out or sys.stdout
    log = log or sys.stderr
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    services = await create_services(settings)
    try:
        await ensure_console_chat(services.sessionmaker, services.config)
        async with services.sessionmaker() as session:
            last_id = await session.scalar(
                select(func.max(Delivery.message_id)).where(Delivery.chat_id == CONSOLE_CHAT_ID)
            )
        dispatcher = _console_dispatcher(services, out, (last_id or 0) + 1)
        await dispatcher.recover()
        freeze_startup_heap()
        politeness = Politeness.from_config(services.config.polling)
        cycles = 0
        while not stop.is_set():
            cycle = asyncio.create_task(run_once(services, politeness=politeness, console=True))
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({cycle, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if not cycle.done():
                cycle.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await cycle
                break
            report = cycle.result()
            report.delivery = await dispatcher.drain(should_stop=stop.is_set)
            print(report.line(), file=log, flush=True)
            cycles += 1
            if max_cycles is not None and cycles >= max_cycles:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), cycle_interval(services.config))
        print("parley: dry run stopped", file=log, flush=True)
        return 0
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
        await services.close()


def run_dry(settings: Settings) -> int:
    """Entry point for ``parley run --dry-run`` (and ``parley run`` without a token)."""
    return asyncio.run(dry_run(settings))
