"""Long-running modes: the Telegram bot and the terminal dry run."""

from __future__ import annotations

from bot.dryrun import run_dry as run_dry
from bot.settings import Settings

NOT_YET = (
    "the news pipeline is not yet available in this build "
    "(ingestion, classification and delivery are landing next); "
    "`parley check-config` and `parley db upgrade` work"
)


def run_bot(settings: Settings) -> int:
    """The Telegram bot: long polling, handlers and the scheduled pipeline jobs."""
    from bot.tg.app import run_bot as run_telegram_bot

    return run_telegram_bot(settings)
