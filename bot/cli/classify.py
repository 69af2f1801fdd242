"""``parley classify``: score one text, or a JSON Lines stream, with the configured topics.

Thresholds and custom topics come from the admin config, so this shows exactly what the
bot would flag. In --jsonl mode every input line gets one output line, in order; a bad
record becomes {"error": "..."} and the stream goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.cli.common import CommandError, SubParsers, add_config_option, settings_from_args
from bot.settings import AdminConfig
from classifiers import (
    ArtifactError,
    CustomTopic,
    TopicClassifier,
    TopicResult,
    flagged_topics,
    load_classifier,
)
from classifiers.data import record_text

CHUNK = 64


def register(subparsers: SubParsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "classify", help="score a text (or JSON lines on stdin) for the configured topics"
    )
    parser.add_argument("text", nargs="?", help="the text to classify (headline + lede)")
    parser.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"text": ...} or {"title": ..., "summary": ...} lines on stdin',
    )
    parser.add_argument("--model-dir", type=Path, default=None, help="exported model artefact")
    add_config_option(parser)
    parser.set_defaults(func=classify)


def custom_topics_from(config: AdminConfig) -> list[CustomTopic]:
    """Topics with a description or examples in the config are zero-shot custom topics."""
    return [
        CustomTopic(key, topic.description or "", tuple(topic.examples))
        for key, topic in config.topics.items()
        if topic.description or topic.examples
    ]


def classifier_from(config: AdminConfig, model_dir: Path | None = None) -> TopicClassifier:
    try:
        return load_classifier(
            model_dir or config.classifier.model_dir,
            custom_topics=custom_topics_from(config),
            threads=config.classifier.threads,
            batch_size=config.classifier.batch_size,
        )
    except (ArtifactError, ValueError) as exc:
        raise CommandError(str(exc)) from exc


def classify(args: argparse.Namespace) -> int:
    config = settings_from_args(args, logging_on=False).config
    if args.jsonl == (args.text is not None):
        raise CommandError("give either a TEXT argument or --jsonl (records on stdin)", 2)
    if not args.jsonl and not args.text.strip():
        raise CommandError("the text is empty", 2)
    classifier = classifier_from(config, args.model_dir)
    thresholds = {key: topic.threshold for key, topic in config.topics.items()}
    if args.jsonl:
        for line in classify_stream(classifier, sys.stdin, thresholds):
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        return 0
    (result,) = classifier.classify([args.text], thresholds=thresholds)
    print(format_result(result, thresholds))
    return 0


def result_record(result: TopicResult, thresholds: dict[str, float]) -> dict[str, Any]:
    flagged = flagged_topics(result.scores, thresholds)
    return {
        "scores": {t: round(s, 4) for t, s in result.scores.items()},
        "topics": flagged,
        "evidence": {t: result.evidence[t] for t in flagged if t in result.evidence},
    }


def classify_stream(
    classifier: TopicClassifier, stream: TextIO, thresholds: dict[str, float]
) -> Iterator[str]:
    """One JSON output line per input line, classified in chunks for throughput."""
    chunk: list[tuple[str | None, str | None]] = []  # (text, error) per input line
    for raw in stream:
        chunk.append(_parse_line(raw))
        if len(chunk) >= CHUNK:
            yield from _flush(classifier, chunk, thresholds)
            chunk = []
    yield from _flush(classifier, chunk, thresholds)


def _parse_line(raw: str) -> tuple[str | None, str | None]:
    if not raw.strip():
        return None, "empty line"
    try:
        return record_text(json.loads(raw)), None
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg}"
    except ValueError as exc:
        return None, str(exc)


def _flush(
    classifier: TopicClassifier,
    chunk: Sequence[tuple[str | None, str | None]],
    thresholds: dict[str, float],
) -> Iterator[str]:
    texts = [text for text, _ in chunk if text is not None]
    results = iter(classifier.classify(texts, thresholds=thresholds) if texts else [])
    for text, error in chunk:
        record = {"error": error} if text is None else result_record(next(results), thresholds)
        yield json.dumps(record, ensure_ascii=False)


def format_result(result: TopicResult, thresholds: dict[str, float]) -> str:
    flagged = flagged_topics(result.scores, thresholds)
    lines = []
    for topic, score in result.scores.items():
        threshold = thresholds.get(topic)
        mark = "FLAGGED" if topic in flagged else ""
        limit = f"threshold {threshold:.2f}" if threshold is not None else "not in config"
        lines.append(f"{topic:<24}{score:6.3f}  ({limit}) {mark}".rstrip())
    lines.append(f"flagged: {', '.join(flagged) if flagged else 'none'}")
    lines.extend(f"evidence [{t}]: {result.evidence.get(t, '')}" for t in flagged)
    return "\n".join(lines)
