"""Who may do what: group admins change group settings; config admins use admin commands.

Group membership is asked of Telegram each time (``getChatMember``), not cached: admins change,
and a stale cache would let a demoted admin keep control.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.tg.context import Context, services_of

_LOGGER = logging.getLogger(__name__)
_GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


def is_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in _GROUPS


async def can_change_settings(update: Update, context: Context) -> bool:
    """True in private chats; in groups only for the group's admins (and anonymous admins,
    who post as the group itself)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return False
    if chat.type not in _GROUPS:
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        _LOGGER.warning("cannot check admin rights in chat %s: %s", chat.id, exc)
        return False
    return member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


def is_bot_admin(update: Update, context: Context) -> bool:
    """Whether the sender is a Parley admin (a Telegram user id from the config file)."""
    user = update.effective_user
    if user is None:
        return False
    return user.id in services_of(context).config.telegram.admins
