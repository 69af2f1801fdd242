"""The whole cycle end to end: a feed on a local server → poll → … → match → sendMessage on the
fake Bot API, with the real classifier, clustering, renderer and PTB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.utils import format_datetime
from pathlib import Path

import pytest
from telegram import Bot

from bot.db.models import utcnow
from bot.delivery.compose import RenderComposer
from bot.delivery.dispatcher import Dispatcher
from bot.pipeline.cycle import cycle_interval, run_once
from bot.services import Services, create_services
from bot.settings import DeliveryConfig, load_settings
from bot.tg.deliver import TelegramSender
from tests.delivery_support import add_chats, delivered
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.feed_server import FeedServer

HEADLINE = "Russia and Ukraine agree to hold direct peace talks in Istanbul next week"
LEDE = (
    "Delegations from Moscow and Kyiv will meet for negotiations on a ceasefire, "
    "the Turkish foreign minister said, in the first direct talks in three years."
)


def rss(*items: tuple[str, str, str]) -> str:
    when = format_datetime(utcnow())
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{text}</description><pubDate>{when}</pubDate></item>"
        for title, link, text in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Test wire</title><link>https://example.org/</link>{entries}</channel></rss>"
    )


def write_config(folder: Path, feed_url: str) -> Path:
    path = folder / "parley.toml"
    path.write_text(
        f"""
[general]
data_dir = "{folder}"
[topics.talks]
threshold = 0.2
[topics.de-escalation]
threshold = 0.9
[topics.security-guarantees]
threshold = 0.9
[[sources]]
name = "Test wire"
kind = "rss"
url = "{feed_url}"
interval_seconds = 60
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


@pytest.fixture
async def services(database_url, tmp_path, feeds) -> AsyncIterator[Services]:
    feeds.serve("/wire.xml", rss((HEADLINE, "https://example.org/talks", LEDE)))
    config_path = write_config(tmp_path, feeds.url("/wire.xml"))
    settings = load_settings(config_path, env={"DATABASE_URL": database_url})
    created = await create_services(settings)
    yield created
    await created.close()


async def test_a_new_feed_item_reaches_every_subscriber_once(services, sessionmaker):
    chats = await add_chats(sessionmaker, 3, topics=["talks"])
    [other] = await add_chats(sessionmaker, 1, topics=["security-guarantees"])
    async with FakeBotApi() as api:
        bot = Bot(api.token, base_url=api.base_url)
        await bot.initialize()
        dispatcher = Dispatcher(
            services.sessionmaker,
            TelegramSender(bot),
            RenderComposer(lambda: services.config.topics),
            DeliveryConfig(),
        )
        try:
            first = await run_once(services, dispatcher=dispatcher)
            second = await run_once(services, dispatcher=dispatcher, only_due=False)
        finally:
            await bot.shutdown()

    assert first.errors == {} and second.errors == {}
    sent = [c for c in api.calls_to("sendMessage") if c.error is None]
    assert sorted(delivered(api)) == chats
    assert all("Istanbul" in c.text for c in sent)
    assert other not in {c.chat_id for c in sent}
    assert first.match is not None and first.match.deliveries == 3
    assert second.match is not None and second.match.deliveries == 0
    assert "queued 3 alerts" in first.line()


def test_the_cycle_ticks_at_the_fastest_sources_pace(tmp_path):
    settings = load_settings(write_config(tmp_path, "https://example.org/feed"), env={})
    assert cycle_interval(settings.config) == 60
