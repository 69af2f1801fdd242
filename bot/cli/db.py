"""``parley db upgrade``: apply schema migrations (also done automatically at start)."""

from __future__ import annotations

import argparse

from bot.cli.common import CommandError, SubParsers, add_config_option, settings_from_args
from bot.db.migrate import upgrade
from bot.settings import redact_url


def register(subparsers: SubParsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database maintenance")
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="apply migrations up to the newest schema")
    add_config_option(up)
    up.add_argument("revision", nargs="?", default="head", help="target revision (default head)")
    up.set_defaults(func=db_upgrade)


def db_upgrade(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    where = redact_url(settings.database_url)
    try:
        upgrade(settings.database_url, args.revision)
    except Exception as exc:  # any driver or network failure becomes one line
        raise CommandError(f"cannot migrate {where}: {type(exc).__name__}: {exc}") from None
    print(f"database {where} is at revision {args.revision}")
    return 0
