"""The model card written next to every trained artefact (MODEL_CARD.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from classifiers.head import HeadFile
from classifiers.metrics import Report


def _table(report: Report) -> list[str]:
    rows = [
        "| topic | threshold | support | precision | recall | F1 | AP |",
        "|---|---|---|---|---|---|---|",
    ]
    rows += [
        f"| {m.topic} | {m.threshold:.2f} | {m.support} | {m.precision:.3f} | {m.recall:.3f} "
        f"| {m.f1:.3f} | {m.average_precision:.3f} |"
        for m in report.topics
    ]
    rows.append(
        f"| **macro** | | | {report.macro_precision:.3f} | {report.macro_recall:.3f} "
        f"| **{report.macro_f1:.3f}** | |"
    )
    rows.append(
        f"| micro | | | {report.micro_precision:.3f} | {report.micro_recall:.3f} "
        f"| {report.micro_f1:.3f} | |"
    )
    rows.append("")
    rows.append(
        f"False-positive rate on items labelled `[]`: {report.none_false_positive_rate:.3f} "
        f"(of {report.none_count})."
    )
    return rows


def write_model_card(
    path: Path,
    head: HeadFile,
    dev: Report,
    test: Report | None,
    baseline: Report | None,
) -> None:
    info: dict[str, Any] = head.info
    manifest = json.loads((path.parent / "manifest.json").read_text(encoding="utf-8"))
    lines = [
        "# Parley topic classifier: all-MiniLM-L6-v2 + fine-tuned topic branch, int8 ONNX",
        "",
        f"Trained {info.get('trained_at', '?')} by `parley train`. Regenerate with the command in "
        "docs/classifier.md; the same data and library versions give the same files.",
        "",
        "## What it is",
        f"- Base encoder: {manifest['source']}; {manifest['dim']}-d mean-pooled, L2-normalised "
        f"embedding (`embedding` output, unchanged by training). Max {manifest['max_length']} tokens.",
        f"- Topic branch: a copy of the encoder's layers {head.info['branch']['branch_at']}"
        "-5 fed by the frozen hidden states, fine-tuned with LoRA updates (merged into the "
        "weights at export) and trainable LayerNorms, mean pooling, linear layer -> `logits` "
        "(talks, de-escalation, security-guarantees). Trained weights: the head `.npz`.",
        f"- Precision: {manifest['precision']}. sha256 `{manifest['sha256']}`.",
        "- Scores: per-topic Platt calibration on dev (classifiers/heads/*.json), so a score is "
        "a probability; custom topics: zero-shot cosine to description + examples, one shared "
        "mapping fitted on dev.",
        f"- Library versions: {json.dumps(manifest['versions'])}.",
        f"- Hyper-parameters: {json.dumps(head.info['branch'])}.",
        "",
        "## Data",
    ]
    for split in ("train", "dev", "test"):
        d = info.get(split)
        if d:
            lines.append(
                f"- {split}: `{d['path']}`, {d['rows']} rows, counts {json.dumps(d['counts'])}."
            )
    lines += [
        "- Labels follow docs/LABEL_GUIDE.md. Dev is used for calibration and thresholds only; "
        "test was never used for any choice.",
        "",
        "## Suggested thresholds (from dev)",
        "",
        ", ".join(f"`{t}` {v:.2f}" for t, v in head.suggested_thresholds.items()),
        "",
        "## Dev metrics (calibration split, optimistic)",
        "",
        *_table(dev),
    ]
    if test is not None:
        lines += [
            "",
            "## Test metrics (held-out split, at the suggested thresholds)",
            "",
            *_table(test),
        ]
    if baseline is not None:
        lines += ["", "## Keyword baseline on the same test split", "", *_table(baseline)]
    lines += [
        "",
        "## Limits",
        "- English headline + lede only; texts past 128 tokens are truncated.",
        "- Trained on a few thousand rows; thresholds may need review on a new feed mix "
        "(`parley eval`).",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
