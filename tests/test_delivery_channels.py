"""Broadcast channels from the config, and the pacing that makes fan-out safe."""

from __future__ import annotations

import pytest
from telegram import Bot

from bot.db.models import ChatStatus
from bot.delivery.channels import sync_channels
from bot.delivery.compose import RenderComposer
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.ratelimit import ChatPacer
from bot.pipeline.match import match_stories
from bot.settings import AdminConfig, DeliveryConfig
from bot.tg.deliver import TelegramSender
from tests.delivery_support import T0, add_chats, add_story, chat, delivered, deliveries
from tests.fakes.bot_api import FakeBotApi


def config_with_channels(channels: dict[str, int | str]) -> AdminConfig:
    return AdminConfig.model_validate({"telegram": {"channels": channels}})


async def test_channels_are_posted_once_per_alert_and_before_private_chats(sessionmaker):
    config = config_with_channels({"talks": -1001, "*": "@parley_all"})
    private = await add_chats(sessionmaker, 5, topics=["talks"])
    async with FakeBotApi() as api:
        api.add_chat(-1002, "channel", username="parley_all")
        bot = Bot(api.token, base_url=api.base_url)
        await bot.initialize()
        sender = TelegramSender(bot)
        try:
            assert await sync_channels(sessionmaker, config, resolver=sender) == 2
            await add_story(sessionmaker, "Peace talks in Oman", {"talks": 0.9})
            await add_story(sessionmaker, "Truce in Gaza", {"de-escalation": 0.9})
            await match_stories(sessionmaker, config, now=T0)
            dispatcher = Dispatcher(
                sessionmaker,
                sender,
                RenderComposer(lambda: config.topics),
                DeliveryConfig(senders=1, group_per_minute=6000, private_chat_per_second=100),
                clock=lambda: T0,
            )
            await dispatcher.drain()
        finally:
            await bot.shutdown()

    order = delivered(api)
    assert set(order[:3]) == {-1001, -1002}  # channels first: priority 0
    assert order.count(-1001) == 1  # "talks" only
    assert order.count(-1002) == 2  # every topic
    assert sorted(order[3:]) == private
    all_channel = await chat(sessionmaker, -1002)
    assert all_channel is not None and all_channel.is_broadcast
    assert all_channel.topics == sorted(config.topics)


async def test_a_channel_removed_from_the_config_is_stopped(sessionmaker):
    await sync_channels(sessionmaker, config_with_channels({"talks": -1001}))
    await sync_channels(sessionmaker, config_with_channels({}))

    stopped = await chat(sessionmaker, -1001)
    assert stopped is not None and stopped.status is ChatStatus.STOPPED
    await match_stories(sessionmaker, AdminConfig(), now=T0)
    assert await deliveries(sessionmaker) == []


async def test_an_unresolvable_channel_name_is_skipped_not_fatal(sessionmaker):
    config = config_with_channels({"talks": "@nowhere", "de-escalation": -1005})

    assert await sync_channels(sessionmaker, config) == 1
    assert await chat(sessionmaker, -1005) is not None


@pytest.mark.parametrize(("chat_id", "interval"), [(42, 1.0), (-100123, 3.0), (-5, 3.0)])
def test_chat_limits_follow_the_kind_of_chat(chat_id, interval):
    assert ChatPacer(1, 20).interval(chat_id) == interval


async def test_an_unscoped_429_right_after_a_send_to_the_same_chat_is_the_chats():
    pacer = ChatPacer(1000, 60000)
    await pacer.wait(7)
    assert pacer.recently_sent_before_last(7) is False
    await pacer.wait(7)
    assert pacer.recently_sent_before_last(7) is True
