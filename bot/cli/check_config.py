"""``parley check-config``: validate the admin file and the environment, print a summary."""

from __future__ import annotations

import argparse

from bot.cli.common import SubParsers, add_config_option, settings_from_args
from bot.settings import redact_url


def register(subparsers: SubParsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check-config", help="validate the config file and environment, then exit"
    )
    add_config_option(parser)
    parser.set_defaults(func=check_config)


def check_config(args: argparse.Namespace) -> int:
    settings = settings_from_args(args, logging_on=False)
    config = settings.config
    enabled = [source for source in config.sources if source.enabled]
    print(f"{settings.config_path}: OK")
    print(f"  sources: {len(enabled)} enabled of {len(config.sources)}")
    for key, topic in config.topics.items():
        kind = "core" if topic.description is None else "custom"
        print(f"  topic {key}: threshold {topic.threshold:.2f} ({kind})")
    print(f"  database: {redact_url(settings.database_url)}")
    print(f"  telegram: {'token set' if settings.bot_token else 'no token (dry-run only)'}")
    print(f"  admins: {len(config.telegram.admins)}")
    return 0
