"""What happens around alerts: /latest (history), the 👍/👎/why? buttons, /channel."""

from __future__ import annotations

from html import escape

from sqlalchemy import select
from telegram import ChatMember, ChatMemberAdministrator, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.db.models import Chat, ChatStatus, Story
from bot.filters.match import ChatFilter, StoryFacts, filters_allow
from bot.filters.sensitivity import thresholds_for
from bot.render import StoryView, load_story_view, load_story_views, render_digest, render_why
from bot.render.callbacks import decode
from bot.settings import AdminConfig
from bot.tg import store, texts
from bot.tg.common import checked_args, say, subscribed_chat
from bot.tg.context import Context, services_of

SCAN_LIMIT = 300


def _wanted(view: StoryView, chat: Chat, config: AdminConfig) -> bool:
    thresholds = thresholds_for(config.thresholds, chat.sensitivity, config.sensitivity)
    scores = {hit.key: hit.score for hit in view.topics}
    if not any(scores.get(t, 0.0) >= thresholds.get(t, 2.0) for t in chat.topics):
        return False
    facts = StoryFacts.of(view.title, view.summary, scores, view.places)
    return filters_allow(ChatFilter.from_chat(chat), facts)


async def latest(update: Update, context: Context) -> None:
    raw = await checked_args(update, context)
    chat = await subscribed_chat(update, context) if raw is not None else None
    if raw is None or chat is None:
        return
    services = services_of(context)
    limits = services.config.limits
    count = limits.latest_default
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= limits.latest_max:
            await say(
                update,
                context,
                f"Usage: <code>/latest N</code> with N from 1 to {limits.latest_max}.",
            )
            return
        count = int(raw)
    async with services.sessionmaker() as session:
        ids = list(
            (
                await session.execute(
                    select(Story.id).order_by(Story.last_seen_at.desc()).limit(SCAN_LIMIT)
                )
            ).scalars()
        )
        views = await load_story_views(session, ids)
    chosen = [view for view in views if _wanted(view, chat, services.config)][:count]
    if not chosen:
        await say(update, context, texts.LATEST_NONE)
        return
    rendered = render_digest(chosen, services.config.topics, heading=texts.LATEST_HEADING)
    await say(update, context, rendered.text)


async def alert_button(update: Update, context: Context) -> None:
    """👍/👎 store feedback with the scores behind the alert; why? shows the evidence."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    if query is None or chat is None or user is None:
        return
    callback = decode(query.data)
    if callback is None:
        await query.answer(texts.BUTTON_EXPIRED)
        return
    services = services_of(context)
    if callback.action == "why":
        row = await store.get_chat(services.sessionmaker, chat.id)
        sensitivity = row.sensitivity if row else "normal"
        thresholds = thresholds_for(
            services.config.thresholds, sensitivity, services.config.sensitivity
        )
        try:
            async with services.sessionmaker() as session:
                view = await load_story_view(session, callback.story_id)
        except LookupError:
            await query.answer(texts.STORY_GONE, show_alert=True)
            return
        why = render_why(view, services.config.topics, thresholds=thresholds, max_chars=200)
        await query.answer(why, show_alert=True)
        return
    vote = 1 if callback.action == "up" else -1
    scores = await store.record_feedback(
        services.sessionmaker, callback.story_id, chat.id, user.id, vote
    )
    if scores is None:
        await query.answer(texts.STORY_GONE)
        return
    await query.answer(texts.FEEDBACK_THANKS_UP if vote > 0 else texts.FEEDBACK_THANKS_DOWN)


async def channel(update: Update, context: Context) -> None:
    """/channel @name subscribes a channel the sender administers (the bot must be an admin
    there too); /channel stop @name stops it."""
    chat, user = update.effective_chat, update.effective_user
    raw = await checked_args(update, context)
    if chat is None or user is None or raw is None:
        return
    if chat.type != ChatType.PRIVATE:
        await say(update, context, texts.PRIVATE_ONLY)
        return
    words = raw.split()
    stopping = bool(words) and words[0].casefold() == "stop"
    words = words[1:] if stopping else words
    if len(words) != 1 or not (words[0].startswith("@") or words[0].lstrip("-").isdigit()):
        await say(update, context, texts.CHANNEL_USAGE)
        return
    target: int | str = int(words[0]) if words[0].lstrip("-").isdigit() else words[0]
    shown = escape(words[0])
    try:
        info = await context.bot.get_chat(target)
        member = await context.bot.get_chat_member(info.id, user.id)
        me = await context.bot.get_chat_member(info.id, context.bot.id)
    except TelegramError:
        await say(update, context, texts.CHANNEL_NOT_FOUND)
        return
    if info.type != ChatType.CHANNEL:
        await say(update, context, texts.CHANNEL_NOT_CHANNEL.format(channel=shown))
        return
    if member.status not in (ChatMember.ADMINISTRATOR, ChatMember.OWNER):
        await say(update, context, texts.CHANNEL_NOT_ADMIN.format(channel=shown))
        return
    sessions = services_of(context).sessionmaker
    if stopping:
        row = await store.get_chat(sessions, info.id)
        if row is None or row.status != ChatStatus.ACTIVE:
            await say(update, context, texts.CHANNEL_NOT_SUBSCRIBED.format(channel=shown))
            return
        await store.set_status(sessions, info.id, ChatStatus.STOPPED)
        await say(update, context, texts.CHANNEL_OFF.format(channel=shown))
        return
    if not (isinstance(me, ChatMemberAdministrator) and me.can_post_messages):
        await say(update, context, texts.CHANNEL_BOT_NOT_ADMIN.format(channel=shown))
        return
    await store.subscribe(sessions, info.id, info.type, info.title, user.id)
    await say(update, context, texts.CHANNEL_ON.format(channel=shown))
