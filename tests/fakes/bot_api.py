"""A fake Telegram Bot API server: real HTTP on 127.0.0.1, the protocol python-telegram-bot speaks.

Tests point the real ``Application`` at it (``.base_url``) instead of mocking PTB, so malformed
HTML, an over-long button payload or an edit that changes nothing fail as on Telegram. It serves ``getUpdates`` from a
queue the test fills (``send_text``, ``press_button``, ``push_update``), records every call, and
can be scripted to answer with Telegram's real errors per chat or per method (``fail``), enforce
Telegram's flood limits, or inject 5xx answers and slow responses. Typical use::

    async with FakeBotApi() as api:
        ... build the app with base_url=api.base_url, token=api.token ...
        api.send_text(42, "/start")
        [reply] = await api.wait_for("sendMessage", chat_id=42)
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from .bot_api_model import (
    TRIVIAL_METHODS,
    ApiCall,
    ApiError,
    FakeChat,
    FakeError,
    FloodLimits,
    JsonDict,
    Rule,
    bot_user_dict,
    callback_update,
    check_message,
    command_menu_method,
    decode_params,
    full_chat_dict,
    infer_chat_type,
    member_dict,
)

__all__ = ["ApiCall", "FakeBotApi", "FakeError"]
# PTB's future ``retry_after: timedelta``; without it PTB warns on every 429 (run_bot sets it too).
os.environ.setdefault("PTB_TIMEDELTA", "1")

TEST_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstu"
#: Methods Telegram counts against flood limits, and that fault injection applies to.
SENDING_METHODS = frozenset(
    {"sendmessage", "editmessagetext", "editmessagereplymarkup", "sendphoto", "senddocument"}
)


class FakeBotApi:
    """The server. Start it with ``async with``; read ``calls``; script it with ``fail``."""

    def __init__(
        self,
        token: str = TEST_TOKEN,
        *,
        bot_username: str = "parley_test_bot",
        long_poll_cap: float = 0.3,
        enforce_rate_limits: bool = False,
        error_rate: float = 0.0,
        delay_seconds: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.long_poll_cap = long_poll_cap
        self.enforce_rate_limits = enforce_rate_limits
        self.error_rate = error_rate
        self.delay_seconds = delay_seconds
        self.calls: list[ApiCall] = []
        self.commands: dict[str, list[JsonDict]] = {}
        self.messages: dict[tuple[int, int], JsonDict] = {}
        self._random = random.Random(seed)
        self._rules: list[Rule] = []
        self._chats: dict[int, FakeChat] = {}
        self._updates: list[JsonDict] = []
        self._next_update_id = 1
        self._message_ids: dict[int, int] = defaultdict(int)
        self._flood = FloodLimits()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """What PTB's ``base_url`` wants: it appends the token itself."""
        return f"{self.url}/bot"

    # -- scripting ---------------------------------------------------------------------------

    def add_chat(
        self,
        chat_id: int,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
        admins: Iterable[int] = (),
        owner: int | None = None,
    ) -> None:
        """Declare a chat, its type and (for groups and channels) who administers it."""
        self._chats[chat_id] = FakeChat(
            chat_id, chat_type or infer_chat_type(chat_id), title, username, set(admins), owner
        )

    def fail(
        self,
        error: FakeError,
        *,
        chat_id: int | str | None = None,
        method: str | None = None,
        times: int | None = None,
    ) -> None:
        """Answer matching calls with ``error`` (``times`` of them, or always)."""
        self._rules.append(Rule(error, chat_id, method, times))

    def clear_failures(self) -> None:
        self._rules.clear()

    def push_update(self, update: JsonDict) -> int:
        """Queue a raw update for ``getUpdates``; an ``update_id`` is assigned if missing."""
        update = dict(update)
        update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        self._updates.append(update)
        self._notify()
        return int(update["update_id"])

    def user(self, user_id: int, first_name: str | None = None) -> JsonDict:
        return {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}

    def chat(self, chat_id: int) -> JsonDict:
        if chat_id not in self._chats:
            self.add_chat(chat_id)
        return self._chats[chat_id].as_dict()

    def send_text(
        self, chat_id: int, text: str, *, user_id: int | None = None, **extra: Any
    ) -> int:
        """A person writes ``text`` in a chat (a private chat's user is the chat itself)."""
        message = self._new_message(chat_id, user_id, text=text, **extra)
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.push_update({"message": message})

    def migrate_group(self, old_chat_id: int, new_chat_id: int, *, user_id: int = 1) -> int:
        """A group becomes a supergroup: Telegram posts the service message in the old chat."""
        self.add_chat(
            new_chat_id,
            "supergroup",
            title=old.title if (old := self._chats.get(old_chat_id)) else None,
            admins=self._admins_of(old_chat_id),
        )
        message = self._new_message(old_chat_id, user_id, migrate_to_chat_id=new_chat_id)
        return self.push_update({"message": message})

    def press_button(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None
    ) -> str:
        """A person presses an inline button under a message the bot sent; returns the query id."""
        query_id = f"cq{self._next_update_id}"
        stored = self.messages.get((chat_id, message_id)) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chat(chat_id),
        }
        who = user_id if user_id is not None else chat_id
        self.push_update(callback_update(query_id, self.user(who), data, stored))
        return query_id

    # -- reading what happened -----------------------------------------------------------------

    def calls_to(self, method: str, *, chat_id: int | str | None = None) -> list[ApiCall]:
        return [
            call
            for call in self.calls
            if call.method.lower() == method.lower()
            and (chat_id is None or call.chat_id == chat_id)
        ]

    def texts(self, chat_id: int) -> list[str]:  # successfully sent, in order
        return [c.text for c in self.calls_to("sendMessage", chat_id=chat_id) if c.error is None]

    async def wait_for(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        count: int = 1,
        since: int = 0,
        predicate: Callable[[ApiCall], bool] | None = None,
        within: float = 10.0,
    ) -> list[ApiCall]:
        """Wait until ``count`` matching calls were made after call number ``since``; a safety
        timeout turns a missing reply into a clear failure instead of a hung test."""

        def matching() -> list[ApiCall]:
            found = [c for c in self.calls[since:] if c.method.lower() == method.lower()]
            found = [c for c in found if chat_id is None or c.chat_id == chat_id]
            return [c for c in found if predicate is None or predicate(c)]

        if not await self._wait_until(lambda: len(matching()) >= count, within):
            seen = [(c.method, c.chat_id, c.text[:60]) for c in self.calls[since:]]
            raise AssertionError(
                f"expected {count} {method} call(s) to {chat_id}; calls since: {seen}"
            )
        return matching()

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(FakeError(401, "Unauthorized").body(), status=401)
        method = request.match_info["method"]
        try:
            params = await decode_params(request)
        except ConnectionResetError:
            # The client died mid-request (a SIGKILLed sender): like Telegram, act on nothing.
            return web.Response(status=400, text="connection lost before the request was read")
        call = ApiCall(method, params, time.monotonic())
        name = method.lower()
        if self.delay_seconds and name != "getupdates":
            await asyncio.sleep(self.delay_seconds)
        try:
            call.error = self._scripted_error(name, params.get("chat_id"))
            if call.error is None:
                call.result = await self._dispatch(name, params)
        except ApiError as exc:
            call.error = exc.error
        if name != "getupdates" or call.result:
            self.calls.append(call)
            self._notify()
        if call.error is not None:
            return web.json_response(call.error.body(), status=call.error.status)
        return web.json_response({"ok": True, "result": call.result})

    def _scripted_error(self, name: str, chat_id: object) -> FakeError | None:
        for rule in self._rules:
            if rule.matches(name, chat_id):
                if rule.remaining is not None:
                    rule.remaining -= 1
                return rule.error
        if name in SENDING_METHODS:
            if self.error_rate and self._random.random() < self.error_rate:
                return FakeError.server_error()
            if self.enforce_rate_limits:
                return self._flood.check(chat_id)
        return None

    async def _dispatch(self, name: str, params: JsonDict) -> Any:
        if name == "getupdates":
            return await self._get_updates(params)
        if name == "getme":
            return bot_user_dict(self.bot_id, self.bot_username)
        if name in ("setmycommands", "deletemycommands", "getmycommands"):
            return command_menu_method(self.commands, name, params)
        if name == "sendmessage":
            return self._send_message(params)
        if name in ("editmessagetext", "editmessagereplymarkup"):
            return self._edit_message(name, params)
        if name == "getchat":
            return full_chat_dict(self._known_chat(params))
        if name == "getchatmember":
            chat = self._known_chat(params)
            return member_dict(chat, self._user_or_bot(int(params["user_id"])))
        if name == "getchatadministrators":
            chat = self._known_chat(params)
            return [
                member_dict(chat, self._user_or_bot(u)) for u in sorted(self._admins_of(chat.id))
            ]
        if name in TRIVIAL_METHODS:
            return True
        raise ApiError(FakeError(404, "Not Found: method not found"))

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), self.long_poll_cap)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if wait > 0:
            await self._wait_until(lambda: bool(self._updates), wait)
        return self._updates[:limit]

    def _send_message(self, params: JsonDict) -> JsonDict:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(FakeError.chat_not_found())
        text = str(params.get("text") or "")
        check_message(text, params)
        message = self._new_message(chat_id, None, text=text)
        message["from"] = bot_user_dict(self.bot_id, self.bot_username)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _edit_message(self, name: str, params: JsonDict) -> JsonDict:
        key = (params.get("chat_id"), params.get("message_id"))
        stored = self.messages.get(key)  # type: ignore[arg-type]
        if stored is None:
            raise ApiError(FakeError(400, "Bad Request: message to edit not found"))
        new = dict(stored)
        if name == "editmessagetext":
            new["text"] = str(params.get("text") or "")
            check_message(new["text"], params)
        new.pop("reply_markup", None)
        if params.get("reply_markup"):
            new["reply_markup"] = params["reply_markup"]
        if new == stored:
            raise ApiError(
                FakeError(
                    400,
                    (
                        "Bad Request: message is not modified: specified new message content and reply "
                        "markup are exactly the same as a current content and reply markup of the message"
                    ),
                )
            )
        new["edit_date"] = int(time.time())
        self.messages[key] = new  # type: ignore[index]
        return new

    def _new_message(self, chat_id: int, user_id: int | None, **fields: Any) -> JsonDict:
        self._message_ids[chat_id] += 1
        message: JsonDict = {
            "message_id": self._message_ids[chat_id],
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            **fields,
        }
        if user_id is not None or chat_id > 0:
            message["from"] = self.user(user_id if user_id is not None else chat_id)
        return message

    def _known_chat(self, params: JsonDict) -> FakeChat:
        chat_id = params.get("chat_id")
        for chat in self._chats.values():
            if chat_id in (chat.id, f"@{chat.username}" if chat.username else None):
                return chat
        raise ApiError(FakeError.chat_not_found())

    def _admins_of(self, chat_id: int) -> set[int]:
        chat = self._chats.get(chat_id)
        if chat is None:
            return set()
        return chat.admins | ({chat.owner} if chat.owner is not None else set())

    def _user_or_bot(self, user_id: int) -> JsonDict:
        if user_id == self.bot_id:
            return bot_user_dict(self.bot_id, self.bot_username)
        return self.user(user_id)

    def _notify(self) -> None:
        """Wake every waiter; each re-checks its own condition against the new state."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(self, condition: Callable[[], bool], within: float) -> bool:
        deadline = time.monotonic() + within
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return condition()
        return True
