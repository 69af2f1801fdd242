"""New items → topic scores, evidence and an embedding (``state=classified``).

Inference is CPU work, so each batch runs in ``asyncio.to_thread`` and the event loop keeps
serving Telegram meanwhile. Every batch is its own transaction: a crash loses at most the batch in
flight, whose items are still ``new`` and are picked up by the next cycle. An item the model
cannot handle is marked ``failed`` on its own, without holding back the rest of its batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Item, ItemScore, ItemState
from classifiers.text import item_text

_LOGGER = logging.getLogger(__name__)

BATCH_SIZE = 64


class ClassifiedText(Protocol):
    """The part of ``classifiers.TopicResult`` this stage stores."""

    @property
    def scores(self) -> Mapping[str, float]: ...
    @property
    def evidence(self) -> Mapping[str, str]: ...
    @property
    def embedding(self) -> npt.NDArray[np.float32]: ...


class Classifier(Protocol):
    """What this stage needs from ``classifiers.TopicClassifier``."""

    def classify(
        self, texts: Sequence[str], *, thresholds: Mapping[str, float] | None = ...
    ) -> Sequence[ClassifiedText]: ...


@dataclass
class ClassifyReport:
    classified: int = 0
    failed: int = 0
    batches: int = 0
    seconds: float = 0.0
    error: str | None = None  # the classifier itself failed; the batch stays NEW for next cycle


class _ClassifierDownError(Exception):
    """The model fails on single, valid texts: a broken model, not a bad item."""


def classifier_input(item: Item) -> str:
    """Headline + lede, as the classifier was trained; the article body stands in for a lede."""
    lede = item.summary or (item.content or "")[:1200]
    return item_text(item.title, lede)


async def classify_new_items(
    sessionmaker: async_sessionmaker[AsyncSession],
    classifier: Classifier,
    thresholds: Mapping[str, float],
    *,
    limit: int = 500,
) -> ClassifyReport:
    """Classify up to ``limit`` NEW items, oldest first, committing after every batch."""
    started = time.perf_counter()
    report = ClassifyReport()
    while report.classified + report.failed < limit:
        size = min(BATCH_SIZE, limit - report.classified - report.failed)
        before = (report.classified, report.failed)
        try:
            async with sessionmaker.begin() as session:
                items = (
                    (
                        await session.execute(
                            select(Item)
                            .where(Item.state == ItemState.NEW)
                            .order_by(Item.id)
                            .limit(size)
                        )
                    )
                    .scalars()
                    .all()
                )
                if not items:
                    break
                await _classify_batch(session, classifier, thresholds, items, report)
        except _ClassifierDownError as exc:
            _LOGGER.error("classifier unavailable, items stay new: %s", exc)
            report.error = str(exc)
            report.classified, report.failed = before  # the batch was rolled back
            break
        report.batches += 1
    report.seconds = time.perf_counter() - started
    return report


async def _classify_batch(
    session: AsyncSession,
    classifier: Classifier,
    thresholds: Mapping[str, float],
    items: Sequence[Item],
    report: ClassifyReport,
) -> None:
    texts = [classifier_input(item) for item in items]
    todo = []
    for item, text in zip(items, texts, strict=True):
        if text.strip():
            todo.append((item, text))
        else:  # nothing to classify: no headline, no summary, no body
            item.state = ItemState.FAILED
            report.failed += 1
    if not todo:
        return
    try:
        results = list(
            await asyncio.to_thread(
                classifier.classify, [t for _, t in todo], thresholds=dict(thresholds)
            )
        )
        if len(results) != len(todo):
            raise ValueError(f"classifier returned {len(results)} results for {len(todo)}")
    except Exception as exc:  # one bad text must not sink the batch: retry one by one
        _LOGGER.warning("classifier failed on a batch of %d (%s); retrying singly", len(todo), exc)
        results = []
        for item, text in todo:
            try:
                (result,) = await asyncio.to_thread(
                    classifier.classify, [text], thresholds=dict(thresholds)
                )
            except ValueError as item_exc:  # the classifier's word for "this text is unusable"
                _LOGGER.warning("item %s cannot be classified: %s", item.id, item_exc)
                item.state = ItemState.FAILED
                report.failed += 1
                continue
            except Exception as item_exc:
                raise _ClassifierDownError(f"{type(item_exc).__name__}: {item_exc}") from item_exc
            _store(session, item, result)
            report.classified += 1
        return
    for (item, _), result in zip(todo, results, strict=True):
        _store(session, item, result)
        report.classified += 1


def _store(session: AsyncSession, item: Item, result: ClassifiedText) -> None:
    for topic, score in result.scores.items():
        session.add(
            ItemScore(
                item_id=item.id,
                topic=topic,
                score=float(score),
                evidence=result.evidence.get(topic),
            )
        )
    item.embedding = np.asarray(result.embedding, dtype=np.float32).tobytes()
    item.state = ItemState.CLASSIFIED
