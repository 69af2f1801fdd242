"""Long-running modes: the Telegram bot and the terminal dry run."""

from __future__ import annotations

from bot.cli.common import CommandError
from bot.settings import Settings

NOT_YET = (
    "the news pipeline is not yet available in this build "
    "(ingestion, classification and delivery are landing next); "
    "`parley check-config` and `parley db upgrade` work"
)


def run_dry(settings: Settings) -> int:
    """Poll, classify, cluster and print alerts to the terminal (``bot.dryrun``)."""
    raise CommandError(NOT_YET, exit_code=3)


def run_bot(settings: Settings) -> int:
    """The Telegram bot (``bot.tg.app.run_bot``)."""
    raise CommandError(NOT_YET, exit_code=3)
