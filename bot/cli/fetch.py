"""``parley fetch URL_OR_PATH``: fetch and parse one source, print its normalised items.

For admins checking a feed before adding it, and for debugging a failing one: the same fetch,
parse and normalisation code as the poller, no database. Items that could be recovered are
printed even when the source failed; the failure is then one line on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from bot.cli.common import CommandError, SubParsers, add_config_option
from bot.db.models import utcnow
from bot.pipeline.dedupe import fingerprint, unique_in_batch
from bot.pipeline.normalise import NormalisedItem, normalise_entry
from bot.settings import (
    DEFAULT_CONFIG_PATH,
    AdminConfig,
    SourceConfig,
    format_validation_error,
    load_admin_config,
)
from bot.sources import Politeness, Validators, create_http_client, fetch_source


def register(subparsers: SubParsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("fetch", help="fetch one feed and print its items")
    add_config_option(parser)
    parser.add_argument("source", metavar="URL_OR_PATH", help="feed URL, file path or file:// URL")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--kind",
        choices=["auto", "rss", "atom", "jsonfeed", "gdelt", "file"],
        default="auto",
        help="source kind (default: file for paths, else sniffed from the body)",
    )
    parser.add_argument("--query", help="GDELT query (with --kind gdelt)")
    parser.set_defaults(func=fetch)


def _config(path: Path | None) -> AdminConfig:
    """The admin config when there is one: fetch is useful before Parley is set up."""
    if path is None and not DEFAULT_CONFIG_PATH.exists():
        return AdminConfig()
    return load_admin_config(path or DEFAULT_CONFIG_PATH)


def _source(args: argparse.Namespace) -> SourceConfig:
    kind = args.kind
    if kind == "auto":
        kind = "rss" if urlsplit(args.source).scheme in ("http", "https") else "file"
    try:
        return SourceConfig(name="fetch", kind=kind, url=args.source, query=args.query)
    except ValidationError as exc:
        raise CommandError("; ".join(format_validation_error(exc)), exit_code=2) from None


def fetch(args: argparse.Namespace) -> int:
    config = _config(args.config)
    source = _source(args)
    items, error = asyncio.run(_fetch(config, source))
    try:
        for item in items:
            print(_json_line(item) if args.json else _text_line(item))
    except BrokenPipeError:  # `parley fetch … | head` is fine
        return 0
    if error:
        raise CommandError(f"{args.source}: {error}")
    return 0


async def _fetch(
    config: AdminConfig, source: SourceConfig
) -> tuple[list[NormalisedItem], str | None]:
    polling = config.polling
    async with create_http_client(polling) as client:
        result = await fetch_source(
            source,
            Validators(),
            client=client,
            politeness=Politeness.from_config(polling),
            polling=polling,
            interval=config.interval_for(source),
        )
    items: list[NormalisedItem] = []
    if result.feed is not None:
        now = utcnow()
        normalised = (
            normalise_entry(
                entry,
                source=source.name,
                now=now,
                base_url=result.base_url,
                feed_link=result.feed.link,
                feed_title=result.feed.title,
                language=result.feed.language,
            )
            for entry in result.feed.entries
        )
        items = [item for item, _, _ in unique_in_batch(i for i in normalised if i is not None)]
    return items, str(result.error) if result.error else None


def _text_line(item: NormalisedItem) -> str:
    when = item.published_at.strftime("%Y-%m-%d %H:%M")
    mark = "~" if item.published_estimated else " "
    return f"{when}{mark} {item.title}  {item.url or '-'}"


def _json_line(item: NormalisedItem) -> str:
    return json.dumps(
        {
            "fingerprint": fingerprint(item),
            "guid": item.guid,
            "url": item.url,
            "title": item.title,
            "summary": item.summary,
            "content": item.content,
            "published_at": item.published_at.isoformat(),
            "published_estimated": item.published_estimated,
            "language": item.language,
            "author": item.author,
        },
        ensure_ascii=False,
    )
