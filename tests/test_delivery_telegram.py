"""Delivery through the real PTB ``Bot`` against the fake Bot API: every Telegram answer the
issue names, and what the outbox and the chats table look like afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot

from bot.db.models import ChatStatus, DeliveryStatus
from bot.delivery.compose import RenderComposer
from bot.delivery.dispatcher import Dispatcher
from bot.pipeline.match import match_stories
from bot.settings import AdminConfig, DeliveryConfig
from bot.tg.deliver import TelegramSender
from tests.delivery_support import (
    T0,
    ManualClock,
    add_chats,
    add_outlet,
    add_story,
    chat,
    delivered,
    deliveries,
)
from tests.fakes.bot_api import FakeBotApi, FakeError

# PTB 22 builds its RetryAfter through a deprecated int-valued property; only a warning outside
# pytest's warnings-as-errors. TelegramSender reads the seconds without that property.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

CONFIG = AdminConfig()
QUICK = DeliveryConfig(global_per_second=1000, private_chat_per_second=100, group_per_minute=6000)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def sender(api: FakeBotApi) -> AsyncIterator[TelegramSender]:
    bot = Bot(api.token, base_url=api.base_url)
    await bot.initialize()
    yield TelegramSender(bot)
    await bot.shutdown()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def dispatcher(sessionmaker, sender, clock) -> Dispatcher:
    return Dispatcher(
        sessionmaker,
        sender,
        RenderComposer(lambda: CONFIG.topics),
        QUICK,
        clock=clock,
        retry_delays=(0.01, 0.01),
    )


async def publish(sessionmaker, title: str = "Ceasefire talks resume in Doha", now=T0) -> int:
    story = await add_story(sessionmaker, title, {"talks": 0.9})
    await match_stories(sessionmaker, CONFIG, now=now)
    return story


async def test_alert_is_sent_as_html_with_buttons_and_its_id_stored(sessionmaker, api, dispatcher):
    chats = await add_chats(sessionmaker, 3)
    await publish(sessionmaker)

    report = await dispatcher.drain()

    assert sorted(delivered(api)) == chats
    call = api.calls_to("sendMessage")[0]
    assert call.params["parse_mode"] == "HTML" and "Ceasefire talks" in call.text
    assert any(button.get("callback_data", "").startswith("fb") for button in call.buttons)
    rows = await deliveries(sessionmaker)
    assert all(r.status is DeliveryStatus.SENT and r.message_id == 1 for r in rows)
    assert report.sent == 3


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(FakeError.blocked(), id="blocked"),
        pytest.param(FakeError.kicked(), id="kicked"),
        pytest.param(FakeError(403, "Forbidden: user is deactivated"), id="deactivated"),
        pytest.param(FakeError.chat_not_found(), id="chat-not-found"),
    ],
)
async def test_a_gone_chat_is_deactivated_and_never_sent_to_again(
    sessionmaker, api, dispatcher, error
):
    gone, fine = await add_chats(sessionmaker, 2)
    api.fail(error, chat_id=gone)
    await publish(sessionmaker)
    await dispatcher.drain()
    await publish(sessionmaker, "Second round of talks")
    await dispatcher.drain()

    stored = await chat(sessionmaker, gone)
    assert stored is not None and stored.status is ChatStatus.BLOCKED
    assert len(api.calls_to("sendMessage", chat_id=gone)) == 1
    assert delivered(api) == [fine, fine]
    states = {(r.chat_id, r.status) for r in await deliveries(sessionmaker)}
    assert (gone, DeliveryStatus.SKIPPED) in states


async def test_retry_after_waits_as_asked_then_sends_once(sessionmaker, api, dispatcher):
    [target] = await add_chats(sessionmaker, 1)
    api.fail(FakeError.retry_after(1), chat_id=target, times=1)
    await publish(sessionmaker)

    report = await dispatcher.drain()

    refused, accepted = api.calls_to("sendMessage", chat_id=target)
    assert refused.error is not None and accepted.error is None
    assert accepted.at - refused.at >= 0.95  # waited the second Telegram asked for
    assert report.rate_limited == 1 and report.sent == 1


async def test_server_errors_are_retried_then_left_pending_never_dropped(
    sessionmaker, api, dispatcher, clock
):
    flaky, down = await add_chats(sessionmaker, 2)
    api.fail(FakeError.server_error(), chat_id=flaky, times=2)
    api.fail(FakeError.server_error(500), chat_id=down)
    await publish(sessionmaker)

    await dispatcher.drain()

    assert delivered(api) == [flaky]
    rows = {r.chat_id: r for r in await deliveries(sessionmaker)}
    assert rows[down].status is DeliveryStatus.PENDING
    assert rows[down].attempts == 3 and rows[down].not_before > clock()
    assert "500" in (rows[down].last_error or "") or rows[down].last_error

    api.clear_failures()
    clock.now = rows[down].not_before
    await dispatcher.drain()

    assert delivered(api) == [flaky, down]


async def test_unparsable_html_is_resent_as_plain_text(sessionmaker, api, dispatcher):
    [target] = await add_chats(sessionmaker, 1)
    api.fail(FakeError.cant_parse(), chat_id=target, times=1)
    await publish(sessionmaker)

    report = await dispatcher.drain()

    first, second = api.calls_to("sendMessage", chat_id=target)
    assert first.params.get("parse_mode") == "HTML"
    assert "parse_mode" not in second.params and second.error is None
    assert "Ceasefire talks" in second.text and "<b>" not in second.text
    assert report.plain_fallbacks == 1


async def test_a_migrated_group_moves_and_gets_the_alert_there(sessionmaker, api, dispatcher):
    [group] = await add_chats(sessionmaker, 1, start=-5, type="group")
    api.fail(FakeError.migrated(-1009999), chat_id=group)
    await publish(sessionmaker)

    await dispatcher.drain()

    assert delivered(api) == [-1009999]
    assert await chat(sessionmaker, group) is None
    moved = await chat(sessionmaker, -1009999)
    assert moved is not None and moved.status is ChatStatus.ACTIVE
    [row] = await deliveries(sessionmaker)
    assert row.chat_id == -1009999 and row.status is DeliveryStatus.SENT


async def test_also_reported_by_edits_the_sent_message(sessionmaker, api, dispatcher):
    [target] = await add_chats(sessionmaker, 1)
    story = await publish(sessionmaker)
    await dispatcher.drain()

    await add_outlet(sessionmaker, story, "Dawn")
    await match_stories(sessionmaker, CONFIG, now=T0)
    report = await dispatcher.drain()

    [edit] = api.calls_to("editMessageText", chat_id=target)
    assert edit.params["message_id"] == 1 and "Dawn" in edit.text
    assert len(api.calls_to("sendMessage")) == 1
    [row] = await deliveries(sessionmaker)
    assert row.sent_revision == 2 and row.edit_pending is False
    assert report.edited == 1


async def test_many_pending_alerts_for_one_chat_become_one_message(sessionmaker, api, dispatcher):
    [target] = await add_chats(sessionmaker, 1)
    for n in range(7):  # burst_limit is 5
        await add_story(sessionmaker, f"Talks update {n}", {"talks": 0.9})
    await match_stories(sessionmaker, CONFIG, now=T0)

    report = await dispatcher.drain()

    [message] = api.calls_to("sendMessage", chat_id=target)
    assert all(f"Talks update {n}" in message.text for n in range(7))
    rows = await deliveries(sessionmaker)
    assert all(r.status is DeliveryStatus.SENT and r.combined for r in rows)
    assert report.combined_messages == 1 and report.combined_alerts == 7


async def test_digest_chat_gets_one_message_at_its_local_time(
    sessionmaker, api, dispatcher, clock
):
    [target] = await add_chats(
        sessionmaker, 1, mode="digest", digest_time="18:30", timezone="Asia/Tokyo"
    )
    await publish(sessionmaker, "Talks in Doha")
    await publish(sessionmaker, "Truce holds in Gaza")

    await dispatcher.drain()
    assert api.calls_to("sendMessage") == []

    next_day = T0 + timedelta(days=1)  # T0 is 21:00 in Tokyo
    clock.now = next_day.replace(hour=9, minute=29)  # 18:29 in Tokyo
    await dispatcher.drain()
    assert api.calls_to("sendMessage") == []

    clock.now = next_day.replace(hour=9, minute=30)
    await dispatcher.drain()
    [digest] = api.calls_to("sendMessage", chat_id=target)
    assert "Talks in Doha" in digest.text and "Truce holds in Gaza" in digest.text


async def test_quiet_hours_defer_to_the_end_of_the_window(sessionmaker, api, dispatcher, clock):
    [target] = await add_chats(
        sessionmaker, 1, quiet_start="22:00", quiet_end="07:00", timezone="America/New_York"
    )
    night = T0.replace(hour=4)  # 23:00 in New York
    clock.now = night
    await publish(sessionmaker, "Talks in Doha", now=night)
    await publish(sessionmaker, "Truce holds in Gaza", now=night)

    await dispatcher.drain()
    clock.now = T0.replace(hour=11, minute=59)  # 06:59
    await dispatcher.drain()
    assert api.calls_to("sendMessage") == []

    clock.now = T0.replace(hour=12)  # 07:00
    await dispatcher.drain()
    [catch_up] = api.calls_to("sendMessage", chat_id=target)
    assert "Talks in Doha" in catch_up.text and "Truce holds in Gaza" in catch_up.text


async def test_a_chat_quieted_after_matching_is_held_at_send_time(
    sessionmaker, api, dispatcher, clock
):
    [target] = await add_chats(sessionmaker, 1)
    await publish(sessionmaker)
    async with sessionmaker.begin() as session:
        from bot.db.models import Chat

        stored = await session.get(Chat, target)
        assert stored is not None
        stored.muted_until = T0 + timedelta(hours=1)

    report = await dispatcher.drain()

    assert api.calls_to("sendMessage") == []
    [row] = await deliveries(sessionmaker)
    assert row.status is DeliveryStatus.PENDING and row.not_before == T0 + timedelta(hours=1)
    assert report.deferred == 1
