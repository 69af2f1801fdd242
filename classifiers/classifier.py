"""The classifier the bot holds: scores, evidence and embeddings from one forward pass.

Blocking and CPU-bound: the bot calls `classify` through `asyncio.to_thread`. The encoder
(ONNX session + tokenizer) is cached per process by `load_classifier`, so reloading the
config (new custom topics) rebuilds only the cheap prototype vectors.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from classifiers.artifact import DEFAULT_ARTIFACT_DIR, HEADS_DIR, ArtifactError
from classifiers.encoder import OnnxEncoder
from classifiers.head import DEFAULT_ZERO_SHOT, HEAD_NAME, HeadFile, calibrate
from classifiers.prototypes import CORE_AS_CUSTOM, Prototype, build_prototypes, raw_similarity
from classifiers.text import split_sentences
from classifiers.topics import CORE_TOPICS, CustomTopic, TopicResult, threshold_for

_LOGGER = logging.getLogger(__name__)
BUNDLED_HEAD = HEADS_DIR / "core-v1.json"

F64 = npt.NDArray[np.float64]


class TopicClassifier:
    """Core topics from the trained branch, custom topics zero-shot, one shared encoder."""

    def __init__(
        self,
        encoder: OnnxEncoder,
        head: HeadFile | None,
        custom_topics: Sequence[CustomTopic] = (),
    ) -> None:
        keys = [t.key for t in custom_topics]
        clash = sorted(set(keys) & set(CORE_TOPICS)) or sorted(
            {k for k in keys if keys.count(k) > 1}
        )
        if clash:
            raise ValueError(f"custom topic keys must be unique and not core topics: {clash}")
        self.encoder = encoder
        self.head = head if head is not None and encoder.has_logits else None
        self.custom_topics = tuple(custom_topics)
        self.topics: tuple[str, ...] = CORE_TOPICS + tuple(keys)
        self.dim: int = encoder.dim
        zero_shot = list(custom_topics)
        if self.head is None:
            # No trained branch for this encoder: score the core topics zero-shot as well.
            _LOGGER.warning(
                "no trained head for %s; core topics scored zero-shot", encoder.model_dir
            )
            zero_shot = list(CORE_AS_CUSTOM) + zero_shot
        self._prototypes: list[Prototype] = build_prototypes(zero_shot, encoder.embed)

    def with_custom_topics(self, custom_topics: Sequence[CustomTopic]) -> TopicClassifier:
        """Same encoder and head, new custom topics (after a config reload)."""
        return TopicClassifier(self.encoder, self.head, custom_topics)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """(n, dim) float32, L2-normalised, batched; the vectors used for story clustering."""
        return self.encoder.embed(list(texts))

    def classify(
        self, texts: Sequence[str], *, thresholds: Mapping[str, float] | None = None
    ) -> list[TopicResult]:
        """Scores for every topic, plus evidence for topics at or above their threshold.

        Raises ValueError if any text is empty or blank (the caller decides what to skip).
        """
        texts = list(texts)
        for i, text in enumerate(texts):
            if not text.strip():
                raise ValueError(f"texts[{i}] is empty")
        encoded = self.encoder.encode(texts, logits=self.head is not None)
        scores = self._scores(encoded.embeddings, encoded.logits)
        rows = [{t: float(scores[t][i]) for t in self.topics} for i in range(len(texts))]
        evidence = self._evidence(texts, rows, thresholds)
        return [
            TopicResult(scores=row, evidence=ev, embedding=encoded.embeddings[i].copy())
            for i, (row, ev) in enumerate(zip(rows, evidence, strict=True))
        ]

    def _scores(
        self, emb: npt.NDArray[np.float32], logits: npt.NDArray[np.float32] | None
    ) -> dict[str, F64]:
        out: dict[str, F64] = {}
        if self.head is not None and logits is not None:
            out.update(calibrate(self.head, logits))
        mapping = self.head.zero_shot if self.head is not None else DEFAULT_ZERO_SHOT
        for proto in self._prototypes:
            out[proto.key] = mapping(raw_similarity(proto, emb))
        return out

    def _evidence(
        self,
        texts: Sequence[str],
        rows: Sequence[Mapping[str, float]],
        thresholds: Mapping[str, float] | None,
    ) -> list[dict[str, str]]:
        """Per item, per flagged topic, the sentence with the highest score for that topic.

        Only flagged items with several sentences cost an extra (sentence-level) pass, and
        flagged items are a few percent of a feed.
        """
        evidence: list[dict[str, str]] = [{} for _ in texts]
        pending: list[tuple[int, list[str], list[str]]] = []
        for i, (text, row) in enumerate(zip(texts, rows, strict=True)):
            flagged = [t for t in self.topics if row[t] >= threshold_for(t, thresholds)]
            if not flagged:
                continue
            sentences = split_sentences(text)
            if len(sentences) <= 1:
                evidence[i] = {t: sentences[0] if sentences else text.strip() for t in flagged}
            else:
                pending.append((i, flagged, sentences))
        if pending:
            flat = [s for _, _, sentences in pending for s in sentences]
            encoded = self.encoder.encode(flat, logits=self.head is not None)
            sent_scores = self._scores(encoded.embeddings, encoded.logits)
            offset = 0
            for i, flagged, sentences in pending:
                span = slice(offset, offset + len(sentences))
                evidence[i] = {t: sentences[int(np.argmax(sent_scores[t][span]))] for t in flagged}
                offset += len(sentences)
        return evidence


@functools.lru_cache(maxsize=4)
def _cached_encoder(model_dir: Path, threads: int, batch_size: int) -> OnnxEncoder:
    return OnnxEncoder(model_dir, threads=threads, batch_size=batch_size)


def load_head(model_dir: Path, encoder: OnnxEncoder) -> HeadFile | None:
    """The head for this artefact: `head.json` inside it, else the bundled one if it matches."""
    own = model_dir / HEAD_NAME
    candidates = [own] if own.is_file() else []
    if model_dir.resolve() == DEFAULT_ARTIFACT_DIR.resolve() or not candidates:
        candidates.append(BUNDLED_HEAD)
    for path in candidates:
        if not path.is_file():
            continue
        head = HeadFile.load(path)
        if head.encoder_sha256 and head.encoder_sha256 != encoder.sha256:
            if path == own:  # the bundled head is only a fallback; silence is normal there
                _LOGGER.warning("head %s was calibrated for another model; ignored", path)
            continue
        if encoder.n_logits != len(head.topics):
            continue
        return head
    return None


def load_classifier(
    model_dir: Path | None = None,
    *,
    custom_topics: Sequence[CustomTopic] = (),
    threads: int = 1,
    batch_size: int = 16,
) -> TopicClassifier:
    """Load (once per process) the encoder and head, and set up custom topics.

    model_dir None -> the bundled int8 artefact. A plain Hugging Face model dir must be
    exported first (`parley train --export-only --model-dir DIR --out OUT`); pointing at
    one raises ArtifactError saying so.
    """
    resolved = (model_dir or DEFAULT_ARTIFACT_DIR).expanduser().resolve()
    encoder = _cached_encoder(resolved, threads, batch_size)
    try:
        head = load_head(resolved, encoder)
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"head file for {resolved} is malformed: {exc}") from exc
    return TopicClassifier(encoder, head, custom_topics)
