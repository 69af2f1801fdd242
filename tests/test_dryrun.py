"""The terminal dry run: alerts printed once, never again after a restart, and a clean stop."""

from __future__ import annotations

import asyncio
import io
import os
import signal

from bot.dryrun import dry_run
from bot.settings import load_settings
from tests.fakes.feed_server import FeedServer
from tests.test_cycle import HEADLINE, LEDE, rss, write_config


class _Log(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.cycled = asyncio.Event()

    def write(self, text: str) -> int:
        if "cycle:" in text:
            self.cycled.set()
        return super().write(text)


async def test_dry_run_prints_each_alert_once_across_restarts(database_url, tmp_path):
    async with FeedServer() as feeds:
        feeds.serve("/wire.xml", rss((HEADLINE, "https://example.org/talks", LEDE)))
        settings = load_settings(
            write_config(tmp_path, feeds.url("/wire.xml")), env={"DATABASE_URL": database_url}
        )
        first, second, log = io.StringIO(), io.StringIO(), io.StringIO()

        assert await dry_run(settings, out=first, log=log, max_cycles=1) == 0
        assert await dry_run(settings, out=second, log=log, max_cycles=1) == 0

    assert first.getvalue().count("Istanbul") == 1
    assert "https://example.org/talks" in first.getvalue()  # the article link, as text
    assert "<b>" not in first.getvalue()
    assert second.getvalue() == ""
    assert "queued 1 alerts" in log.getvalue()


async def test_ctrl_c_stops_the_dry_run_cleanly(database_url, tmp_path):
    async with FeedServer() as feeds:
        feeds.serve("/wire.xml", rss((HEADLINE, "https://example.org/talks", LEDE)))
        settings = load_settings(
            write_config(tmp_path, feeds.url("/wire.xml")), env={"DATABASE_URL": database_url}
        )
        log = _Log()
        running = asyncio.create_task(dry_run(settings, out=io.StringIO(), log=log))
        await asyncio.wait_for(log.cycled.wait(), 30)  # one cycle done; now it waits
        os.kill(os.getpid(), signal.SIGINT)

        assert await asyncio.wait_for(running, 30) == 0
    assert "dry run stopped" in log.getvalue()
