"""Pieces every sub-command shares: the --config option and settings loading."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.db.migrate import upgrade
from bot.log_setup import setup_logging
from bot.settings import Settings, load_settings, redact_url

SubParsers = argparse._SubParsersAction


class CommandError(Exception):
    """An expected failure: reported as one line, with an exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="PATH",
        help="admin config file (default: $PARLEY_CONFIG, else config/parley.toml)",
    )


def settings_from_args(args: argparse.Namespace, *, logging_on: bool = True) -> Settings:
    """Load and validate settings; raises ConfigError, which main() prints path by path."""
    settings = load_settings(getattr(args, "config", None))
    if logging_on:
        secrets = [settings.bot_token.get_secret_value()] if settings.bot_token else []
        level = "DEBUG" if getattr(args, "verbose", False) else settings.config.general.log_level
        setup_logging(level, secrets)
    return settings


def migrate_database(settings: Settings, revision: str = "head") -> None:
    """Bring the schema to ``revision``; any driver or network failure becomes one line, with
    the password kept out of it."""
    try:
        upgrade(settings.database_url, revision)
    except Exception as exc:
        where = redact_url(settings.database_url)
        raise CommandError(f"cannot migrate {where}: {type(exc).__name__}: {exc}") from None
