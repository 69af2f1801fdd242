"""Fan-out benchmark: one story to N subscribers through a fake Bot API that enforces
Telegram's limits and injects faults; optionally SIGKILLs the sender halfway and restarts it.

    .venv/bin/python bench/fanout.py --subscribers 10000 [--kill-halfway] [--database-url URL]

The fake Bot API (``tests/fakes/bot_api.py``) runs in this process and answers 429 with
``retry_after`` whenever 30 messages/s overall, 1/s per private chat or 20/min per group would
be exceeded; on top of that 1% of sends get a 5xx, 2% of chats have blocked the bot, and 2% of
answers are slow (0.5-3 s). The sender (match + ``Dispatcher`` + ``TelegramSender`` over PTB,
the production code path with default ``[delivery]`` settings) runs in a child process, so it
can be killed with SIGKILL and restarted like a crashed deployment.

Prints: messages/s, time from publishing to the last message, p50/p95 per-message latency
(publish → sendMessage accepted), lost (reachable chats that never got the alert) and
duplicated (chats that got it twice), 429s received, and peak memory of the sender.
Floors (issue #7): N = 10,000 at >= 27 messages/s, 0 lost, 0 duplicated, also with the kill.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bot.db.migrate import upgrade_async  # noqa: E402
from bot.db.models import Chat, Delivery, DeliveryStatus, Story, StoryTopic, utcnow  # noqa: E402
from bot.db.session import create_engine, create_sessionmaker  # noqa: E402
from bot.settings import normalise_database_url  # noqa: E402
from tests.fakes.bot_api import FakeBotApi, FakeError  # noqa: E402
from tests.fakes.bot_api_model import JsonDict  # noqa: E402

FIRST_CHAT = 10_000_000


class FaultyBotApi(FakeBotApi):
    """The fake Bot API plus the benchmark's faults: blocked chats and slow answers."""

    def __init__(self, blocked: set[int], slow_rate: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.blocked = blocked
        self.slow_rate = slow_rate
        self.accepted_at: dict[int, list[float]] = {}

    def _scripted_error(self, name: str, chat_id: object) -> FakeError | None:
        if name == "sendmessage" and chat_id in self.blocked:
            return FakeError.blocked()
        return super()._scripted_error(name, chat_id)

    async def _dispatch(self, name: str, params: JsonDict) -> Any:
        if name == "sendmessage" and self._random.random() < self.slow_rate:
            await asyncio.sleep(self._random.uniform(0.5, 3.0))
        result = await super()._dispatch(name, params)
        if name == "sendmessage":
            self.accepted_at.setdefault(int(params["chat_id"]), []).append(time.time())
        return result

    def _record_only_errors(self) -> None:
        """10,000 recorded successful calls with their text would dominate this process's
        memory; keep only what the report needs."""
        self.calls = [call for call in self.calls if call.error is not None]


async def reset_postgres(url: str) -> None:
    """An empty schema (the benchmark owns the database it is given)."""
    from sqlalchemy import text

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def prepare(url: str, subscribers: int) -> None:
    await upgrade_async(url)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        session.add_all(
            Chat(id=FIRST_CHAT + n, type="private", topics=["talks"]) for n in range(subscribers)
        )
    await engine.dispose()


async def publish(url: str) -> float:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    published = time.time()
    async with sessionmaker.begin() as session:
        story = Story(
            title="Russia and Ukraine agree to direct peace talks in Istanbul",
            url="https://example.org/istanbul-talks",
            summary="Delegations will meet next week to negotiate a ceasefire.",
            lead_source="Atlas News",
            outlets=["Atlas News"],
            item_count=1,
        )
        session.add(story)
        await session.flush()
        session.add(StoryTopic(story_id=story.id, topic="talks", score=0.93))
    await engine.dispose()
    return published


async def sender_main(url: str, base_url: str, token: str) -> None:
    """The child: match, then drain the outbox until nothing is left, as the bot would."""
    from telegram import Bot

    from bot.delivery.compose import RenderComposer
    from bot.delivery.dispatcher import Dispatcher
    from bot.pipeline.match import match_stories
    from bot.settings import AdminConfig
    from bot.tg.deliver import TelegramSender

    config = AdminConfig()
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    bot = Bot(token, base_url=base_url)
    await bot.initialize()
    dispatcher = Dispatcher(
        sessionmaker, TelegramSender(bot), RenderComposer(lambda: config.topics), config.delivery
    )
    await dispatcher.recover()
    await match_stories(sessionmaker, config)
    totals: Counter[str] = Counter()
    window_max = window_total = 0.0
    while True:
        report = await dispatcher.drain()
        totals.update({k: v for k, v in vars(report).items() if isinstance(v, int)})
        window_max = max(window_max, report.unconfirmed_seconds_max)
        window_total += report.unconfirmed_seconds_total
        async with sessionmaker() as session:
            next_due = await session.scalar(
                select(func.min(Delivery.not_before)).where(
                    Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING])
                )
            )
        if next_due is None:
            break
        await asyncio.sleep(max(0.2, min(5.0, (next_due - utcnow()).total_seconds())))
    await bot.shutdown()
    await engine.dispose()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    recorded = totals["sent"] + totals["combined_messages"]
    window = {
        "resend_window_mean_ms": round(1000 * window_total / max(1, recorded), 2),
        "resend_window_max_ms": round(1000 * window_max, 1),
    }
    print(json.dumps({"peak_rss_mb": round(peak_kb / 1024, 1), **window, **totals}), flush=True)


def spawn_sender(url: str, api: FakeBotApi) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, "--sender", url, api.base_url, api.token],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PTB_TIMEDELTA": "1"},
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(7)
    chats = [FIRST_CHAT + n for n in range(args.subscribers)]
    blocked = set(rng.sample(chats, int(args.subscribers * 0.02)))
    folder = tempfile.mkdtemp(prefix="parley-fanout-")
    url = (
        normalise_database_url(args.database_url)
        if args.database_url
        else f"sqlite+aiosqlite:///{Path(folder) / 'fanout.sqlite3'}"
    )
    if args.database_url:
        await reset_postgres(url)
    await prepare(url, args.subscribers)
    api = FaultyBotApi(blocked, 0.02, enforce_rate_limits=True, error_rate=0.01, seed=11)
    async with api:
        published = await publish(url)
        child = spawn_sender(url, api)
        killed = False
        outputs = []
        while child.poll() is None:
            await asyncio.sleep(0.05)
            if args.kill_halfway and not killed and len(api.accepted_at) >= args.subscribers // 2:
                # At an arbitrary moment after the halfway mark, not right after an answer.
                await asyncio.sleep(rng.uniform(0.0, 1.0))
                child.send_signal(signal.SIGKILL)
                child.wait()
                killed = True
                print(f"  SIGKILL after {len(api.accepted_at)} chats; restarting", flush=True)
                child = spawn_sender(url, api)
            if len(api.calls) > 2000:
                api._record_only_errors()
        outputs.append(child.stdout.read() if child.stdout else "")
        rate_limited = sum(1 for c in api.calls if c.error is not None and c.error.status == 429)
        accepted = dict(api.accepted_at)
    sender = json.loads(outputs[-1].strip().splitlines()[-1]) if outputs[-1].strip() else {}
    sender_keys = ("peak_rss_mb", "resend_window_mean_ms", "resend_window_max_ms", "retried")
    reachable = [c for c in chats if c not in blocked]
    lost = [c for c in reachable if c not in accepted]
    duplicated = [c for c, times in accepted.items() if len(times) > 1]
    firsts = [times[0] for times in accepted.values()]
    last = max(firsts) - published
    latencies = [t - published for t in firsts]
    return {
        "subscribers": args.subscribers,
        "blocked": len(blocked),
        "killed_halfway": args.kill_halfway,
        "messages": len(firsts),
        "messages_per_s": round(len(firsts) / last, 2),
        "time_to_last_s": round(last, 1),
        "latency_p50_s": round(statistics.median(latencies), 1),
        "latency_p95_s": round(percentile(latencies, 0.95), 1),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "rate_limited_429": rate_limited,
        **{f"sender_{key}": sender.get(key) for key in sender_keys},
        "bench_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "database": url.split(":")[0],
    }


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--sender":
        asyncio.run(sender_main(*sys.argv[2:5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--kill-halfway", action="store_true")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    width = max(len(key) for key in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
