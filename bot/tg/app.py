"""The only wiring module: builds the python-telegram-bot ``Application`` and runs it.

Handlers, jobs and resources meet here and nowhere else. ``post_init`` creates ``Services``
(database, config, classifier on first use), migrates the schema, sets the command menus and
schedules the jobs; ``post_shutdown`` closes what ``post_init`` opened.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC
from typing import Any, cast

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    JobQueue,
    MessageHandler,
    filters,
)

from bot.cli.common import CommandError
from bot.db.migrate import upgrade_async
from bot.pipeline.schedule import freeze_startup_heap
from bot.services import create_services
from bot.settings import Settings
from bot.tg import admin, texts
from bot.tg import handlers_alerts as alerts
from bot.tg import handlers_filters as filter_cmds
from bot.tg import handlers_schedule as schedule
from bot.tg import handlers_settings as settings_cmds
from bot.tg import handlers_subscribe as subscribe
from bot.tg.context import BotData, Context
from bot.tg.errors import on_error
from bot.tg.jobs import schedule_jobs

_LOGGER = logging.getLogger(__name__)

ParleyApp = Application[
    ExtBot[None], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Context]
]
CONFIG_WATCH_SECONDS = 5.0
HEALTH_WATCH_SECONDS = 60.0

COMMANDS = {
    "start": subscribe.start,
    "stop": subscribe.stop,
    "forget": subscribe.forget,
    "help": subscribe.help_command,
    "settings": settings_cmds.settings,
    "topics": settings_cmds.topics,
    "subscribe": settings_cmds.subscribe_topics,
    "unsubscribe": settings_cmds.unsubscribe_topics,
    "keywords": filter_cmds.keywords,
    "countries": filter_cmds.countries,
    "sensitivity": filter_cmds.sensitivity,
    "mode": schedule.mode,
    "timezone": schedule.timezone,
    "quiet": schedule.quiet,
    "mute": schedule.mute,
    "unmute": schedule.unmute,
    "latest": alerts.latest,
    "channel": alerts.channel,
    "stats": admin.stats,
    "sources": admin.sources,
    "test": admin.test_text,
    "reload": admin.reload_command,
}


def add_handlers(application: ParleyApp) -> None:
    for name, callback in COMMANDS.items():
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(
        CallbackQueryHandler(settings_cmds.settings_button, pattern=r"^(t|sens|mode|menu):")
    )
    application.add_handler(CallbackQueryHandler(subscribe.forget_button, pattern=r"^forget:"))
    application.add_handler(CallbackQueryHandler(alerts.alert_button))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, subscribe.migrated))
    application.add_handler(
        ChatMemberHandler(subscribe.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, subscribe.unknown
        )
    )
    application.add_error_handler(on_error)


async def unknown_command(update: Update, context: Context) -> None:
    """Unknown commands: answered in private chats, and in groups only when addressed to us
    (``/cmd@ourbot``), so the bot stays quiet about other bots' commands."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not message.text:
        return
    command = message.text.split(maxsplit=1)[0]
    if chat.type == "private" or command.lower().endswith(f"@{context.bot.username}".lower()):
        await subscribe.unknown(update, context)


async def set_command_menus(application: ParleyApp, admins: list[int]) -> None:
    """Everyone sees the subscriber menu; each admin's private chat also shows admin commands."""
    user_menu = [BotCommand(name, description) for name, description in texts.USER_COMMANDS]
    admin_menu = user_menu + [BotCommand(n, d) for n, d in texts.ADMIN_COMMANDS]
    await application.bot.set_my_commands(user_menu)
    for admin_id in admins:
        try:
            await application.bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:  # an admin who never opened a chat with the bot
            _LOGGER.warning("cannot set the admin menu for %s: %s", admin_id, exc)


def schedule_bot_jobs(application: ParleyApp) -> None:
    job_queue = application.job_queue
    if job_queue is None:
        raise CommandError("python-telegram-bot was installed without the job-queue extra")
    job_queue.run_repeating(
        admin.watch_config, interval=CONFIG_WATCH_SECONDS, first=0, name="config-watch"
    )
    job_queue.run_repeating(
        admin.watch_health, interval=HEALTH_WATCH_SECONDS, first=0, name="admin-watch"
    )
    schedule_jobs(application)


def build_application(settings: Settings) -> ParleyApp:
    """The application, fully wired; nothing is started and no I/O has happened yet."""
    if settings.bot_token is None:
        raise CommandError("TELEGRAM_BOT_TOKEN is not set")

    async def post_init(application: ParleyApp) -> None:
        await upgrade_async(settings.database_url)
        services = await create_services(settings)
        application.bot_data.services = services
        await set_command_menus(application, list(services.config.telegram.admins))
        schedule_bot_jobs(application)
        freeze_startup_heap()  # long-lived start-up objects leave the GC's full passes
        _LOGGER.info("bot @%s ready", application.bot.username)

    async def post_shutdown(application: ParleyApp) -> None:
        services = application.bot_data.services
        if services is not None:
            await services.close()
            application.bot_data.services = None

    context_types = ContextTypes(bot_data=BotData)
    # PTB's builder cannot carry the typed context into JobQueue's parameter; the cast states it.
    application = cast(
        ParleyApp,
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=UTC,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(context_types)
        .concurrent_updates(True)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build(),
    )
    add_handlers(application)
    return application


def run_bot(settings: Settings) -> int:
    """Run the bot until interrupted (``parley run``). Opting in to PTB's timedelta
    ``retry_after`` keeps one type for it in production and tests."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    application = build_application(settings)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
