"""``parley poll-once``: one full polling cycle of every configured source, then a report.

Every enabled source is polled whether or not it is due (paused ones stay paused), new items
are stored for the next stages, and each source gets one report line. Exit 1 only when every
polled source failed: one broken feed is a report line, not a failed command.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from bot.cli.common import CommandError, SubParsers, add_config_option, settings_from_args
from bot.db.migrate import upgrade_async
from bot.pipeline.poll import PollReport, SourceReport, poll_sources
from bot.services import create_services
from bot.settings import Settings, redact_url


def register(subparsers: SubParsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("poll-once", help="poll every source once and report")
    add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per source")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.set_defaults(func=poll_once)


def poll_once(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    report = asyncio.run(_poll(settings))
    for source in report.sources:
        print(_json_line(source) if args.json else _text_line(source))
    polled = [s for s in report.sources if s.outcome not in ("paused", "not_due")]
    if not args.json:
        new = sum(s.new_items for s in report.sources)
        print(f"{len(polled)} sources polled, {new} new items, {len(report.errors)} errors")
    if polled and len(report.errors) == len(polled):
        raise CommandError(f"all {len(polled)} sources failed")
    return 0


async def _poll(settings: Settings) -> PollReport:
    try:
        await upgrade_async(settings.database_url)
    except Exception as exc:  # any driver or network failure becomes one line
        where = redact_url(settings.database_url)
        raise CommandError(
            f"cannot prepare database {where}: {type(exc).__name__}: {exc}"
        ) from None
    services = await create_services(settings)
    try:
        return await poll_sources(
            services.sessionmaker, services.http, services.config, only_due=False
        )
    finally:
        await services.close()


def _text_line(source: SourceReport) -> str:
    detail = f"{source.new_items} new" if source.outcome == "new" else source.outcome
    if source.error:
        detail = f"error: {source.error}"
    when = f" (next {source.next_poll_at:%H:%M} UTC)" if source.next_poll_at else ""
    return f"{source.name}: {detail}{when}"


def _json_line(source: SourceReport) -> str:
    return json.dumps(
        {
            "name": source.name,
            "outcome": source.outcome,
            "new_items": source.new_items,
            "entries": source.entries,
            "error": source.error,
            "warning": source.warning,
            "next_poll_at": source.next_poll_at.isoformat() if source.next_poll_at else None,
            "paused": source.newly_paused,
        },
        ensure_ascii=False,
    )
