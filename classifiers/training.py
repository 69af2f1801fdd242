"""`parley train`: fine-tune the topic branch, export int8, calibrate on dev, write the card.

Order matters: calibration and suggested thresholds are fitted on the *exported int8*
outputs for the dev split, so they describe the model the bot actually runs. The test
split is only scored, after everything is fixed, for the model card.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.artifact import CARD_NAME, DEFAULT_ARTIFACT_DIR
from classifiers.augment import swap_countries
from classifiers.baseline import keyword_scores
from classifiers.card import write_model_card
from classifiers.data import Example, label_matrix, load_examples
from classifiers.encoder import OnnxEncoder
from classifiers.export import check_source_dir
from classifiers.finetune import (
    BranchConfig,
    build_model,
    frozen_hidden,
    member_seeds,
    seed_everything,
    train_branch,
    trained_state,
)
from classifiers.head import HEAD_NAME, HeadFile, calibrate, fit_platt
from classifiers.metrics import Report, evaluate
from classifiers.prototypes import CORE_AS_CUSTOM, build_prototypes, raw_similarity
from classifiers.topics import CORE_TOPICS
from classifiers.weights import ensemble_state, export_trained, save_weights

BUNDLED_HEAD_PATH = Path(__file__).resolve().parent / "heads" / "core-v1.json"
MIN_PRECISION_FOR_THRESHOLD = 0.85


@dataclass(frozen=True)
class TrainResult:
    out_dir: Path
    head_path: Path
    head: HeadFile
    test_report: Report | None
    baseline_report: Report | None


def default_head_path(out_dir: Path) -> Path:
    if out_dir.resolve() == DEFAULT_ARTIFACT_DIR.resolve():
        return BUNDLED_HEAD_PATH
    return out_dir / HEAD_NAME


THRESHOLD_GRID = np.round(np.arange(0.30, 0.901, 0.05), 2)
BOOTSTRAP_ROUNDS = 200


def suggest_threshold(y: np.ndarray[Any, Any], p: np.ndarray[Any, Any]) -> float:
    """The 0.05-step threshold in [0.3, 0.9] closest to 0.5 among those whose bootstrap-mean
    precision is >= 0.85 and whose bootstrap-mean F1 is within one bootstrap standard
    deviation of the best such F1; 0.9 when none reaches the precision.

    Scores are calibrated, so 0.5 ("more likely than not") is the default; dev moves the
    threshold only when it shows a real difference. The plain best-F1 point does not: on
    a dev of 100-200 positives per topic F1 is flat over a wide range (de-escalation
    0.878-0.885 from 0.30 to 0.65, bootstrap s.d. 0.018), and the same weights recalibrated
    on another CPU (int8 rounds differently without VNNI) moved its pick from 0.50 to 0.60.
    The admin fine-tunes the threshold with `parley eval`.
    """
    labels = np.asarray(y, dtype=bool)
    scores = np.asarray(p, dtype=np.float64)
    rng = np.random.default_rng(0)  # fixed: the same dev scores always give the same choice
    draws = rng.integers(0, len(labels), size=(BOOTSTRAP_ROUNDS, len(labels)))
    positive = labels[draws][:, :, None]
    flagged = scores[draws][:, :, None] >= THRESHOLD_GRID[None, None, :]
    tp = (flagged & positive).sum(axis=1)
    n_flagged = flagged.sum(axis=1)
    n_pos = positive.sum(axis=1)
    precision = np.where(n_flagged > 0, tp / np.maximum(n_flagged, 1), 1.0).mean(axis=0)
    f1 = 2 * tp / np.maximum(n_flagged + n_pos, 1)
    ok = precision >= MIN_PRECISION_FOR_THRESHOLD
    if not ok.any():
        return 0.9
    mean_f1 = np.where(ok, f1.mean(axis=0), -1.0)
    best = int(np.argmax(mean_f1))
    near = ok & (mean_f1 >= mean_f1[best] - f1[:, best].std())
    # closest to 0.5; of two equally close, the higher (fewer false alerts)
    distance = np.abs(THRESHOLD_GRID - 0.5) - THRESHOLD_GRID * 1e-6
    return float(THRESHOLD_GRID[int(np.argmin(np.where(near, distance, np.inf)))])


def _labels(examples: list[Example]) -> dict[str, np.ndarray[Any, Any]]:
    y = label_matrix(examples, CORE_TOPICS)
    return {t: y[:, j] for j, t in enumerate(CORE_TOPICS)}


def train(
    train_path: Path,
    dev_path: Path,
    *,
    test_path: Path | None = None,
    source_dir: Path | None = None,
    out_dir: Path = DEFAULT_ARTIFACT_DIR,
    head_path: Path | None = None,
    config: BranchConfig | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> TrainResult:
    src = check_source_dir(source_dir)
    config = config or BranchConfig()
    seed_everything(config.seed, config.threads)
    train_ex = load_examples(train_path)
    load_examples(dev_path)  # fail before an hour of training, not after
    log(f"train {len(train_ex)} rows")

    labels = label_matrix(train_ex, CORE_TOPICS)[[i for i, _ in seen_rows(train_ex)]]
    views: list[list[Any]] | None = None
    states, losses = [], []
    for seed in member_seeds(config):
        member = replace(config, seed=seed)
        seed_everything(seed, config.threads)
        model = build_model(src, len(CORE_TOPICS), member)
        if views is None:  # the frozen bottom is the same for every member
            views = training_views(model, src, train_ex, config)
        losses.append(train_branch(model, views, labels, member))
        log(f"seed {seed} epoch losses: " + ", ".join(f"{x:.4f}" for x in losses[-1]))
        states.append(trained_state(model))
        del model
    target_head = head_path or default_head_path(out_dir)
    weights = target_head.with_suffix(".npz")
    save_weights(weights, ensemble_state(states))
    export = export_trained(weights, out_dir, config=config, topics=CORE_TOPICS, source_dir=src)
    log(f"wrote {out_dir} ({export.size_bytes / 1e6:.1f} MB, sha256 {export.sha256[:12]})")

    return calibrate_artifact(
        out_dir,
        dev_path,
        test_path=test_path,
        head_path=target_head,
        config=config,
        extra_info={
            "trained_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "train": _describe(train_path, train_ex),
            "epoch_losses": [[round(x, 5) for x in member] for member in losses]
            if len(losses) > 1
            else [round(x, 5) for x in losses[0]],
        },
    )


def seen_rows(examples: list[Example]) -> list[tuple[int, int]]:
    """(row, copy) for every time training sees a row in one epoch: k times for weight k."""
    return [(i, copy) for i, e in enumerate(examples) for copy in range(e.weight)]


def training_views(
    model: Any, source_dir: Path, examples: list[Example], config: BranchConfig
) -> list[list[Any]]:
    """Hidden states per epoch view: 1 + config.name_swaps lists, one entry per row *seen*.

    A row of weight k is seen k times per epoch; its hidden states are shared, not copied.
    With name swaps, view v shows copy c of row i as variant (v + c) mod (1 + swaps), so the
    k copies of an up-weighted row are different texts within one epoch, and every row is
    seen in its original wording in some epoch.
    """
    n_variants = 1 + config.name_swaps
    variants = [
        [e.text]
        + [
            swap_countries(e.text, random.Random(f"{config.seed}:{i}:{k}"))  # noqa: S311 - augmentation, not secrecy
            for k in range(1, n_variants)
        ]
        for i, e in enumerate(examples)
    ]
    unique = list(dict.fromkeys(t for row in variants for t in row))
    hidden = dict(
        zip(unique, frozen_hidden(model, source_dir, unique, config.max_length), strict=True)
    )
    seen = seen_rows(examples)
    return [
        [hidden[variants[i][(view + copy) % n_variants]] for i, copy in seen]
        for view in range(n_variants)
    ]


def calibrate_artifact(
    out_dir: Path,
    dev_path: Path,
    *,
    test_path: Path | None = None,
    head_path: Path | None = None,
    config: BranchConfig | None = None,
    extra_info: dict[str, Any] | None = None,
) -> TrainResult:
    """Fit calibration + thresholds on dev with the int8 outputs; score test; write head + card.

    Runs without torch, so a re-calibration (new dev data) needs no retraining:
    `parley train --calibrate-only`.
    """
    target_head = head_path or default_head_path(out_dir)
    previous = HeadFile.load(target_head) if target_head.is_file() else None
    info: dict[str, Any] = dict(previous.info) if previous else {}
    info.update(extra_info or {})
    if config is not None:
        info["branch"] = asdict(config)
    dev_ex = load_examples(dev_path)
    test_ex = load_examples(test_path) if test_path is not None else None

    encoder = OnnxEncoder(out_dir, threads=2, batch_size=16)
    dev = encoder.encode([e.text for e in dev_ex])
    if dev.logits is None:
        raise RuntimeError(f"{out_dir} has no logits output; train it first")
    dev_y = _labels(dev_ex)
    platt = {t: fit_platt(dev.logits[:, j], dev_y[t]) for j, t in enumerate(CORE_TOPICS)}
    zero_shot = _fit_zero_shot(encoder, dev.embeddings, dev_y)
    head = HeadFile(topics=CORE_TOPICS, platt=platt, zero_shot=zero_shot)
    dev_p = calibrate(head, dev.logits)
    thresholds = {t: suggest_threshold(dev_y[t], dev_p[t]) for t in CORE_TOPICS}
    dev_report = evaluate(dev_y, dev_p, thresholds)

    test_report = baseline_report = None
    if test_ex is not None:
        test = encoder.encode([e.text for e in test_ex])
        if test.logits is None:
            raise RuntimeError(f"{out_dir} has no logits output; train it first")
        test_y = _labels(test_ex)
        test_report = evaluate(test_y, calibrate(head, test.logits), thresholds)
        kw = keyword_scores([e.text for e in test_ex])
        baseline_report = evaluate(test_y, kw, dict.fromkeys(CORE_TOPICS, 0.5))

    info.update(
        {
            "calibrated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "dev": _describe(dev_path, dev_ex),
            "test": _describe(test_path, test_ex) if test_path and test_ex else None,
            "dev_metrics": _summary(dev_report),
            "test_metrics": _summary(test_report) if test_report else None,
            "keyword_baseline_test": _summary(baseline_report) if baseline_report else None,
        }
    )
    info.setdefault("trained_at", info["calibrated_at"])
    head = HeadFile(
        topics=CORE_TOPICS,
        platt=platt,
        zero_shot=zero_shot,
        encoder_sha256=encoder.sha256,
        suggested_thresholds=thresholds,
        info=info,
    )
    head.save(target_head)
    write_model_card(out_dir / CARD_NAME, head, dev_report, test_report, baseline_report)
    return TrainResult(out_dir, target_head, head, test_report, baseline_report)


def _fit_zero_shot(
    encoder: OnnxEncoder, emb: np.ndarray[Any, Any], y: dict[str, np.ndarray[Any, Any]]
) -> Any:
    """One cosine -> probability mapping, fitted with the core topics posing as custom ones."""
    protos = build_prototypes(CORE_AS_CUSTOM, encoder.embed)
    sims = np.concatenate([raw_similarity(p, emb) for p in protos])
    labels = np.concatenate([y[p.key] for p in protos])
    return fit_platt(sims, labels)


def _describe(path: Path, examples: list[Example] | None) -> dict[str, Any]:
    examples = examples or []
    counts = {t: sum(t in e.labels for e in examples) for t in CORE_TOPICS}
    counts["none"] = sum(not e.labels for e in examples)
    return {"path": str(path), "rows": len(examples), "counts": counts}


def _summary(report: Report) -> dict[str, Any]:
    return {
        "macro_f1": round(report.macro_f1, 4),
        "micro_f1": round(report.micro_f1, 4),
        "none_fp_rate": round(report.none_false_positive_rate, 4),
        "topics": {
            m.topic: {
                "threshold": m.threshold,
                "precision": round(m.precision, 4),
                "recall": round(m.recall, 4),
                "f1": round(m.f1, 4),
                "ap": round(m.average_precision, 4),
                "support": m.support,
            }
            for m in report.topics
        },
    }
