"""Reading labelled JSON Lines: {"text", "labels"} or {"title", "summary", "labels"}."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.text import item_text


class DataError(ValueError):
    """A labelled file is unreadable or a row is malformed (message names file and line)."""


@dataclass(frozen=True)
class Example:
    text: str
    labels: frozenset[str]
    id: str = ""
    weight: int = 1
    """How many times training sees the row per epoch (oversampling); 1 elsewhere."""


def record_text(record: Any) -> str:
    """The classifier input for one JSON record; raises ValueError when there is none."""
    if not isinstance(record, dict):
        raise ValueError("record is not a JSON object")
    text = record.get("text")
    if text is None and ("title" in record or "summary" in record):
        title, summary = record.get("title") or "", record.get("summary")
        if not isinstance(title, str) or not isinstance(summary, str | None):
            raise ValueError("title and summary must be strings")
        text = item_text(title, summary)
    if not isinstance(text, str):
        raise ValueError('record needs a "text" string (or "title"/"summary")')
    if not text.strip():
        raise ValueError("text is empty")
    return text


def load_examples(path: Path) -> list[Example]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record_text(record)
            labels = record.get("labels")
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise ValueError('"labels" must be a list of topic keys')
            weight = record.get("weight", 1)
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
                raise ValueError('"weight" must be a whole number >= 1')
        except ValueError as exc:
            raise DataError(f"{path}:{number}: {exc}") from exc
        examples.append(Example(text, frozenset(labels), str(record.get("id", number)), weight))
    if not examples:
        raise DataError(f"{path} has no examples")
    return examples


def label_matrix(examples: Sequence[Example], topics: Iterable[str]) -> npt.NDArray[np.float32]:
    keys = list(topics)
    return np.array([[t in ex.labels for t in keys] for ex in examples], dtype=np.float32)
