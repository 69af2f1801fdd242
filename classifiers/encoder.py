"""Text -> L2-normalised embedding (+ core-topic logits) with ONNX Runtime and `tokenizers`.

No torch here: importing this module costs ~0.1 s and the int8 model ~110 MB RSS.
Texts are sorted by token length before batching (padding only to the longest item in a
batch, as sentence-transformers does), and results come back in the caller's order.

The bundled graph has two outputs from one forward pass: `embedding` (the untouched
all-MiniLM-L6-v2 sentence embedding, for clustering and zero-shot topics) and `logits`
(the fine-tuned topic branch, see docs/classifier.md). A graph exported without training
has only `embedding`; `has_logits` tells which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from classifiers.artifact import MODEL_NAME, TOKENIZER_NAME, read_manifest

FloatArray = npt.NDArray[np.float32]
EMBEDDING = "embedding"
LOGITS = "logits"


def load_tokenizer(path: Path, max_length: int) -> Tokenizer:
    """Load tokenizer.json, padding to the longest item (the file ships fixed padding to 128)."""
    tokenizer = Tokenizer.from_file(str(path))
    pad_id = tokenizer.token_to_id("[PAD]")
    tokenizer.no_padding()
    tokenizer.enable_padding(
        pad_id=pad_id if pad_id is not None else 0,
        pad_token="[PAD]" if pad_id is not None else "<pad>",
    )
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def make_session(model_path: Path, threads: int) -> ort.InferenceSession:
    """One ORT session with a fixed intra-op thread count (1 inside the bot, see docs)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(
        str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
    )


@dataclass(frozen=True)
class Encoded:
    """Outputs for a list of texts, in input order; logits is None when not requested."""

    embeddings: FloatArray
    logits: FloatArray | None


class OnnxEncoder:
    """Batched encoder over an exported artefact directory. Thread-safe (ORT sessions are)."""

    def __init__(self, model_dir: Path, *, threads: int = 1, batch_size: int = 16) -> None:
        manifest = read_manifest(model_dir)
        self.model_dir = model_dir
        self.dim = manifest.dim
        self.max_length = manifest.max_length
        self.sha256 = manifest.sha256
        self.batch_size = max(1, batch_size)
        self.tokenizer = load_tokenizer(model_dir / TOKENIZER_NAME, manifest.max_length)
        self.session = make_session(model_dir / MODEL_NAME, threads)
        outputs = {o.name: o for o in self.session.get_outputs()}
        self.has_logits = LOGITS in outputs
        self.n_logits = int(outputs[LOGITS].shape[-1]) if self.has_logits else 0

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """(n, dim) float32, rows L2-normalised, in input order."""
        return self.encode(texts, logits=False).embeddings

    def encode(self, texts: Sequence[str], *, logits: bool = True) -> Encoded:
        """Embeddings and, if the graph has them and `logits`, the core-topic logits."""
        want_logits = logits and self.has_logits
        emb = np.zeros((len(texts), self.dim), dtype=np.float32)
        out_logits = np.zeros((len(texts), self.n_logits), dtype=np.float32)
        if texts:
            encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=True)
            names = [EMBEDDING, LOGITS] if want_logits else [EMBEDDING]
            for idx in self._batches(encodings):
                feeds = _feeds(encodings, idx)
                results = self.session.run(names, feeds)
                emb[idx] = results[0]
                if want_logits:
                    out_logits[idx] = results[1]
        return Encoded(emb, out_logits if want_logits else None)

    def _batches(self, encodings: Sequence[Encoding]) -> list[npt.NDArray[np.intp]]:
        lengths = np.array([sum(e.attention_mask) for e in encodings])
        order = np.argsort(-lengths, kind="stable")
        return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]


def _feeds(
    encodings: Sequence[Encoding], idx: npt.NDArray[np.intp]
) -> dict[str, npt.NDArray[np.int64]]:
    longest = max(sum(encodings[i].attention_mask) for i in idx)
    ids = np.array([encodings[i].ids[:longest] for i in idx], dtype=np.int64)
    mask = np.array([encodings[i].attention_mask[:longest] for i in idx], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": mask}
