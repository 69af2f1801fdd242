"""Pacing sends to Telegram's limits: ~30 messages/s in all, 1/s per private chat, 20/min per group.

PTB's ``AIORateLimiter`` has no per-private-chat limit and lets a burst of 30 through after idle
time, then pauses everything on any 429. Here every send reserves an exact slot instead: the
global pacer spaces sends ``1/rate`` apart (no bursts, so a server that enforces the limit never
has a reason to answer 429), and the chat pacer keeps one slot per chat. A 429 moves the next
slot of its scope by exactly ``retry_after``; sends already waiting re-check before they go.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from bot.settings import DeliveryConfig

#: Slots are spaced this much wider than the nominal rate: a server that counts requests in a
#: sliding window sees them a few milliseconds after we start them, by varying amounts.
PACING_MARGIN = 0.01
#: And at most ``rate`` requests may *actually* start within ``1 s + WINDOW_MARGIN``: when the
#: event loop stalls, a late request is followed by on-time ones, which would squeeze rate+1
#: requests into one server-side second and earn a 429 (and a whole second of pause).
WINDOW_MARGIN = 0.015


class Pacer:
    """Spaces events ``(1 + PACING_MARGIN)/rate`` seconds apart in the order they ask, and
    never lets more than ``rate`` of them start within one second (plus a margin)."""

    def __init__(self, rate_per_second: float, *, clock: Callable[[], float] = time.monotonic):
        self._interval = (1.0 + PACING_MARGIN) / rate_per_second
        self._burst = max(1, int(rate_per_second))
        self._window = 1.0 + WINDOW_MARGIN
        self._started: deque[float] = deque(maxlen=self._burst)
        self._clock = clock
        self._next = 0.0
        self._paused_until = 0.0

    @property
    def window(self) -> float:
        """The span in which at most ``rate`` sends may start."""
        return self._window

    def pause(self, seconds: float) -> None:
        """Nothing goes out for ``seconds`` from now (a global 429)."""
        until = self._clock() + seconds
        self._paused_until = max(self._paused_until, until)
        self._next = max(self._next, until)

    async def wait(self) -> None:
        while True:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
            if slot > now:
                await asyncio.sleep(slot - now)
            if self._clock() < self._paused_until:
                continue
            # Waiters wake in slot order, so checking the real start times here is exact.
            while len(self._started) == self._burst:
                free_at = self._started[0] + self._window
                now = self._clock()
                if now >= free_at:
                    break
                await asyncio.sleep(free_at - now)
            if self._clock() < self._paused_until:
                continue
            self._started.append(self._clock())
            return


class ChatPacer:
    """One slot per chat: private chats every ``1/private_per_second`` s, groups and channels
    every ``60/group_per_minute`` s. Entries whose slot has passed are pruned, so memory follows
    the number of chats being sent to right now, not the number of subscribers."""

    def __init__(
        self,
        private_per_second: float,
        group_per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._private_interval = 1.0 / private_per_second
        self._group_interval = 60.0 / group_per_minute
        self._clock = clock
        self._next: dict[int, float] = {}
        self._blocked: dict[int, float] = {}
        self._gap: dict[int, float] = {}  # seconds between a chat's last two slots
        self._last_prune = 0.0

    def interval(self, chat_id: int) -> float:
        # Telegram ids: users are positive, groups, supergroups and channels negative.
        return self._private_interval if chat_id > 0 else self._group_interval

    def block(self, chat_id: int, seconds: float) -> None:
        """A chat-scoped 429: this chat waits exactly ``seconds``."""
        until = self._clock() + seconds
        self._blocked[chat_id] = max(self._blocked.get(chat_id, 0.0), until)
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), until)

    def recently_sent_before_last(self, chat_id: int) -> bool:
        """Whether the send just made to this chat followed another one within the chat's own
        limit window (2 s for a private chat, a minute for a group): a 429 then is likely the
        chat's limit, not the bot's."""
        window = 2.0 if chat_id > 0 else 60.0
        return self._gap.get(chat_id, float("inf")) < window

    def forget(self, chat_id: int) -> None:
        self._next.pop(chat_id, None)
        self._blocked.pop(chat_id, None)
        self._gap.pop(chat_id, None)

    async def wait(self, chat_id: int) -> None:
        while True:
            now = self._clock()
            self._prune(now)
            interval = self.interval(chat_id)
            previous = self._next.get(chat_id)
            slot = max(now, previous or 0.0)
            self._next[chat_id] = slot + interval
            self._gap[chat_id] = slot - (previous - interval) if previous else float("inf")
            if slot > now:
                await asyncio.sleep(slot - now)
            if self._clock() >= self._blocked.get(chat_id, 0.0):
                return

    def _prune(self, now: float) -> None:
        if now - self._last_prune < 60:
            return
        self._last_prune = now
        self._next = {chat: at for chat, at in self._next.items() if at > now}
        self._blocked = {chat: at for chat, at in self._blocked.items() if at > now}
        self._gap = {chat: gap for chat, gap in self._gap.items() if chat in self._next}


class RateLimits:
    """The chat pacer, then the global one: a send waits for its chat before it takes one of
    the bot's global slots, so a slow chat never wastes a global slot."""

    def __init__(self, config: DeliveryConfig, *, clock: Callable[[], float] = time.monotonic):
        self.global_pacer = Pacer(config.global_per_second, clock=clock)
        self.chat_pacer = ChatPacer(
            config.private_chat_per_second, config.group_per_minute, clock=clock
        )

    async def wait(self, chat_id: int) -> None:
        await self.chat_pacer.wait(chat_id)
        await self.global_pacer.wait()

    def retry_after(self, chat_id: int, seconds: float, scope: str | None) -> None:
        """Honour a 429 exactly; an unscoped one is the chat's if the chat was just sent to."""
        if scope is None:
            scope = "chat" if self.chat_pacer.recently_sent_before_last(chat_id) else "global"
        if scope == "global":
            self.global_pacer.pause(seconds)
        else:
            self.chat_pacer.block(chat_id, seconds)
