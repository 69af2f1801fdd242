"""End-to-end latency: an item appears in a feed → its sendMessage reaches 100 subscribers.

    .venv/bin/python bench/e2e.py [--interval 20] [--items 8] [--subscribers 100]

Everything real but the two servers, both on 127.0.0.1: a feed server (tests/fakes) whose feed
gains one new item at a random moment of each polling interval, and the fake Bot API enforcing
Telegram's flood limits. Parley runs as the bot does (``bot/tg/jobs.py``): the cycle (poll →
normalise → deduplicate → classify → cluster → summarise → match) every polling interval, and the
outbox sender beside it, woken when matching queues alerts. Prints p50 / p95 / max of
(sendMessage accepted − item published) over every (item, subscriber) pair, next to the polling
interval. Floor (issue #7): p95 <= polling interval + 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import tempfile
import time
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Bot  # noqa: E402

from bot.db.migrate import upgrade_async  # noqa: E402
from bot.db.models import Chat, utcnow  # noqa: E402
from bot.delivery.compose import RenderComposer  # noqa: E402
from bot.delivery.dispatcher import Dispatcher  # noqa: E402
from bot.pipeline.cycle import cycle_interval, run_once  # noqa: E402
from bot.services import create_services  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.sources import Politeness  # noqa: E402
from bot.tg.deliver import TelegramSender  # noqa: E402
from tests.fakes.bot_api import FakeBotApi  # noqa: E402
from tests.fakes.feed_server import FeedServer  # noqa: E402

# Distinct events (different places and parties), so each item starts its own story.
HEADLINES = [
    "Armenia and Azerbaijan open peace talks in Washington on border deal",
    "Sudan army and RSF agree to ceasefire talks in Jeddah",
    "Iran and United States resume indirect nuclear negotiations in Oman",
    "Colombia restarts peace negotiations with ELN rebels in Havana",
    "Ethiopia and Tigray leaders meet for African Union brokered talks in Pretoria",
    "Serbia and Kosovo leaders hold EU mediated dialogue in Brussels",
    "Thailand and Cambodia agree to border ceasefire talks in Kuala Lumpur",
    "India and Pakistan hold first military talks since border clashes",
    "DR Congo and Rwanda sign declaration to negotiate peace in Doha",
    "Georgia and Abkhazia officials meet in Geneva international discussions",
]


def feed(items: list[tuple[str, float]]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>https://example.org/e2e/{n}</link>"
        f"<guid>e2e-{n}</guid><description>{title}. Officials said the delegations would "
        f"negotiate over several days.</description><pubDate>{format_datetime(utcnow())}"
        "</pubDate></item>"
        for n, (title, _) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://example.org/</link>{entries}</channel></rss>"
    )


def config_text(folder: Path, url: str, interval: float) -> str:
    return f"""
[general]
data_dir = "{folder}"
log_level = "WARNING"
[polling]
min_interval_seconds = {interval}
[topics.talks]
threshold = 0.2
[topics.de-escalation]
threshold = 0.95
[topics.security-guarantees]
threshold = 0.95
[[sources]]
name = "Wire"
kind = "rss"
url = "{url}"
interval_seconds = {interval}
"""


async def measure(args: argparse.Namespace) -> None:
    rng = random.Random(3)
    folder = Path(tempfile.mkdtemp(prefix="parley-e2e-"))
    url = f"sqlite+aiosqlite:///{folder / 'e2e.sqlite3'}"
    published: list[tuple[str, float]] = []
    async with FeedServer() as feeds, FakeBotApi(enforce_rate_limits=True) as api:
        feeds.serve("/wire.xml", feed([]))
        path = folder / "parley.toml"
        path.write_text(config_text(folder, feeds.url("/wire.xml"), args.interval), "utf-8")
        settings = load_settings(path, env={"DATABASE_URL": url})
        await upgrade_async(url)
        services = await create_services(settings)
        async with services.sessionmaker.begin() as session:
            session.add_all(
                Chat(id=5_000_000 + n, type="private", topics=["talks"])
                for n in range(args.subscribers)
            )
        await services.classifier()  # loaded once at start-up, as the bot does
        bot = Bot(api.token, base_url=api.base_url)
        await bot.initialize()
        dispatcher = Dispatcher(
            services.sessionmaker,
            TelegramSender(bot),
            RenderComposer(lambda: services.config.topics),
            services.config.delivery,
        )
        wake, stop = asyncio.Event(), asyncio.Event()
        politeness = Politeness.from_config(services.config.polling)

        async def cycles() -> None:  # the JobQueue's repeating cycle job
            while not stop.is_set():
                started = time.monotonic()
                await run_once(services, politeness=politeness, on_matched=lambda _: wake.set())
                tick = cycle_interval(services.config) - (time.monotonic() - started)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(0.0, tick))

        async def sender() -> None:  # the JobQueue's sender job, woken by matching
            while not stop.is_set():
                await dispatcher.drain()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), 1.0)
                wake.clear()

        running = [asyncio.create_task(cycles()), asyncio.create_task(sender())]
        await asyncio.sleep(1.0)
        for title in HEADLINES[: args.items]:
            await asyncio.sleep(rng.uniform(0.0, args.interval))
            published.append((title, time.monotonic()))
            feeds.serve("/wire.xml", feed(published))
        await asyncio.sleep(args.interval + 15)
        stop.set()
        await asyncio.gather(*running)
        await bot.shutdown()
        await services.close()
    latencies: list[float] = []
    missing = duplicated = 0
    calls = [c for c in api.calls_to("sendMessage") if c.error is None]
    for title, at in published:
        for n in range(args.subscribers):
            got = [c.at for c in calls if c.chat_id == 5_000_000 + n and title in c.text]
            missing += not got
            duplicated += len(got) > 1
            latencies.extend(t - at for t in got[:1])
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")
    print(f"polling interval      {args.interval:.0f} s")
    print(f"items x subscribers   {len(published)} x {args.subscribers}")
    print(f"latency p50           {statistics.median(ordered) if ordered else float('nan'):.1f} s")
    print(f"latency p95           {p95:.1f} s   (floor: <= {args.interval + 10:.0f} s)")
    print(f"latency max           {max(ordered, default=float('nan')):.1f} s")
    print(f"missing / duplicated  {missing} / {duplicated}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=20.0, help="polling interval, s")
    parser.add_argument("--items", type=int, default=8)
    parser.add_argument("--subscribers", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
