"""End to end, admin side: /test with the real classifier, /channel, /stats with pipeline
timings, and the paused-source notice. Same fake Bot API and ``env`` fixture as
``test_bot_e2e``; the pipeline cycle job is removed first where it could interfere."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.db.models import (
    Chat,
    ChatStatus,
    Delivery,
    DeliveryStatus,
    Item,
    Source,
    Story,
    utcnow,
)
from bot.delivery.dispatcher import DeliveryReport
from bot.pipeline.classify import ClassifyReport
from bot.pipeline.cluster import ClusterReport
from bot.pipeline.cycle import CycleReport
from bot.pipeline.match import MatchReport
from bot.pipeline.poll import PollReport, SourceReport
from bot.settings import CORE_TOPICS
from bot.tg import texts
from bot.tg.jobs import CYCLE_JOB
from classifiers import TopicClassifier
from tests import test_bot_e2e
from tests.fakes.bot_api import ApiCall
from tests.test_bot_e2e import ADMIN, Env

env = test_bot_e2e.env  # the same fixture: the whole bot against the fake Bot API
CEASEFIRE = "Russia and Ukraine agree to an immediate ceasefire along the entire front line"
_LOADED: dict[str, TopicClassifier] = {}  # the ONNX model, loaded once for the whole module


def stop_pipeline(env: Env) -> None:
    """No scheduled cycle during the test (it would load the model and record timings)."""
    assert env.app.job_queue is not None
    for job in env.app.job_queue.get_jobs_by_name(CYCLE_JOB):
        job.schedule_removal()


async def load_classifier(env: Env) -> TopicClassifier:
    if "model" not in _LOADED:
        _LOADED["model"] = await env.services.classifier()
    env.services._classifier = _LOADED["model"]
    return _LOADED["model"]


async def quiet_for(env: Env, chat_id: int, since: int, seconds: float = 0.3) -> list[ApiCall]:
    """The messages the bot sent to ``chat_id`` after call ``since``, once it had time to."""
    await asyncio.sleep(seconds)
    return env.api.calls_to("sendMessage", chat_id=chat_id)[since:]


# -- /test ----------------------------------------------------------------------------------


async def test_admin_test_command_scores_every_topic_off_the_event_loop(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop_pipeline(env)
    classifier = await load_classifier(env)
    threads: list[int] = []
    classify = classifier.classify

    def recording(texts_: Sequence[str], **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return classify(texts_, **kwargs)

    monkeypatch.setattr(classifier, "classify", recording)

    reply = await env.ask(ADMIN, f"/test {CEASEFIRE}")
    usage = await env.ask(ADMIN, "/test")

    thresholds = env.services.config.thresholds
    lines = reply.text.splitlines()
    for topic in classifier.topics:
        [line] = [ln for ln in lines if f" {topic}: " in ln or f"<b>{topic}</b>: " in ln]
        assert f"threshold {thresholds[topic]:.2f}" in line
    [de_escalation] = [ln for ln in lines if "de-escalation" in ln]
    assert de_escalation.startswith("✅"), reply.text
    assert "ceasefire" in reply.text  # the evidence sentence under the hit
    assert threads and threading.get_ident() not in threads  # classified in a worker thread
    assert usage.text == texts.TEST_USAGE


async def test_admin_commands_look_unknown_to_everyone_else(env: Env) -> None:
    stop_pipeline(env)
    unknown = await env.ask(42, "/frobnicate")
    refused = await env.ask(42, f"/test {CEASEFIRE}")
    assert refused.text == unknown.text == texts.POINTER_TO_HELP

    env.api.add_chat(-100777, title="Peace group", admins=[5])
    addressed = await env.ask(-100777, "/test@parley_test_bot hello", user_id=5)
    assert addressed.text == texts.POINTER_TO_HELP
    since = len(env.api.calls_to("sendMessage", chat_id=-100777))
    env.api.send_text(-100777, "/stats", user_id=5)  # another bot's command: stay quiet
    env.api.send_text(-100777, "/test hello", user_id=5)
    assert await quiet_for(env, -100777, since) == []
    assert env.services._classifier is None  # nothing was classified for a non-admin


# -- /channel -------------------------------------------------------------------------------

CHANNEL = -1001234


def add_channel(env: Env, *, bot_is_admin: bool = True) -> None:
    admins = [7, env.api.bot_id] if bot_is_admin else [7]
    env.api.add_chat(
        CHANNEL, "channel", title="Peace Watch", username="peacewatch", admins=admins, owner=6
    )


async def test_channel_admin_subscribes_a_channel_from_a_private_chat(env: Env) -> None:
    add_channel(env)
    since = len(env.api.calls)
    refused = await env.ask(8, "/channel @peacewatch")
    assert refused.text == texts.CHANNEL_NOT_ADMIN.format(channel="@peacewatch")
    assert await env.chat(CHANNEL) is None

    subscribed = await env.ask(7, "/channel @peacewatch")
    assert subscribed.text == texts.CHANNEL_ON.format(channel="@peacewatch")
    chat = await env.chat(CHANNEL)
    assert chat is not None
    assert (chat.type, chat.title, chat.status, chat.added_by) == (
        "channel",
        "Peace Watch",
        ChatStatus.ACTIVE,
        7,
    )
    assert chat.topics == list(CORE_TOPICS) and chat.mode == "instant"
    asked = [c.params["user_id"] for c in env.api.calls[since:] if c.method == "getChatMember"]
    assert {8, 7, env.api.bot_id} <= set(asked)  # the sender's and the bot's own rights

    by_id = await env.ask(6, f"/channel {CHANNEL}")  # the owner, by numeric id: idempotent
    assert "Subscribed" in by_id.text


async def test_channel_refusals(env: Env) -> None:
    add_channel(env, bot_is_admin=False)
    env.api.add_chat(-100777, title="Peace group", admins=[7])

    bot_not_admin = await env.ask(7, "/channel @peacewatch")
    missing = await env.ask(7, "/channel @nosuchchannel")
    group = await env.ask(7, "/channel -100777")
    usage = await env.ask(7, "/channel peacewatch")
    in_group = await env.ask(-100777, "/channel @peacewatch", user_id=7)

    assert bot_not_admin.text == texts.CHANNEL_BOT_NOT_ADMIN.format(channel="@peacewatch")
    assert missing.text == texts.CHANNEL_NOT_FOUND
    assert "not a channel" in group.text
    assert usage.text == texts.CHANNEL_USAGE
    assert in_group.text == texts.PRIVATE_ONLY
    assert await env.chat(CHANNEL) is None and await env.chat(-100777) is None


async def test_channel_stop(env: Env) -> None:
    add_channel(env)
    await env.ask(7, "/channel @peacewatch")

    refused = await env.ask(8, "/channel stop @peacewatch")
    chat = await env.chat(CHANNEL)
    assert refused.text == texts.CHANNEL_NOT_ADMIN.format(channel="@peacewatch")
    assert chat is not None and chat.status == ChatStatus.ACTIVE

    stopped = await env.ask(6, "/channel stop @peacewatch")
    again = await env.ask(6, "/channel STOP @peacewatch")
    chat = await env.chat(CHANNEL)
    assert stopped.text == texts.CHANNEL_OFF.format(channel="@peacewatch")
    assert again.text == texts.CHANNEL_NOT_SUBSCRIBED.format(channel="@peacewatch")
    assert chat is not None and chat.status == ChatStatus.STOPPED

    resumed = await env.ask(7, "/channel @peacewatch")
    chat = await env.chat(CHANNEL)
    assert "Subscribed" in resumed.text and chat is not None and chat.status == ChatStatus.ACTIVE


# -- /stats ---------------------------------------------------------------------------------


async def seed_stats(env: Env) -> None:
    now, old = utcnow(), utcnow() - timedelta(days=2)
    async with env.services.sessionmaker.begin() as session:
        for chat_id, chat_status in [
            (1, ChatStatus.ACTIVE),
            (2, ChatStatus.ACTIVE),
            (3, ChatStatus.STOPPED),
            (4, ChatStatus.BLOCKED),
        ]:
            session.add(Chat(id=chat_id, type="private", topics=["talks"], status=chat_status))
        source = Source(name="Atlas News", kind="rss", url="http://127.0.0.1/feed")
        session.add(source)
        await session.flush()
        for n, fetched in enumerate([now, now, now, old]):
            session.add(
                Item(
                    source_id=source.id,
                    fingerprint=f"fp{n}",
                    title=f"Item {n}",
                    published_at=fetched,
                    fetched_at=fetched,
                )
            )
        stories = [
            Story(title="New A"),
            Story(title="New B"),
            Story(title="Old", first_seen_at=old),
        ]
        session.add_all(stories)
        await session.flush()
        a, b, c = (story.id for story in stories)
        sent, failed = DeliveryStatus.SENT, DeliveryStatus.FAILED
        for story_id, chat_id, status, topics, at in [
            (a, 1, sent, ["talks", "de-escalation"], now),
            (b, 1, sent, ["talks"], now),
            (c, 1, sent, ["talks"], old),  # older than a day
            (a, 2, failed, ["talks"], now),
            (b, 2, failed, ["talks"], now),
            (c, 2, failed, ["talks"], old),
            (a, 3, DeliveryStatus.PENDING, ["talks"], now),
        ]:
            session.add(
                Delivery(
                    story_id=story_id,
                    chat_id=chat_id,
                    status=status,
                    topics=topics,
                    sent_at=at if status == sent else None,
                    created_at=at,
                )
            )


def cycle_report() -> CycleReport:
    report = CycleReport(started_at=utcnow() - timedelta(seconds=4.5))
    report.poll = PollReport(
        sources=[
            SourceReport("Atlas News", "new", new_items=3, entries=10),
            SourceReport("Wire", "not_modified"),
            SourceReport("Slow", "not_due"),
            SourceReport("Broken", "paused"),
        ],
        new_item_ids=[1, 2, 3],
    )
    report.classify = ClassifyReport(classified=3)
    report.cluster = ClusterReport(new_story_ids=[1, 2], updated_story_ids=[3])
    report.match = MatchReport(stories=3, deliveries=5)
    report.delivery = DeliveryReport(sent=2)
    report.errors["channels"] = "RuntimeError: boom"
    report.seconds.update(poll=2.5, classify=0.3, cluster=0.12, match=0.01)
    return report


async def test_stats_counts_and_pipeline_timings(env: Env) -> None:
    stop_pipeline(env)
    await seed_stats(env)

    before = await env.ask(ADMIN, "/stats")
    env.services.timings.record_cycle(cycle_report())
    env.services.timings.record_timeout()
    after = await env.ask(ADMIN, "/stats")

    for reply in (before, after):
        assert "Subscribers: 2 active, 1 stopped, 1 blocked" in reply.text
        assert "Items: 3; stories: 2" in reply.text
        assert "Alerts sent: de-escalation 1, talks 2" in reply.text
        assert "Delivery errors: 2" in reply.text
    assert texts.STATS_NO_CYCLE in before.text
    assert "Cycles since start: 0 (0 timed out)" in before.text
    assert "Poll: 2 sources, 10 entries, 3 new items in 2.50 s" in after.text
    assert "Classify: 3 items in 0.30 s (100 ms/item)" in after.text
    assert "Cluster: 3 stories new or updated in 0.12 s" in after.text
    assert "Match: 5 alerts queued; sent in the cycle: 2" in after.text
    assert "Failed stages: channels" in after.text
    assert "Cycles since start: 1 (1 timed out)" in after.text
    last = env.services.timings.last_cycle
    assert last is not None and 4.5 <= last.cycle_seconds < 30


# -- paused-source notice -------------------------------------------------------------------


async def test_admins_hear_once_about_a_newly_paused_source(env: Env) -> None:
    assert env.app.job_queue is not None
    [job] = env.app.job_queue.get_jobs_by_name("admin-watch")
    async with env.services.sessionmaker.begin() as session:
        session.add(
            Source(name="Old pause", kind="rss", url="http://127.0.0.1/o", paused_at=utcnow())
        )
    env.app.bot_data.paused_sources = None  # as before the first check after start-up
    await job.run(env.app)  # the first check only remembers what is already paused
    since = len(env.api.calls_to("sendMessage", chat_id=ADMIN))

    async with env.services.sessionmaker.begin() as session:
        session.add(
            Source(
                name="Atlas <News>",
                kind="rss",
                url="http://127.0.0.1/a",
                error_streak=5,
                paused_at=utcnow() - timedelta(minutes=5),  # stamped before an earlier check
                pause_reason="5 failed polls in a row; last: HTTP 503",
            )
        )
    await job.run(env.app)
    await job.run(env.app)

    notices = [c.text for c in env.api.calls_to("sendMessage", chat_id=ADMIN)[since:]]
    assert len(notices) == 1, notices
    assert "Atlas &lt;News&gt;" in notices[0] and "5 failures" in notices[0]
    assert "HTTP 503" in notices[0] and "Old pause" not in notices[0]

    await set_paused(env, "Atlas <News>", None)  # resumed, then paused again
    await job.run(env.app)
    await set_paused(env, "Atlas <News>", utcnow())
    await job.run(env.app)
    assert len(env.api.calls_to("sendMessage", chat_id=ADMIN)[since:]) == 2


async def set_paused(env: Env, name: str, at: datetime | None) -> None:
    async with env.services.sessionmaker.begin() as session:
        await session.execute(update(Source).where(Source.name == name).values(paused_at=at))
