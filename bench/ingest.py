"""Ingestion benchmark: N local feeds of 50 items, the full-parse path then the 304 path.

Prints feeds/s and items/s when every feed is new (fetch, parse, normalise, dedupe, store),
feeds/s and CPU when every feed answers 304, the longest event-loop stall seen, and peak
memory. The feed server runs in its own process so its CPU is not counted.

    .venv/bin/python bench/ingest.py --feeds 2000

Floors (2-core machine): 2,000 feeds polled within a minute on the 304 path using under 20%
of one core; the parse path at least 3,000 items/s; no event-loop stall over 50 ms.

Like a long-running process, the bench freezes its start-up heap before polling
(``freeze_startup_heap``); ``--no-freeze`` shows what full GC passes over it cost instead.
The stall figure is a maximum: on a busy machine the OS alone can add tens of milliseconds,
so compare medians of several runs taken while ``uptime`` shows little load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db.migrate import upgrade_async  # noqa: E402
from bot.db.session import create_engine, create_sessionmaker  # noqa: E402
from bot.pipeline.poll import PollReport, poll_sources  # noqa: E402
from bot.pipeline.schedule import freeze_startup_heap  # noqa: E402
from bot.settings import AdminConfig, PollingConfig, SourceConfig  # noqa: E402
from bot.sources import Politeness, create_http_client  # noqa: E402


@contextlib.contextmanager
def feed_server(feeds: int) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.feed_server", "--feeds", str(feeds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(process.stdout.readline()) if process.stdout else 0
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.asynccontextmanager
async def stall_meter() -> AsyncIterator[list[float]]:
    """Longest lateness of a 5 ms ticker: how long the event loop was blocked."""
    worst = [0.0]

    async def tick() -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            worst[0] = max(worst[0], time.perf_counter() - start - 0.005)

    task = asyncio.create_task(tick())
    try:
        yield worst
    finally:
        task.cancel()


async def measure(
    run: Callable[[], Awaitable[PollReport]],
) -> tuple[PollReport, float, float, float]:
    async with stall_meter() as worst:
        wall, cpu = time.perf_counter(), time.process_time()
        report = await run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return report, wall, cpu, worst[0]


async def main(feeds: int, concurrency: int, *, freeze: bool = True) -> None:
    polling = PollingConfig(
        max_concurrency=concurrency, per_host_concurrency=concurrency, cycle_timeout_seconds=600
    )
    with feed_server(feeds) as base, tempfile.TemporaryDirectory() as folder:
        config = AdminConfig(
            polling=polling,
            sources=[
                SourceConfig(name=f"feed {n}", kind="rss", url=f"{base}/feed/{n}")
                for n in range(feeds)
            ],
        )
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        await upgrade_async(url)
        engine = create_engine(url)
        sessionmaker = create_sessionmaker(engine)
        politeness = Politeness.from_config(polling)
        async with create_http_client(polling) as client:
            if freeze:  # what a long-running process does once start-up is over
                freeze_startup_heap()

            def cycle() -> Awaitable[PollReport]:
                return poll_sources(
                    sessionmaker, client, config, politeness=politeness, only_due=False
                )

            report, wall, cpu, stall = await measure(cycle)
            items = len(report.new_item_ids)
            errors = len(report.errors)
            print(
                f"parse path: {feeds} feeds, {items} new items in {wall:.2f} s "
                f"({feeds / wall:.0f} feeds/s, {items / wall:.0f} items/s; CPU {cpu:.2f} s), "
                f"errors {errors}, worst loop stall {stall * 1000:.1f} ms"
            )
            report, wall, cpu, stall = await measure(cycle)
            not_modified = sum(1 for s in report.sources if s.outcome == "not_modified")
            print(
                f"304 path: {not_modified}/{feeds} not modified in {wall:.2f} s "
                f"({feeds / wall:.0f} feeds/s; CPU {cpu:.2f} s = {cpu / 60 * 100:.1f}% of one core "
                f"if spread over a minute), worst loop stall {stall * 1000:.1f} ms"
            )
        await engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS): {peak:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="skip freeze_startup_heap(), to see what full GC passes over start-up objects cost",
    )
    args = parser.parse_args()
    asyncio.run(main(args.feeds, args.concurrency, freeze=not args.no_freeze))
