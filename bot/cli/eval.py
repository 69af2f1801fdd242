"""``parley eval DATA.jsonl``: how the classifier does on labelled data at the config's thresholds.

Prints per-topic precision, recall, F1 and average precision, macro and micro averages,
the false-positive rate on items labelled [], and per topic the lowest threshold that
reaches --target-precision (what an admin would put in the config). --baseline keywords
also scores the keyword filter on the same data, to show the margin.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bot.cli.classify import classifier_from
from bot.cli.common import CommandError, SubParsers, add_config_option, settings_from_args
from classifiers.baseline import keyword_scores
from classifiers.data import DataError, label_matrix, load_examples
from classifiers.metrics import evaluate, format_report
from classifiers.topics import CORE_TOPICS


def register(subparsers: SubParsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("eval", help="measure the classifier on labelled JSON lines")
    parser.add_argument("data", type=Path, metavar="DATA.jsonl", help='rows {"text", "labels"}')
    parser.add_argument("--report", type=Path, metavar="DIR", help="also write PNG plots + HTML")
    parser.add_argument("--target-precision", type=float, default=0.9, metavar="P")
    parser.add_argument("--baseline", choices=["keywords"], help="also score a baseline")
    parser.add_argument("--model-dir", type=Path, default=None, help="exported model artefact")
    add_config_option(parser)
    parser.set_defaults(func=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    if not 0.0 < args.target_precision <= 1.0:
        raise CommandError("--target-precision must be in (0, 1]", 2)
    config = settings_from_args(args, logging_on=False).config
    try:
        examples = load_examples(args.data)
    except DataError as exc:
        raise CommandError(str(exc), 2) from exc
    classifier = classifier_from(config, args.model_dir)
    labelled = {label for ex in examples for label in ex.labels}
    topics = [t for t in classifier.topics if t in CORE_TOPICS or t in labelled]
    thresholds = {t: config.topics[t].threshold if t in config.topics else 0.5 for t in topics}
    texts = [ex.text for ex in examples]
    results = classifier.classify(texts, thresholds=thresholds)
    y = label_matrix(examples, topics)
    labels = {t: y[:, j] for j, t in enumerate(topics)}
    scores = {t: np.array([r.scores[t] for r in results]) for t in topics}
    report = evaluate(labels, scores, thresholds, target_precision=args.target_precision)
    print(
        format_report(report, f"{args.data} ({len(examples)} items), model thresholds from config")
    )
    baseline = None
    if args.baseline == "keywords":
        core = [t for t in topics if t in CORE_TOPICS]
        kw = keyword_scores(texts)
        baseline = evaluate(
            {t: labels[t] for t in core},
            kw,
            dict.fromkeys(core, 0.5),
            target_precision=args.target_precision,
        )
        print()
        print(format_report(baseline, "keyword baseline (same items)"))
        model_core = [m.f1 for m in report.topics if m.topic in CORE_TOPICS]
        margin = float(np.mean(model_core)) - baseline.macro_f1
        print(f"\nmacro-F1 margin over keywords (core topics): {margin:+.3f}")
    if args.report is not None:
        from classifiers.report import ReportUnavailable, write_report

        try:
            page = write_report(
                args.report,
                report,
                labels,
                scores,
                title=f"parley eval: {args.data.name}",
                baseline=baseline,
            )
        except ReportUnavailable as exc:
            raise CommandError(str(exc)) from exc
        print(f"\nreport: {page}")
    return 0
