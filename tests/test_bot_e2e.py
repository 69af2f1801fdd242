"""End to end: the real Application against the fake Bot API, driven by simulated users.

Each test starts the whole bot (post_init, polling, job queue) on a fresh database, sends
updates the way Telegram would and asserts on what the bot sent and on the database.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import select

from bot.db.models import Chat, ChatStatus, Feedback, Story, StoryTopic
from bot.services import Services
from bot.settings import load_settings
from bot.tg.app import ParleyApp, build_application
from tests.fakes.bot_api import ApiCall, FakeBotApi, FakeError

T = TypeVar("T")
ADMIN = 999
CONFIG = """
[telegram]
admins = [999]

[topics.talks]
label = "Talks"
emoji = "🤝"
[topics.de-escalation]
label = "De-escalation"
[topics.security-guarantees]
label = "Security guarantees"
[topics.prisoner-exchange]
label = "Prisoner exchange"
description = "Warring parties exchange prisoners of war."
"""


@dataclass
class Env:
    api: FakeBotApi
    app: ParleyApp
    config_path: Path

    @property
    def services(self) -> Services:
        services = self.app.bot_data.services
        assert services is not None
        return services

    async def ask(self, chat_id: int, text: str, *, user_id: int | None = None) -> ApiCall:
        """Send ``text`` as a user and return the bot's one reply."""
        since = len(self.api.calls)
        self.api.send_text(chat_id, text, user_id=user_id)
        [reply] = await self.api.wait_for("sendMessage", chat_id=chat_id, since=since)
        return reply

    async def press(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        expect: str = "answerCallbackQuery",
    ) -> ApiCall:
        since = len(self.api.calls)
        self.api.press_button(chat_id, message_id, data, user_id=user_id)
        [call] = await self.api.wait_for(expect, since=since)
        return call

    async def until(
        self, read: Callable[[], Awaitable[T]], ok: Callable[[T], bool], tries: int = 200
    ) -> T:
        """Poll ``read`` until ``ok`` (updates are handled concurrently, after the fake served
        them); a bounded number of tries turns "never" into a failure, not a hang."""
        for _ in range(tries):
            value = await read()
            if ok(value):
                return value
            await asyncio.sleep(0.02)
        raise AssertionError(f"condition not reached; last value {value!r}")

    async def chat(self, chat_id: int) -> Chat | None:
        async with self.services.sessionmaker() as session:
            return await session.get(Chat, chat_id)


@pytest.fixture
async def env(database_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    config_path = tmp_path / "parley.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    async with FakeBotApi() as api:
        settings = load_settings(
            config_path,
            env={
                "TELEGRAM_BOT_TOKEN": api.token,
                "DATABASE_URL": database_url,
                "TELEGRAM_API_BASE_URL": api.base_url,
            },
        )
        app = build_application(settings)
        async with app:
            assert app.post_init is not None and app.updater is not None
            await app.post_init(app)
            await app.updater.start_polling(poll_interval=0, timeout=1)
            await app.start()
            try:
                yield Env(api, app, config_path)
            finally:
                await app.updater.stop()
                await app.stop()
                assert app.post_shutdown is not None
                await app.post_shutdown(app)


async def test_start_subscribes_once_with_defaults_and_topic_buttons(env: Env) -> None:
    welcome = await env.ask(42, "/start")
    again = await env.ask(42, "/start")

    assert "Welcome to Parley" in welcome.text
    assert [b["callback_data"] for b in welcome.buttons] == [
        "t:talks",
        "t:de-escalation",
        "t:security-guarantees",
        "t:prisoner-exchange",
    ]
    assert [b["text"][0] for b in welcome.buttons] == ["✅", "✅", "✅", "▫"]
    assert "already subscribed" in again.text
    chat = await env.chat(42)
    assert chat is not None
    assert (chat.topics, chat.mode, chat.status) == (
        ["talks", "de-escalation", "security-guarantees"],
        "instant",
        ChatStatus.ACTIVE,
    )


async def test_topic_buttons_and_commands_change_topics(env: Env) -> None:
    welcome = await env.ask(42, "/start")
    message_id = welcome.result["message_id"]

    edit = await env.press(42, message_id, "t:talks", expect="editMessageText")
    assert "▫️ 🤝 Talks" in [b["text"] for b in edit.buttons]
    added = await env.ask(42, "/subscribe prisoner-exchange")
    removed = await env.ask(42, "/unsubscribe de-escalation")
    unknown = await env.ask(42, "/subscribe weather")

    assert "Prisoner exchange" in added.text
    assert "De-escalation" not in removed.text
    assert "Unknown topic weather" in unknown.text and "prisoner-exchange" in unknown.text
    chat = await env.chat(42)
    assert chat is not None and chat.topics == ["security-guarantees", "prisoner-exchange"]


async def test_keywords_countries_and_sensitivity(env: Env) -> None:
    await env.ask(42, "/start")
    include = await env.ask(42, '/keywords include ceasefire "Peace Talks"')
    await env.ask(42, "/keywords exclude football")
    too_long = await env.ask(42, "/keywords include " + "x" * 80)
    countries = await env.ask(42, "/countries Armenia and Azerbaijan, Kiev")
    unknown = await env.ask(42, "/countries Atlantis")
    strict = await env.ask(42, "/sensitivity strict")
    bad = await env.ask(42, "/sensitivity extreme")

    assert '"peace talks"' in include.text
    assert "too long" in too_long.text
    assert "Armenia" in countries.text and "Ukraine" in countries.text
    assert "Atlantis" in unknown.text
    assert "strict" in strict.text and "not a sensitivity" in bad.text
    chat = await env.chat(42)
    assert chat is not None
    assert chat.keywords_include == ["ceasefire", "peace talks"]
    assert chat.keywords_exclude == ["football"]
    assert chat.countries == ["AM+AZ", "UA"]
    assert chat.sensitivity == "strict"


async def test_schedule_commands(env: Env) -> None:
    await env.ask(42, "/start")
    digest = await env.ask(42, "/mode digest 7:30")
    tz = await env.ask(42, "/timezone europe/kyiv")
    quiet = await env.ask(42, "/quiet 22:00-07:00")
    muted = await env.ask(42, "/mute 2h")
    bad_tz = await env.ask(42, "/timezone Mars/Base")

    assert "07:30" in digest.text and "Europe/Kyiv" in tz.text
    assert "22:00–07:00" in quiet.text and "Muted until" in muted.text
    assert "not a time zone" in bad_tz.text
    chat = await env.chat(42)
    assert chat is not None
    assert (chat.mode, chat.digest_time, chat.timezone) == ("digest", "07:30", "Europe/Kyiv")
    assert (chat.quiet_start, chat.quiet_end) == ("22:00", "07:00")
    assert chat.muted_until is not None
    await env.ask(42, "/unmute")
    await env.ask(42, "/quiet off")
    chat = await env.chat(42)
    assert chat is not None and chat.muted_until is None and chat.quiet_start is None


async def test_settings_screen_buttons(env: Env) -> None:
    await env.ask(42, "/start")
    screen = await env.ask(42, "/settings")
    assert "Settings for this chat" in screen.text
    edit = await env.press(42, screen.result["message_id"], "sens:broad", expect="editMessageText")
    assert "Sensitivity: broad" in edit.text
    chat = await env.chat(42)
    assert chat is not None and chat.sensitivity == "broad"


async def test_stop_resume_and_forget(env: Env) -> None:
    await env.ask(42, "/start")
    stopped = await env.ask(42, "/stop")
    chat = await env.chat(42)
    assert "stopped" in stopped.text and chat is not None and chat.status == ChatStatus.STOPPED
    resumed = await env.ask(42, "/start")
    assert "on again" in resumed.text

    confirm = await env.ask(42, "/forget")
    assert await env.chat(42) is not None  # nothing deleted before the button
    await env.press(42, confirm.result["message_id"], "forget:yes", expect="editMessageText")
    assert await env.chat(42) is None


async def test_help_unknown_commands_and_plain_text(env: Env) -> None:
    help_text = await env.ask(42, "/help")
    unknown = await env.ask(42, "/frobnicate")
    plain = await env.ask(42, "hello there")
    not_admin = await env.ask(42, "/stats")

    assert all(f"/{c}" in help_text.text for c in ("start", "keywords", "quiet", "forget"))
    assert "/help" in unknown.text and "/help" in plain.text
    assert not_admin.text == unknown.text  # no hint that admin commands exist


async def test_group_settings_are_for_admins_only(env: Env) -> None:
    env.api.add_chat(-100777, title="Peace group", admins=[5], owner=4)
    refused = await env.ask(-100777, "/start@parley_test_bot", user_id=6)
    assert "Only this group's admins" in refused.text
    assert await env.chat(-100777) is None

    welcome = await env.ask(-100777, "/start@parley_test_bot", user_id=5)
    assert "Welcome" in welcome.text
    readable = await env.ask(-100777, "/settings", user_id=6)
    assert "Settings for this chat" in readable.text
    blocked = await env.ask(-100777, "/sensitivity broad", user_id=6)
    assert "Only this group's admins" in blocked.text
    chat = await env.chat(-100777)
    assert chat is not None and chat.sensitivity == "normal" and chat.type == "supergroup"


async def test_group_migration_keeps_settings(env: Env) -> None:
    env.api.add_chat(-555, "group", title="Old group", admins=[5])
    await env.ask(-555, "/start", user_id=5)
    await env.ask(-555, "/sensitivity strict", user_id=5)
    env.api.migrate_group(-555, -100555)
    await env.until(lambda: env.chat(-100555), lambda chat: chat is not None)
    reply = await env.ask(-100555, "/settings", user_id=5)

    assert "Sensitivity: strict" in reply.text
    assert await env.chat(-555) is None


async def _story(env: Env, title: str, scores: dict[str, float]) -> int:
    async with env.services.sessionmaker.begin() as session:
        story = Story(title=title, summary="", outlets=["Atlas News"], lead_source="Atlas News")
        session.add(story)
        await session.flush()
        for topic, score in scores.items():
            session.add(StoryTopic(story_id=story.id, topic=topic, score=score, evidence=title))
        return story.id


async def test_feedback_and_why_buttons(env: Env) -> None:
    await env.ask(42, "/start")
    story_id = await _story(env, "Armenia and Azerbaijan agree to talks", {"talks": 0.81})

    up = await env.press(42, 1, f"fb:+:{story_id}")
    down = await env.press(42, 1, f"fb:-:{story_id}")
    why = await env.press(42, 1, f"why:{story_id}")
    stale = await env.press(42, 1, "fb:+:999999")

    assert "relevant" in up.params["text"] and "not relevant" in down.params["text"]
    assert "0.81" in why.params["text"] and why.params.get("show_alert") is True
    assert "no longer stored" in stale.params["text"]
    async with env.services.sessionmaker() as session:
        [feedback] = (await session.execute(select(Feedback))).scalars().all()
    assert (feedback.vote, feedback.topic_scores) == (-1, {"talks": 0.81})


async def test_latest_shows_matching_history(env: Env) -> None:
    await env.ask(42, "/start")
    await _story(env, "Armenia and Azerbaijan agree to peace talks", {"talks": 0.9})
    await _story(env, "Football final tonight", {"talks": 0.1})
    await _story(env, "Ukraine ceasefire talks in Istanbul", {"de-escalation": 0.7})
    await env.ask(42, "/countries Armenia")

    reply = await env.ask(42, "/latest 5")
    assert "Armenia and Azerbaijan" in reply.text
    assert "Ukraine" not in reply.text and "Football" not in reply.text
    bad = await env.ask(42, "/latest 500")
    assert "Usage" in bad.text


async def test_admin_commands_and_reload(env: Env) -> None:
    await env.ask(ADMIN, "/start")
    stats = await env.ask(ADMIN, "/stats")
    sources = await env.ask(ADMIN, "/sources")
    assert "Subscribers: 1 active" in stats.text
    assert "No sources" in sources.text

    good = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(good + "\n[limits]\nmax_keywords = 0\n", encoding="utf-8")
    rejected = await env.ask(ADMIN, "/reload")
    assert "rejected" in rejected.text and "max_keywords" in rejected.text
    assert env.services.config.limits.max_keywords == 20

    env.config_path.write_text(good + "\n[limits]\nmax_keywords = 3\n", encoding="utf-8")
    reloaded = await env.ask(ADMIN, "/reload")
    assert "reloaded" in reloaded.text
    assert env.services.config.limits.max_keywords == 3


async def test_config_file_change_is_reloaded_and_admins_told(env: Env) -> None:
    [job] = env.app.job_queue.get_jobs_by_name("config-watch")  # type: ignore[union-attr]
    await job.run(env.app)  # remember the current mtime
    since = len(env.api.calls)
    env.config_path.write_text(CONFIG + "\n[limits]\nmax_countries = 2\n", encoding="utf-8")
    os.utime(env.config_path, (1, 1))
    await job.run(env.app)

    [notice] = await env.api.wait_for("sendMessage", chat_id=ADMIN, since=since)
    assert "reloaded" in notice.text
    assert env.services.config.limits.max_countries == 2


async def test_command_menus_are_set_for_users_and_admins(env: Env) -> None:
    menus = env.api.commands
    default = [c["command"] for c in menus['{"type": "default"}']]
    admin = [c["command"] for c in menus['{"chat_id": 999, "type": "chat"}']]
    assert "start" in default and "stats" not in default
    assert {"stats", "sources", "test", "reload"} <= set(admin)


async def test_a_failing_handler_gets_an_apology(env: Env) -> None:
    env.api.fail(FakeError.cant_parse(), chat_id=42, method="sendMessage", times=1)
    since = len(env.api.calls)
    env.api.send_text(42, "/help")
    calls = await env.api.wait_for("sendMessage", chat_id=42, since=since, count=2)
    assert calls[0].error is not None
    assert "Sorry, something went wrong" in calls[1].text


async def test_blocked_bot_marks_the_chat(env: Env) -> None:
    await env.ask(42, "/start")
    env.api.push_update(
        {
            "my_chat_member": {
                "chat": env.api.chat(42),
                "from": env.api.user(42),
                "date": 0,
                "old_chat_member": {"status": "member", "user": env.api.user(env.api.bot_id)},
                "new_chat_member": {
                    "status": "kicked",
                    "user": env.api.user(env.api.bot_id),
                    "until_date": 0,
                },
            }
        }
    )
    chat = await env.until(
        lambda: env.chat(42), lambda c: c is not None and c.status == ChatStatus.BLOCKED
    )
    assert chat is not None and chat.blocked_reason == "blocked by the user"
