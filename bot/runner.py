"""Long-running modes: the Telegram bot and the terminal dry run.

Each is imported only when chosen, so a dry run never loads python-telegram-bot's wiring.
"""

from __future__ import annotations

from bot.settings import Settings


def run_dry(settings: Settings) -> int:
    """The pipeline on a timer, alerts printed to the terminal (``bot.dryrun``)."""
    from bot.dryrun import run_dry as run_terminal

    return run_terminal(settings)


def run_bot(settings: Settings) -> int:
    """The Telegram bot: long polling, handlers and the scheduled pipeline jobs."""
    from bot.tg.app import run_bot as run_telegram_bot

    return run_telegram_bot(settings)
