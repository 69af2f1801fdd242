"""``parley run``: the bot, or with ``--dry-run`` (or no token) the pipeline printing to the terminal."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import SubParsers, add_config_option, migrate_database, settings_from_args

NO_TOKEN_NOTICE = (
    "No TELEGRAM_BOT_TOKEN set: running in dry-run mode, alerts are printed here.\n"  # noqa: S105
    "To go live, create a bot with @BotFather and run: TELEGRAM_BOT_TOKEN=<token> parley run"
)


def register(subparsers: SubParsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="run the bot (or the pipeline in dry-run mode)")
    add_config_option(parser)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="no Telegram: print the alerts a subscriber to every topic would get",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    migrate_database(settings)
    if args.dry_run or settings.bot_token is None:
        if not args.dry_run:
            print(NO_TOKEN_NOTICE, file=sys.stderr)
        from bot.runner import run_dry

        return run_dry(settings)
    from bot.runner import run_bot

    return run_bot(settings)
