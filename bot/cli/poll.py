"""``parley poll-once``: one full polling cycle of every configured source, then a report.

Every enabled source is polled whether or not it is due (paused ones stay paused), new items
are stored, classified and grouped into stories, each source gets one report line, and the
stories that gained a flagged topic or an outlet are printed as they would be sent (matching
and delivery are left to `parley run`, so nothing is queued or sent). Exit 1 only when every
polled source failed: one broken feed is a report line, not a failed command.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from bot.cli.common import (
    CommandError,
    SubParsers,
    add_config_option,
    migrate_database,
    settings_from_args,
)
from bot.pipeline.classify import classify_new_items
from bot.pipeline.cluster import cluster_classified_items
from bot.pipeline.cycle import story_topic_thresholds
from bot.pipeline.poll import PollReport, SourceReport, poll_sources
from bot.render.alert import render_plain
from bot.render.views import load_story_views
from bot.services import Services, create_services
from bot.settings import Settings


def register(subparsers: SubParsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("poll-once", help="poll every source once and report")
    add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per source")
    parser.add_argument(
        "--no-stories",
        action="store_true",
        help="poll only: skip classification and stories (implied by --json)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.set_defaults(func=poll_once)


def poll_once(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    migrate_database(settings)
    with_stories = not (args.no_stories or args.json)  # --json: one object per source only
    report, stories = asyncio.run(_poll(settings, with_stories=with_stories))
    for story in stories:
        print(f"{story}\n")
    for source in report.sources:
        print(_json_line(source) if args.json else _text_line(source))
    polled = [s for s in report.sources if s.outcome not in ("paused", "not_due")]
    if not args.json:
        new = sum(s.new_items for s in report.sources)
        print(f"{len(polled)} sources polled, {new} new items, {len(report.errors)} errors")
    if polled and len(report.errors) == len(polled):
        raise CommandError(f"all {len(polled)} sources failed")
    return 0


async def _poll(settings: Settings, *, with_stories: bool) -> tuple[PollReport, list[str]]:
    services = await create_services(settings)
    try:
        report = await poll_sources(
            services.sessionmaker, services.http, services.config, only_due=False
        )
        stories = await _stories(services) if with_stories else []
        return report, stories
    finally:
        await services.close()


async def _stories(services: Services) -> list[str]:
    """Classify and cluster what is pending, then render the stories worth an alert."""
    config = services.config
    classifier = await services.classifier()
    await classify_new_items(services.sessionmaker, classifier, config.thresholds)
    clustered = await cluster_classified_items(
        services.sessionmaker, config.stories, story_topic_thresholds(config)
    )
    changed = sorted({*clustered.new_story_ids, *clustered.updated_story_ids})
    async with services.sessionmaker() as session:
        views = await load_story_views(session, changed)
    thresholds = config.thresholds
    return [
        render_plain(view, config.topics)
        for view in views
        if any(hit.score >= thresholds.get(hit.key, 1.0) for hit in view.topics)
    ]


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
