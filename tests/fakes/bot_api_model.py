"""Value types of the fake Bot API: errors as Telegram shapes them, recorded calls, chats,
request decoding, flood limits and message validation. The server itself is ``bot_api.py``."""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .html_check import check_telegram_html, visible_length

JsonDict = dict[str, Any]

#: Form fields that are always strings; PTB sends them raw, so they must not be JSON-decoded.
_STRING_FIELDS = frozenset(
    {"text", "caption", "parse_mode", "callback_query_id", "url", "data", "description", "query"}
)
_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


@dataclass(frozen=True)
class FakeError:
    """A Bot API error answer, exactly as Telegram shapes it."""

    status: int
    description: str
    parameters: JsonDict | None = None

    def body(self) -> JsonDict:
        out: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            out["parameters"] = self.parameters
        return out

    @classmethod
    def blocked(cls) -> FakeError:
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def kicked(cls) -> FakeError:
        return cls(403, "Forbidden: bot was kicked from the group chat")

    @classmethod
    def chat_not_found(cls) -> FakeError:
        return cls(400, "Bad Request: chat not found")

    @classmethod
    def retry_after(cls, seconds: int) -> FakeError:
        return cls(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    @classmethod
    def cant_parse(cls, detail: str = 'Unsupported start tag "x" at byte offset 0') -> FakeError:
        return cls(400, f"Bad Request: can't parse entities: {detail}")

    @classmethod
    def migrated(cls, new_chat_id: int) -> FakeError:
        return cls(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": new_chat_id},
        )

    @classmethod
    def server_error(cls, status: int = 502) -> FakeError:
        return cls(status, "Bad Gateway" if status == 502 else "Internal Server Error")


@dataclass
class ApiCall:
    """One request the bot made: the method as sent, decoded parameters, and what was answered."""

    method: str
    params: JsonDict
    at: float
    error: FakeError | None = None
    result: Any = None

    @property
    def chat_id(self) -> int | str | None:
        value = self.params.get("chat_id")
        return value if isinstance(value, int | str) else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[JsonDict]:
        """Inline keyboard buttons of this call, row after row."""
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass
class Rule:
    error: FakeError
    chat_id: int | str | None
    method: str | None
    remaining: int | None

    def matches(self, method: str, chat_id: object) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is not None and self.method.lower() != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass
class FakeChat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    admins: set[int] = field(default_factory=set)
    owner: int | None = None

    def as_dict(self) -> JsonDict:
        out: JsonDict = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.title or f"User{self.id}"
        elif self.title:
            out["title"] = self.title
        if self.username:
            out["username"] = self.username
        return out


class ApiError(Exception):
    """Raised inside a method handler to answer with a Bot API error."""

    def __init__(self, error: FakeError) -> None:
        super().__init__(error.description)
        self.error = error


def infer_chat_type(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


async def decode_params(request: web.Request) -> JsonDict:
    """PTB posts form fields with strings raw and everything else JSON-encoded; other clients
    may post JSON. Accept both, plus query-string parameters."""
    params: JsonDict = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
        return params
    if request.can_read_body:
        form = await request.post()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return {key: decode_value(key, value) for key, value in params.items()}


def decode_value(key: str, value: Any) -> Any:
    if key in _STRING_FIELDS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def member_dict(chat: FakeChat, user: JsonDict) -> JsonDict:
    """A ChatMember as ``getChatMember`` returns it for this user in this chat."""
    user_id = user["id"]
    if chat.type == "private" or user_id == chat.owner:
        status = "member" if chat.type == "private" else "creator"
        return {"status": status, "user": user, "is_anonymous": False}
    if user_id in chat.admins:
        rights = dict.fromkeys(_ADMIN_RIGHTS, False)
        return {**rights, "status": "administrator", "user": user, "can_post_messages": True}
    return {"status": "member", "user": user}


def check_message(text: str, params: JsonDict) -> None:
    """Refuse what Telegram refuses: empty or over-long text, bad HTML, bad button payloads."""
    if not text.strip():
        raise ApiError(FakeError(400, "Bad Request: message text is empty"))
    html = str(params.get("parse_mode") or "").upper() == "HTML"
    if html and (problem := check_telegram_html(text)):
        raise ApiError(FakeError.cant_parse(problem))
    if (visible_length(text) if html else len(text)) > 4096:
        raise ApiError(FakeError(400, "Bad Request: message is too long"))
    markup = params.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(FakeError(400, "Bad Request: BUTTON_DATA_INVALID"))


class FloodLimits:
    """Telegram's documented limits: 30 messages/s overall, 1/s per private chat, 20/min per
    group. A call over a limit gets 429 with the seconds until a slot frees up."""

    def __init__(self) -> None:
        self._sent_at: dict[object, deque[float]] = defaultdict(deque)

    def check(self, chat_id: object) -> FakeError | None:
        now = time.monotonic()
        is_group = isinstance(chat_id, int) and chat_id < 0
        limits: list[tuple[object, int, float]] = [("*", 30, 1.0)]
        limits.append((chat_id, 20, 60.0) if is_group else (chat_id, 1, 1.0))
        for key, count, window in limits:
            stamps = self._sent_at[key]
            while stamps and stamps[0] <= now - window:
                stamps.popleft()
            if len(stamps) >= count:
                return FakeError.retry_after(max(1, math.ceil(stamps[0] + window - now)))
        for key, _, _ in limits:
            self._sent_at[key].append(now)
        return None


#: Methods whose only useful answer is ``true``.
TRIVIAL_METHODS = frozenset(
    {
        "deletewebhook",
        "answercallbackquery",
        "deletemessage",
        "sendchataction",
        "leavechat",
        "setchatmenubutton",
        "close",
        "logout",
    }
)


def bot_user_dict(bot_id: int, username: str) -> JsonDict:
    """The bot as ``getMe`` describes it (and as the sender of its messages)."""
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": "Parley",
        "username": username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def full_chat_dict(chat: FakeChat) -> JsonDict:
    """A ChatFullInfo with the fields PTB 22 requires."""
    gift_kinds = (
        "unlimited_gifts",
        "limited_gifts",
        "unique_gifts",
        "premium_subscription",
        "gifts_from_channels",
    )
    return {
        **chat.as_dict(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict.fromkeys(gift_kinds, False),
    }


def command_menu_method(
    menus: dict[str, list[JsonDict]], name: str, params: JsonDict
) -> bool | list[JsonDict]:
    """set/delete/getMyCommands against ``menus``, keyed by the JSON of the scope."""
    scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
    if name == "setmycommands":
        menus[scope] = list(params.get("commands") or [])
    elif name == "deletemycommands":
        menus.pop(scope, None)
    else:
        return menus.get(scope, [])
    return True


def callback_update(query_id: str, user: JsonDict, data: str, message: JsonDict) -> JsonDict:
    chat_instance = f"ci{message['chat']['id']}"
    query = {
        "id": query_id,
        "from": user,
        "chat_instance": chat_instance,
        "data": data,
        "message": message,
    }
    return {"callback_query": query}
