"""Admin commands (/stats, /sources, /test, /reload), admin notices and the config-file watch.

Admins are Telegram user ids from the config file. To anyone else an admin command looks exactly
like an unknown command, so nothing hints that they exist.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.db.models import Chat, ChatStatus, Delivery, DeliveryStatus, Item, Source, Story
from bot.services import PipelineTimings
from bot.settings import AdminConfig, ConfigError, load_admin_config
from bot.tg import texts
from bot.tg.common import args_text, say
from bot.tg.context import Context, services_of
from bot.tg.permissions import is_bot_admin

if TYPE_CHECKING:
    from classifiers import TopicResult

_LOGGER = logging.getLogger(__name__)
DAY = timedelta(hours=24)
DEFAULT_THRESHOLD = 0.5  # a topic the model scores that the config does not list


async def _admin_only(update: Update, context: Context) -> bool:
    """True for admins. Anyone else gets exactly what an unknown command gets: the pointer to
    /help in private chats and, in groups, only when the command is addressed to this bot."""
    if is_bot_admin(update, context):
        return True
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not message.text:
        return False
    command = message.text.split(maxsplit=1)[0]
    if chat.type == ChatType.PRIVATE or command.casefold().endswith(
        f"@{context.bot.username}".casefold()
    ):
        await say(update, context, texts.POINTER_TO_HELP)
    return False


async def stats(update: Update, context: Context) -> None:
    if not await _admin_only(update, context):
        return
    services = services_of(context)
    since = datetime.now(UTC) - DAY
    async with services.sessionmaker() as session:
        status_rows = await session.execute(
            select(Chat.status, func.count()).group_by(Chat.status)
        )
        statuses: dict[str, int] = {str(status): count for status, count in status_rows.tuples()}
        items = await session.scalar(select(func.count()).where(Item.fetched_at >= since))
        stories = await session.scalar(select(func.count()).where(Story.first_seen_at >= since))
        sent_topics = (
            await session.execute(
                select(Delivery.topics).where(
                    Delivery.status == DeliveryStatus.SENT, Delivery.sent_at >= since
                )
            )
        ).scalars()
        per_topic = Counter(topic for topics in sent_topics for topic in topics)
        failed = await session.scalar(
            select(func.count()).where(
                Delivery.status == DeliveryStatus.FAILED, Delivery.created_at >= since
            )
        )
    lines = [
        "<b>Parley stats</b> (last 24 h)",
        f"Subscribers: {statuses.get(ChatStatus.ACTIVE.value, 0)} active, "
        f"{statuses.get(ChatStatus.STOPPED.value, 0)} stopped, {statuses.get(ChatStatus.BLOCKED.value, 0)} blocked",
        f"Items: {items or 0}; stories: {stories or 0}",
        "Alerts sent: "
        + (", ".join(f"{escape(t)} {n}" for t, n in sorted(per_topic.items())) or "none"),
        f"Delivery errors: {failed or 0}",
        f"Up since {services.started_at:%Y-%m-%d %H:%M} UTC",
    ]
    lines += timing_lines(services.timings, now=datetime.now(UTC))
    await say(update, context, "\n".join(lines))


def timing_lines(timings: PipelineTimings, *, now: datetime) -> list[str]:
    """The pipeline's last cycle for /stats: what it polled and how long each stage took."""
    last = timings.last_cycle
    lines = []
    if last is None:
        lines.append(texts.STATS_NO_CYCLE)
    else:
        per_item = (
            texts.STATS_PER_ITEM.format(ms=1000 * last.classify_seconds / last.classified)
            if last.classified
            else ""
        )
        lines += [
            texts.STATS_LAST_CYCLE.format(
                at=last.finished_at,
                ago=max(0, int((now - last.finished_at).total_seconds())),
                seconds=last.cycle_seconds,
            ),
            texts.STATS_POLL.format(
                sources=last.sources_polled,
                entries=last.entries_polled,
                new=last.new_items,
                seconds=last.poll_seconds,
            ),
            texts.STATS_CLASSIFY.format(
                count=last.classified, seconds=last.classify_seconds, per_item=per_item
            ),
            texts.STATS_CLUSTER.format(stories=last.stories_touched, seconds=last.cluster_seconds),
            texts.STATS_MATCH.format(queued=last.alerts_queued, sent=last.alerts_sent),
        ]
        if last.failed_stages:
            lines.append(texts.STATS_FAILED.format(stages=escape(", ".join(last.failed_stages))))
    lines.append(texts.STATS_CYCLES.format(cycles=timings.cycles, timeouts=timings.timeouts))
    return lines


async def sources(update: Update, context: Context) -> None:
    if not await _admin_only(update, context):
        return
    async with services_of(context).sessionmaker() as session:
        rows = (await session.execute(select(Source).order_by(Source.name))).scalars().all()
    if not rows:
        await say(update, context, "No sources polled yet.")
        return
    lines = ["<b>Sources</b>"]
    for source in rows[:60]:
        ratio = source.not_modified_count / source.fetch_count if source.fetch_count else 0.0
        ok = f"{source.last_success_at:%m-%d %H:%M}" if source.last_success_at else "never"
        nxt = f"{source.next_poll_at:%H:%M}" if source.next_poll_at else "-"
        state = "⏸ paused" if source.paused_at else ("⚠️" if source.error_streak else "✅")
        lines.append(
            f"{state} <b>{escape(source.name)}</b>: ok {ok}, errors {source.error_streak}, "
            f"304 {ratio:.0%}, next {nxt}"
        )
    await say(update, context, "\n".join(lines)[:4000])


async def test_text(update: Update, context: Context) -> None:
    if not await _admin_only(update, context):
        return
    text = args_text(update)[:2000]
    if not text:
        await say(update, context, texts.TEST_USAGE)
        return
    services = services_of(context)
    thresholds = services.config.thresholds
    classifier = await services.classifier()
    [result] = await asyncio.to_thread(classifier.classify, [text], thresholds=thresholds)
    await say(update, context, render_scores(result, thresholds))


def render_scores(result: TopicResult, thresholds: Mapping[str, float]) -> str:
    """Every topic's score against its threshold, highest first; evidence under each hit."""
    lines = [texts.TEST_HEADING]
    for topic, score in sorted(result.scores.items(), key=lambda kv: (-kv[1], kv[0])):
        threshold = thresholds.get(topic, DEFAULT_THRESHOLD)
        hit = score >= threshold
        lines.append(
            (texts.TEST_HIT if hit else texts.TEST_MISS).format(
                topic=escape(topic), score=score, threshold=threshold
            )
        )
        if hit and topic in result.evidence:
            lines.append(texts.TEST_EVIDENCE.format(text=escape(result.evidence[topic][:200])))
    return "\n".join(lines)


async def reload_config(context: Context) -> tuple[bool, str]:
    """Load and validate the config file; on success swap it in. Returns (ok, message)."""
    services = services_of(context)
    path = services.settings.config_path
    try:
        config: AdminConfig = await asyncio.to_thread(load_admin_config, path)
    except ConfigError as exc:
        problems = "\n".join(f"• {escape(p)}" for p in exc.problems[:20])
        return False, texts.RELOAD_REJECTED.format(path=escape(str(path)), problems=problems)
    services.replace_config(config)
    return True, texts.RELOAD_OK.format(
        path=escape(str(path)), sources=len(config.sources), topics=len(config.topics)
    )


async def reload_command(update: Update, context: Context) -> None:
    if not await _admin_only(update, context):
        return
    _, message = await reload_config(context)
    await say(update, context, message)
    await notify_admins(
        context, message, skip=update.effective_chat.id if update.effective_chat else None
    )


async def notify_admins(context: Context, message: str, *, skip: int | None = None) -> None:
    """Tell the admin chat (or each admin) something; one failing admin never stops the rest."""
    config = services_of(context).config.telegram
    targets = [config.admin_chat_id] if config.admin_chat_id is not None else list(config.admins)
    for chat_id in targets:
        if chat_id == skip:
            continue
        try:
            await context.bot.send_message(chat_id, texts.NOTICE_PREFIX + message)
        except TelegramError as exc:
            _LOGGER.warning("admin notice to %s failed: %s", chat_id, exc)


def config_mtime(context: Context) -> float | None:
    try:
        return services_of(context).settings.config_path.stat().st_mtime
    except OSError:
        return None


async def watch_config(context: Context) -> None:
    """Job: reload when the config file's modification time changes (a cheap stat per run)."""
    mtime = await asyncio.to_thread(config_mtime, context)
    if mtime is None or mtime == context.bot_data.config_mtime:
        return
    first = context.bot_data.config_mtime is None
    context.bot_data.config_mtime = mtime
    if first:
        return
    ok, message = await reload_config(context)
    _LOGGER.info("config file changed: %s", "reloaded" if ok else "rejected")
    await notify_admins(context, message)


async def watch_health(context: Context) -> None:
    """Job: tell admins about newly paused sources and delivery-error spikes.

    Paused sources are remembered by name and pause time rather than found by a time window:
    a poll stamps ``paused_at`` when its fetch starts and commits it seconds later, so a window
    would miss pauses committed late and repeat ones stamped ahead. Sources already paused when
    the bot starts are remembered silently (``/sources`` shows them); a source that is resumed
    and pauses again is noticed again.
    """
    services = services_of(context)
    now = datetime.now(UTC)
    async with services.sessionmaker() as session:
        paused = (
            (await session.execute(select(Source).where(Source.paused_at.is_not(None))))
            .scalars()
            .all()
        )
        failed = await session.scalar(
            select(func.count()).where(
                Delivery.status == DeliveryStatus.FAILED,
                Delivery.created_at >= now - timedelta(minutes=15),
            )
        )
    seen = context.bot_data.paused_sources
    context.bot_data.paused_sources = {s.name: s.paused_at for s in paused if s.paused_at}
    fresh = [] if seen is None else [s for s in paused if seen.get(s.name) != s.paused_at]
    for source in fresh:  # none on the first check, which only remembers
        await notify_admins(
            context,
            texts.SOURCE_PAUSED.format(
                name=escape(source.name),
                streak=source.error_streak,
                reason=escape((source.pause_reason or source.last_error or "unknown")[:200]),
            ),
        )
    last = context.bot_data.notices_sent.get("delivery_spike")
    if (failed or 0) >= 20 and (last is None or now - last > timedelta(hours=1)):
        context.bot_data.notices_sent["delivery_spike"] = now
        await notify_admins(context, texts.DELIVERY_SPIKE.format(count=failed, minutes=15))
