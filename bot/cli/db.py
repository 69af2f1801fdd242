"""``parley db upgrade``: apply schema migrations (also done automatically at start)."""

from __future__ import annotations

import argparse

from bot.cli.common import SubParsers, add_config_option, migrate_database, settings_from_args
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
    migrate_database(settings, args.revision)
    print(f"database {redact_url(settings.database_url)} is at revision {args.revision}")
    return 0
