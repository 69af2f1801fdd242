"""Draining the outbox: claim due rows chat by chat, send them at Telegram's pace, record each
outcome, and never lose or repeat a message.

One task per chat (a ``Unit``) keeps a chat's alerts in order and at its own pace, while up to
``senders`` chats are served at once so the global limit, not latency, bounds throughput. What
happens after each kind of failure:

* 429 ``retry_after``: wait exactly that long (the chat, or the whole bot), then retry.
* 5xx, timeout, network: retry with backoff a few times, then give the row back to the queue
  with a later ``not_before``; it is never dropped.
* chat gone (403, chat not found): the chat is marked blocked and nothing more is sent to it.
* can't parse entities: the same alert is resent as plain text.
* chat migrated: the chat row moves to the new id and the alert is resent there.

More than ``burst_limit`` due alerts for one chat, a digest chat's collection, or alerts held by
quiet hours or mute become one combined message instead of a flood.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import DeliveryStatus, utcnow
from bot.delivery import outbox
from bot.delivery.chats import block_chat, migrate_chat
from bot.delivery.compose import CachedComposer, Composed, Composer
from bot.delivery.editing import claim_edits, process_edit
from bot.delivery.outbox import ChatTarget, ClaimedRow, Unit
from bot.delivery.ratelimit import RateLimits
from bot.delivery.recovery import release_orphans, release_stale
from bot.delivery.sender import (
    BadFormatting,
    ChatGone,
    ChatMigrated,
    RetryAfter,
    Sender,
)
from bot.delivery.timing import hold_until, is_catch_up_time
from bot.settings import DeliveryConfig

_LOGGER = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class Outcome(enum.Enum):
    SENT = "sent"
    GONE = "gone"
    DEFERRED = "deferred"
    FAILED = "failed"
    LOST_CLAIM = "lost-claim"


@dataclass
class DeliveryReport:
    sent: int = 0
    combined_messages: int = 0
    combined_alerts: int = 0
    edited: int = 0
    deferred: int = 0
    retried: int = 0
    rate_limited: int = 0
    plain_fallbacks: int = 0
    chats_gone: int = 0
    chats_migrated: int = 0
    failed: int = 0
    # Time between Telegram's answer and the commit that records it (the re-send window).
    unconfirmed_seconds_total: float = 0.0
    unconfirmed_seconds_max: float = 0.0


class Dispatcher:
    """Sends what the outbox holds. ``drain`` stops when nothing is due; ``run`` keeps going."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        sender: Sender,
        composer: Composer,
        config: DeliveryConfig,
        *,
        clock: Clock = utcnow,
        worker_id: str | None = None,
        console: bool = False,
        limits: RateLimits | None = None,
        lease: timedelta = timedelta(minutes=5),
        retry_delays: tuple[float, ...] = (0.5, 2.0),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.sender = sender
        self.composer = CachedComposer(composer, sessionmaker)
        self.config = config
        self.clock = clock
        self.worker = worker_id or outbox.new_worker_id()
        self.console = console
        self.limits = limits or RateLimits(config)
        self.lease = lease
        self.retry_delays = retry_delays
        self.report = DeliveryReport()
        self._stopping = False
        self._should_stop: Callable[[], bool] = _never

    async def recover(self) -> int:
        """Start-up: take back what a crashed predecessor on this host left claimed."""
        orphans = await release_orphans(self.sessionmaker, self.worker)
        stale = await release_stale(self.sessionmaker, self.clock(), self.lease)
        if orphans.released or stale:
            _LOGGER.info(
                "outbox: %d orphaned and %d stale claims released", orphans.released, stale
            )
        if orphans.last_active_at is not None:
            # The predecessor's sends of its last second still count against the bot's limit
            # at Telegram, which our fresh pacer cannot see: wait out only what is left of that
            # second (usually nothing, as a restart takes longer). Should it have lived a
            # little longer than its last claim shows, the one 429 that earns is honoured.
            since = (self.clock() - orphans.last_active_at).total_seconds()
            self.limits.global_pacer.pause(max(0.0, self.limits.global_pacer.window - since))
        return orphans.released + stale

    async def drain(self, should_stop: Callable[[], bool] | None = None) -> DeliveryReport:
        """Send everything due now; returns what this drain did. ``should_stop`` is polled
        between messages (a shutting-down application): claims not yet attempted go back."""
        self.report = DeliveryReport()
        self._should_stop = should_stop or _never
        await self._pump(wake=None)
        return self.report

    async def run(
        self, *, wake: asyncio.Event | None = None, should_stop: Callable[[], bool] | None = None
    ) -> None:
        """Keep sending until ``should_stop()``: recover orphans first, then claim as rows
        come due, sleeping when idle until ``wake`` is set (matching queued something) or a
        second passes. Stops claiming when told to and lets in-flight messages finish."""
        self._should_stop = should_stop or _never
        await self.recover()
        await self._pump(wake=wake or asyncio.Event())

    async def _pump(self, *, wake: asyncio.Event | None) -> None:
        """``wake`` None: drain what is due now and return; otherwise run continuously."""
        senders = self.config.senders
        active: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        last_sweep = loop.time()
        try:
            while not self._should_stop():
                if wake is not None and loop.time() - last_sweep > 60:
                    last_sweep = loop.time()
                    await release_stale(self.sessionmaker, self.clock(), self.lease)
                free = senders - len(active)
                if free >= max(1, senders // 2) or not active:
                    await self._claim(active, free)
                if not active:
                    if wake is None:
                        return
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), 1.0)
                    wake.clear()
                    continue
                done, _ = await asyncio.wait(
                    active, timeout=1.0, return_when=asyncio.FIRST_COMPLETED
                )
                active.difference_update(done)
        finally:
            self._stopping = True
            if active:
                await asyncio.gather(*active, return_exceptions=True)
            self._stopping = False

    async def _claim(self, active: set[asyncio.Task[None]], free: int) -> None:
        now = self.clock()
        units = await outbox.claim_units(
            self.sessionmaker, self.worker, now, max_chats=free, console=self.console
        )
        for unit in units:
            active.add(asyncio.create_task(self._process_unit(unit)))
        edits = []
        if free - len(units) > 0:
            edits = await claim_edits(
                self.sessionmaker,
                self.worker,
                now,
                limit=free - len(units),
                lease=self.lease,
                edit_window=timedelta(hours=self.config.edit_window_hours),
                console=self.console,
            )
        for job in edits:
            active.add(asyncio.create_task(process_edit(self, job)))

    # -- one chat -------------------------------------------------------------------------------

    async def _process_unit(self, unit: Unit) -> None:
        remaining = {row.id for row in unit.rows}
        try:
            held = hold_until(unit.chat.timing, self.clock())
            if held is not None:
                await outbox.release(
                    self.sessionmaker, self.worker, list(remaining), not_before=held
                )
                self.report.deferred += len(remaining)
                return
            if self._should_combine(unit):
                await self._send_combined(unit.chat, unit.rows)
                return
            chat = unit.chat
            for row in unit.rows:
                if self._stopping or self._should_stop():
                    break
                outcome, chat = await self._send_single(chat, row)
                remaining.discard(row.id)
                if outcome is Outcome.GONE:
                    await outbox.mark_final(
                        self.sessionmaker,
                        self.worker,
                        list(remaining),
                        DeliveryStatus.SKIPPED,
                        "chat gone",
                    )
                    remaining.clear()
                    break
                if outcome is Outcome.DEFERRED:
                    break
        except Exception:
            _LOGGER.exception("delivery to chat %s failed unexpectedly", unit.chat.id)
            retry_at = self.clock() + timedelta(seconds=60)
            await _quietly(
                outbox.release(
                    self.sessionmaker, self.worker, list(remaining), not_before=retry_at
                )
            )
            remaining.clear()
        finally:
            if remaining:  # stopping: what was not attempted goes back as it was
                await _quietly(outbox.release(self.sessionmaker, self.worker, list(remaining)))

    def _should_combine(self, unit: Unit) -> bool:
        rows = unit.rows
        if unit.chat.timing.mode == "digest" or len(rows) > self.config.burst_limit:
            return len(rows) > 1 or unit.chat.timing.mode == "digest"
        if len(rows) < 2:
            return False
        # Alerts held to one instant (the end of quiet hours or of a mute): one catch-up message.
        due = {row.not_before for row in rows}
        return len(due) == 1 and is_catch_up_time(unit.chat.timing, next(iter(due)))

    async def _send_single(self, chat: ChatTarget, row: ClaimedRow) -> tuple[Outcome, ChatTarget]:
        try:
            composed = await self.composer.alert(row.story_id, row.topics)
        except LookupError as exc:  # the story was deleted after it was queued
            await outbox.mark_final(
                self.sessionmaker, self.worker, [row.id], DeliveryStatus.SKIPPED, str(exc)
            )
            return Outcome.FAILED, chat
        outcome, chat = await self._deliver(chat, [row], composed, combined=False)
        if outcome is Outcome.SENT:
            self.report.sent += 1
        return outcome, chat

    async def _send_combined(self, chat: ChatTarget, rows: list[ClaimedRow]) -> None:
        composed = await self.composer.combined([row.story_id for row in rows])
        outcome, chat = await self._deliver(chat, rows, composed, combined=True)
        if outcome is Outcome.SENT:
            self.report.combined_messages += 1
            self.report.combined_alerts += len(rows)

    async def _deliver(
        self, chat: ChatTarget, rows: list[ClaimedRow], composed: Composed, *, combined: bool
    ) -> tuple[Outcome, ChatTarget]:
        """Send one message for ``rows`` and record it, handling every failure kind; returns
        the outcome and the chat (moved if it migrated)."""
        message = composed.html
        failures = 0
        lead = rows[0]
        ids = [r.id for r in rows]
        claimed_at = min(r.claimed_at for r in rows)
        tries = 0
        while True:
            # Renewed before waiting for a slot, so that no database write sits between the
            # slot and the request: the server sees our exact pacing.
            if self.clock() - claimed_at >= self.lease / 2:
                claimed_at = self.clock()
                if not await outbox.renew_claim(self.sessionmaker, self.worker, ids, claimed_at):
                    return Outcome.LOST_CLAIM, chat
            await self.limits.wait(chat.id)
            tries += 1
            try:
                message_id = await self.sender.send(chat.id, message)
            except RetryAfter as exc:
                self.report.rate_limited += 1
                self.limits.retry_after(chat.id, exc.seconds, exc.scope)
                continue
            except BadFormatting as exc:
                if not message.html:
                    await outbox.mark_final(
                        self.sessionmaker,
                        self.worker,
                        ids,
                        DeliveryStatus.FAILED,
                        str(exc),
                        attempts=tries,
                    )
                    self.report.failed += len(rows)
                    return Outcome.FAILED, chat
                self.report.plain_fallbacks += 1
                message = composed.plain
                continue
            except ChatMigrated as exc:
                _LOGGER.info("chat %s migrated to %s", chat.id, exc.new_chat_id)
                self.report.chats_migrated += 1
                self.limits.chat_pacer.forget(chat.id)
                if not await migrate_chat(self.sessionmaker, chat.id, exc.new_chat_id):
                    return Outcome.GONE, chat
                chat = ChatTarget(exc.new_chat_id, "supergroup", chat.is_broadcast, chat.timing)
                continue
            except ChatGone as exc:
                _LOGGER.info("chat %s is gone: %s", chat.id, exc)
                self.report.chats_gone += 1
                await block_chat(self.sessionmaker, chat.id, str(exc))
                await outbox.mark_final(
                    self.sessionmaker,
                    self.worker,
                    ids,
                    DeliveryStatus.SKIPPED,
                    str(exc),
                    attempts=tries,
                )
                self.limits.chat_pacer.forget(chat.id)
                return Outcome.GONE, chat
            except Exception as exc:  # TransientError, and anything a sender did not classify
                failures += 1
                self.report.retried += 1
                if failures <= len(self.retry_delays):
                    await asyncio.sleep(self.retry_delays[failures - 1])
                    continue
                attempts = lead.attempts + failures
                delay = (
                    1800.0
                    if attempts >= self.config.max_attempts
                    else min(5.0 * 2**attempts, 600.0)
                )
                await outbox.release(
                    self.sessionmaker,
                    self.worker,
                    [r.id for r in rows],
                    not_before=self.clock() + timedelta(seconds=delay),
                    error=f"{type(exc).__name__}: {exc}",
                    attempts=tries,
                )
                self.report.deferred += len(rows)
                return Outcome.DEFERRED, chat
            # Telegram has the message; until this commit, a crash would send it again.
            answered = time.perf_counter()
            await outbox.mark_sent(
                self.sessionmaker,
                self.worker,
                ids,
                message_id=message_id,
                revisions={r.id: composed.revisions.get(r.story_id, 0) for r in rows},
                now=self.clock(),
                combined=combined,
                attempts=tries,
            )
            window = time.perf_counter() - answered
            self.report.unconfirmed_seconds_max = max(self.report.unconfirmed_seconds_max, window)
            self.report.unconfirmed_seconds_total += window
            return Outcome.SENT, chat


def _never() -> bool:
    return False


async def _quietly(awaitable: Coroutine[object, object, None]) -> None:
    try:
        await awaitable
    except Exception:
        _LOGGER.exception("outbox update failed; the lease will return these rows")
