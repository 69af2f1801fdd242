"""Parley's topic classifier: a small library that never imports `bot` or telegram.

Runtime needs only onnxruntime, tokenizers and numpy; torch/transformers are used by
`parley train` alone (the `train` extra). Typical use in the bot::

    clf = load_classifier(custom_topics=topics, threads=1)        # once per process
    results = await asyncio.to_thread(clf.classify, texts, thresholds=config_thresholds)
    flagged = flagged_topics(results[0].scores, config_thresholds)
"""

from __future__ import annotations

from classifiers.artifact import DEFAULT_ARTIFACT_DIR, ArtifactError
from classifiers.classifier import TopicClassifier, load_classifier
from classifiers.text import item_text, split_sentences
from classifiers.topics import (
    CORE_TOPICS,
    DEFAULT_THRESHOLD,
    CustomTopic,
    TopicResult,
    flagged_topics,
)

__all__ = [
    "CORE_TOPICS",
    "DEFAULT_ARTIFACT_DIR",
    "DEFAULT_THRESHOLD",
    "ArtifactError",
    "CustomTopic",
    "TopicClassifier",
    "TopicResult",
    "flagged_topics",
    "item_text",
    "load_classifier",
    "split_sentences",
]
