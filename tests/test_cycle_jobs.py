"""The JobQueue adapters in a real python-telegram-bot Application against the fake Bot API:
the scheduled cycle finds a new feed item and the sender job delivers it."""

from __future__ import annotations

import pytest

from bot.services import create_services
from bot.settings import load_settings
from bot.tg.app import build_application
from bot.tg.jobs import CYCLE_JOB, SENDER_JOB, schedule_jobs
from tests.delivery_support import add_chats
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.feed_server import FeedServer
from tests.test_cycle import HEADLINE, LEDE, rss, write_config

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_scheduled_jobs_poll_match_and_send(database_url, tmp_path, sessionmaker):
    chats = await add_chats(sessionmaker, 2, topics=["talks"])
    async with FeedServer() as feeds, FakeBotApi() as api:
        feeds.serve("/wire.xml", rss((HEADLINE, "https://example.org/talks", LEDE)))
        settings = load_settings(
            write_config(tmp_path, feeds.url("/wire.xml")),
            env={
                "DATABASE_URL": database_url,
                "TELEGRAM_BOT_TOKEN": api.token,
                "TELEGRAM_API_BASE_URL": api.base_url,
            },
        )
        application = build_application(settings)
        services = await create_services(settings)
        application.bot_data.services = services
        try:
            async with application:
                schedule_jobs(application)
                job_queue = application.job_queue
                assert job_queue is not None
                names = {job.name for job in job_queue.jobs()}
                assert {CYCLE_JOB, SENDER_JOB} <= names
                await application.start()
                try:
                    sent = await api.wait_for("sendMessage", count=2, within=30)
                finally:
                    await application.stop()
        finally:
            await services.close()

    assert sorted(c.chat_id for c in sent if isinstance(c.chat_id, int)) == chats
    assert all("Istanbul" in c.text for c in sent)
