"""The fake Bot API server answers PTB the way Telegram does, errors included.

These tests use PTB's own ``Bot`` as the client, so they prove the fake speaks the real wire
protocol (form encoding, error shapes PTB turns into ``Forbidden``/``RetryAfter``/...)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from tests.fakes.bot_api import FakeBotApi, FakeError
from tests.fakes.html_check import check_telegram_html


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url) as client:
        yield client


async def test_send_message_is_recorded_with_decoded_params(api: FakeBotApi, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="t:talks")]])
    first = await bot.send_message(42, "<b>hello</b>", parse_mode="HTML", reply_markup=markup)
    second = await bot.send_message(42, "again")

    assert (first.message_id, second.message_id) == (1, 2)
    [call, _] = api.calls_to("sendMessage", chat_id=42)
    assert call.text == "<b>hello</b>"
    assert call.buttons == [{"text": "ok", "callback_data": "t:talks"}]
    assert api.texts(42) == ["<b>hello</b>", "again"]


async def test_updates_are_served_and_confirmed(api: FakeBotApi, bot: Bot) -> None:
    api.send_text(7, "/start")
    api.send_text(7, "hello")

    updates = await bot.get_updates(timeout=1)
    assert [u.message.text for u in updates if u.message] == ["/start", "hello"]
    assert updates[0].message is not None
    assert updates[0].message.entities[0].type == "bot_command"
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(FakeError.blocked(), Forbidden, id="403-blocked"),
        pytest.param(FakeError.chat_not_found(), BadRequest, id="400-chat-not-found"),
        pytest.param(FakeError.retry_after(7), RetryAfter, id="429"),
        pytest.param(FakeError.cant_parse(), BadRequest, id="400-cant-parse"),
        pytest.param(FakeError.migrated(-1009), ChatMigrated, id="400-migrated"),
        pytest.param(FakeError.server_error(), NetworkError, id="502"),
    ],
)
async def test_scripted_errors_reach_ptb_as_its_exceptions(
    api: FakeBotApi, bot: Bot, error: FakeError, expected: type[Exception]
) -> None:
    api.fail(error, chat_id=5, times=1)

    with pytest.raises(expected):
        await bot.send_message(5, "x")
    await bot.send_message(5, "the failure was used up")
    await bot.send_message(6, "other chats are unaffected")
    assert [c.error for c in api.calls_to("sendMessage")] == [error, None, None]


async def test_retry_after_and_migration_carry_their_parameters(api: FakeBotApi, bot: Bot) -> None:
    api.fail(FakeError.retry_after(3), method="sendMessage", times=1)
    api.fail(FakeError.migrated(-1001), chat_id=-1, times=1)

    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(1, "x")
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-1, "x")
    assert retry.value.retry_after == timedelta(seconds=3)
    assert migrated.value.new_chat_id == -1001


async def test_bad_html_and_long_button_data_are_refused_like_telegram(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(1, "a < b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
        await bot.send_message(1, "x", reply_markup=markup)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(1, "x" * 4097)


async def test_an_edit_that_changes_nothing_is_refused(bot: Bot) -> None:
    sent = await bot.send_message(1, "one")
    await bot.edit_message_text("two", chat_id=1, message_id=sent.message_id)

    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("two", chat_id=1, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("two", chat_id=1, message_id=99)


async def test_group_membership_follows_the_declared_admins(api: FakeBotApi, bot: Bot) -> None:
    api.add_chat(-100500, title="Diplomats", admins=[11], owner=10)

    statuses = [(await bot.get_chat_member(-100500, uid)).status for uid in (10, 11, 12)]
    admins = await bot.get_chat_administrators(-100500)
    chat = await bot.get_chat(-100500)

    assert statuses == ["creator", "administrator", "member"]
    assert sorted(member.user.id for member in admins) == [10, 11]
    assert (chat.type, chat.title) == ("supergroup", "Diplomats")


async def test_flood_limits_answer_429_when_enforced(bot: Bot) -> None:
    api = FakeBotApi(enforce_rate_limits=True)
    async with api, Bot(api.token, base_url=api.base_url) as limited:
        await limited.send_message(1, "first")
        with pytest.raises(RetryAfter):
            await limited.send_message(1, "second within a second")
        await limited.send_message(2, "another private chat is fine")


async def test_fault_injection_fails_some_sends_reproducibly() -> None:
    api = FakeBotApi(error_rate=0.5, seed=3)
    async with api, Bot(api.token, base_url=api.base_url) as flaky:
        outcomes = []
        for index in range(20):
            try:
                await flaky.send_message(index + 1, "x")
                outcomes.append(True)
            except NetworkError:
                outcomes.append(False)
    assert 0 < outcomes.count(False) < 20


def test_html_checker_matches_telegram_rules() -> None:
    assert check_telegram_html('<b>x</b> <a href="https://e.org/?a=1&amp;b=2">l</a>') is None
    assert check_telegram_html("&lt;tag&gt; &#39; &quot;") is None
    assert check_telegram_html("<b>open") is not None
    assert check_telegram_html("<div>x</div>") is not None
    assert check_telegram_html("fish & chips") is not None
