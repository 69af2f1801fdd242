"""The outbox as a shared work queue: exclusive claims, leases, crash recovery, two senders."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta

from bot.db.models import DeliveryStatus
from bot.delivery import outbox
from bot.delivery.compose import RenderComposer
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.recovery import release_orphans, release_stale
from bot.pipeline.match import match_stories
from bot.settings import AdminConfig, DeliveryConfig
from tests.delivery_support import T0, RecordingSender, add_chats, add_story, deliveries

CONFIG = AdminConfig()
FAST = DeliveryConfig(global_per_second=10_000, private_chat_per_second=1000, senders=8)


def composer() -> RenderComposer:
    return RenderComposer(lambda: CONFIG.topics)


async def queue(sessionmaker, chats: int, stories: int = 1) -> list[int]:
    ids = await add_chats(sessionmaker, chats)
    for n in range(stories):
        await add_story(sessionmaker, f"Ceasefire talks, day {n}", {"talks": 0.9})
    await match_stories(sessionmaker, CONFIG, now=T0)
    return ids


async def test_concurrent_claims_are_disjoint(sessionmaker):
    await queue(sessionmaker, 60)

    claims = await asyncio.gather(
        *(outbox.claim_units(sessionmaker, f"w{n}", T0, max_chats=15) for n in range(4))
    )

    while more := await outbox.claim_units(sessionmaker, "late", T0, max_chats=15):
        claims.append(more)

    claimed = [row.id for units in claims for unit in units for row in unit.rows]
    assert len(claimed) == len(set(claimed)) == 60
    rows = await deliveries(sessionmaker)
    assert {row.status for row in rows} == {DeliveryStatus.SENDING}


async def test_rows_not_yet_due_are_not_claimed(sessionmaker):
    await queue(sessionmaker, 3)

    assert (
        await outbox.claim_units(sessionmaker, "w", T0 - timedelta(seconds=1), max_chats=10) == []
    )


async def test_two_senders_on_one_database_send_each_alert_once(sessionmaker):
    chats = await queue(sessionmaker, 120, stories=2)
    sender = RecordingSender(delay=0.002)  # both dispatchers write into one record
    dispatchers = [
        Dispatcher(sessionmaker, sender, composer(), FAST, clock=lambda: T0, worker_id=f"p{n}")
        for n in range(2)
    ]

    await asyncio.gather(*(d.drain() for d in dispatchers))

    per_chat = sender.per_chat()
    assert set(per_chat) == set(chats)
    assert all(count == 2 for count in per_chat.values())
    assert all(d.report.sent > 0 for d in dispatchers)
    rows = await deliveries(sessionmaker)
    assert {row.status for row in rows} == {DeliveryStatus.SENT}
    assert all(row.message_id is not None for row in rows)


async def test_a_claim_taken_over_after_its_lease_cannot_send(sessionmaker):
    await queue(sessionmaker, 1)
    [unit] = await outbox.claim_units(sessionmaker, "slow", T0, max_chats=1)
    row_id = unit.rows[0].id

    assert await release_stale(sessionmaker, T0 + timedelta(minutes=10), timedelta(minutes=5)) == 1
    [again] = await outbox.claim_units(
        sessionmaker, "fast", T0 + timedelta(minutes=10), max_chats=1
    )

    assert again.rows[0].id == row_id
    assert await outbox.renew_claim(sessionmaker, "slow", [row_id], T0) is False
    assert await outbox.renew_claim(sessionmaker, "fast", [row_id], T0) is True


async def dead_local_worker() -> str:
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await process.wait()  # its pid now belongs to no running process
    return f"{outbox.new_worker_id().split(':')[0]}:{process.pid}:abcd"


async def test_claims_of_a_dead_local_process_are_released_at_start(sessionmaker):
    await queue(sessionmaker, 4)
    me = outbox.new_worker_id()
    dead_worker = await dead_local_worker()
    alive_elsewhere = "another-host:1:abcd"
    await outbox.claim_units(sessionmaker, dead_worker, T0, max_chats=2)
    await outbox.claim_units(sessionmaker, alive_elsewhere, T0, max_chats=2)

    released = await release_orphans(sessionmaker, me)

    assert released.released == 2
    rows = {row.claimed_by for row in await deliveries(sessionmaker)}
    assert rows == {None, alive_elsewhere}


async def seconds_until_first_send(dispatcher: Dispatcher) -> float:
    started = time.monotonic()
    await dispatcher.limits.global_pacer.wait()
    return time.monotonic() - started


async def test_restart_waits_out_only_the_rest_of_the_dead_senders_last_second(sessionmaker):
    """Telegram still counts the predecessor's sends of its last second; a restart sends
    again as soon as that second is over, not a fixed pause later."""
    await queue(sessionmaker, 2)
    dead = await dead_local_worker()

    await outbox.claim_units(sessionmaker, dead, T0, max_chats=1)
    just_after = Dispatcher(
        sessionmaker,
        RecordingSender(),
        composer(),
        FAST,
        clock=lambda: T0 + timedelta(seconds=0.6),
    )
    assert await just_after.recover() == 1
    assert 0.3 < await seconds_until_first_send(just_after) < 0.9

    await outbox.claim_units(sessionmaker, dead, T0, max_chats=1)
    much_later = Dispatcher(
        sessionmaker, RecordingSender(), composer(), FAST, clock=lambda: T0 + timedelta(seconds=5)
    )
    assert await much_later.recover() == 1
    assert await seconds_until_first_send(much_later) < 0.2


async def test_restart_after_a_crash_resumes_without_repeating(sessionmaker):
    """A process died after claiming a batch: one row was recorded as sent, the others were
    claimed but not recorded (one of them may have been in flight). The restarted process
    sends every row not recorded as sent, once, and nothing that was."""
    chats = await queue(sessionmaker, 5)
    dead = "gone-host:1:dead"
    [*units] = await outbox.claim_units(sessionmaker, dead, T0, max_chats=5)
    rows = [unit.rows[0] for unit in units]
    await outbox.renew_claim(sessionmaker, dead, [rows[0].id], T0)
    await outbox.mark_sent(sessionmaker, dead, [rows[0].id], message_id=1, revisions={}, now=T0)

    later = T0 + timedelta(minutes=6)
    sender = RecordingSender()
    dispatcher = Dispatcher(sessionmaker, sender, composer(), FAST, clock=lambda: later)
    await dispatcher.recover()
    await dispatcher.drain()

    assert sorted(sender.per_chat()) == sorted(c for c in chats if c != rows[0].chat_id)
    states = {row.chat_id: row for row in await deliveries(sessionmaker)}
    assert all(row.status is DeliveryStatus.SENT for row in states.values())
    assert states[rows[1].chat_id].attempts == 1


async def test_unowned_rows_are_never_marked_by_another_worker(sessionmaker):
    await queue(sessionmaker, 1)
    [unit] = await outbox.claim_units(sessionmaker, "owner", T0, max_chats=1)

    await outbox.mark_sent(
        sessionmaker, "intruder", [unit.rows[0].id], message_id=5, revisions={}, now=T0
    )
    await outbox.release(sessionmaker, "intruder", [unit.rows[0].id])

    [row] = await deliveries(sessionmaker)
    assert row.status is DeliveryStatus.SENDING and row.claimed_by == "owner"
