"""The classify stage: NEW items → scores, evidence, embedding, CLASSIFIED; failures isolated.

The stand-in classifier embeds with the real bundled encoder and scores by keywords, so this
tests the stage (batching, storage, failure handling) independently of the model's quality.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Item, ItemScore, ItemState, Source
from bot.pipeline.classify import classifier_input, classify_new_items
from classifiers.artifact import DEFAULT_ARTIFACT_DIR
from classifiers.encoder import OnnxEncoder

Maker = async_sessionmaker[AsyncSession]
THRESHOLDS = {"talks": 0.5, "de-escalation": 0.5, "security-guarantees": 0.5}
KEYWORDS = {
    "talks": re.compile(r"\btalks|negotiat", re.I),
    "de-escalation": re.compile(r"ceasefire|truce|scale back|pull back", re.I),
    "security-guarantees": re.compile(r"guarantee", re.I),
}


@dataclass(frozen=True)
class Result:
    scores: dict[str, float]
    evidence: dict[str, str]
    embedding: npt.NDArray[np.float32] = field(repr=False)


class KeywordClassifier:
    def __init__(self, encoder: OnnxEncoder, *, broken: bool = False) -> None:
        self.encoder, self.broken = encoder, broken
        self.calls: list[int] = []

    def classify(
        self, texts: Sequence[str], *, thresholds: Mapping[str, float] | None = None
    ) -> list[Result]:
        self.calls.append(len(texts))
        if self.broken:
            raise RuntimeError("model file vanished")
        if any("UNUSABLE" in t for t in texts):
            raise ValueError("text is unusable")
        vectors = self.encoder.embed(list(texts))
        out = []
        for text, vector in zip(texts, vectors, strict=True):
            scores = {k: 0.9 if p.search(text) else 0.1 for k, p in KEYWORDS.items()}
            limit = thresholds or {}
            evidence = {k: text for k, s in scores.items() if s >= limit.get(k, 0.5)}
            out.append(Result(scores, evidence, vector))
        return out


@pytest.fixture(scope="module")
def encoder() -> Iterator[OnnxEncoder]:
    yield OnnxEncoder(DEFAULT_ARTIFACT_DIR)


async def add_items(maker: Maker, titles: Sequence[str]) -> list[int]:
    async with maker.begin() as session:
        source = Source(name="Wire", kind="file", url="wire.xml")
        session.add(source)
        await session.flush()
        items = [
            Item(
                source_id=source.id, fingerprint=hashlib.sha256(f"{n}{t}".encode()).hexdigest(),
                title=t, summary="", published_at=datetime(2026, 2, 17, 12, n % 60, tzinfo=UTC),
            )
            for n, t in enumerate(titles)
        ]  # fmt: skip
        session.add_all(items)
        await session.flush()
        return [item.id for item in items]


async def states(maker: Maker) -> list[ItemState]:
    async with maker() as session:
        return list((await session.execute(select(Item.state).order_by(Item.id))).scalars())


async def test_new_items_get_scores_evidence_and_embedding(
    sessionmaker: Maker, encoder: OnnxEncoder
) -> None:
    ids = await add_items(
        sessionmaker,
        ["Russia and Ukraine resume peace talks in Istanbul", "Jesse Jackson dies aged 84"],
    )
    report = await classify_new_items(sessionmaker, KeywordClassifier(encoder), THRESHOLDS)
    assert (report.classified, report.failed, report.batches, report.error) == (2, 0, 1, None)
    async with sessionmaker() as session:
        scores = {
            (s.item_id, s.topic): (s.score, s.evidence)
            for s in (await session.execute(select(ItemScore))).scalars()
        }
        items = list((await session.execute(select(Item).order_by(Item.id))).scalars())
    assert scores[(ids[0], "talks")] == (0.9, "Russia and Ukraine resume peace talks in Istanbul")
    assert scores[(ids[0], "de-escalation")] == (0.1, None)
    assert scores[(ids[1], "talks")] == (0.1, None)
    assert len(scores) == 6  # every topic's score is kept, for threshold reviews
    for item in items:
        assert item.state == ItemState.CLASSIFIED
        assert item.embedding is not None
        vector = np.frombuffer(item.embedding, dtype=np.float32)
        assert vector.shape == (384,)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3


async def test_limit_and_batches(
    sessionmaker: Maker, encoder: OnnxEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.pipeline.classify.BATCH_SIZE", 2)
    await add_items(sessionmaker, [f"Ceasefire talks round {n}" for n in range(5)])
    classifier = KeywordClassifier(encoder)
    report = await classify_new_items(sessionmaker, classifier, THRESHOLDS, limit=3)
    assert (report.classified, report.batches) == (3, 2)
    assert classifier.calls == [2, 1]
    assert await states(sessionmaker) == [ItemState.CLASSIFIED] * 3 + [ItemState.NEW] * 2
    again = await classify_new_items(sessionmaker, classifier, THRESHOLDS)
    assert again.classified == 2
    assert await states(sessionmaker) == [ItemState.CLASSIFIED] * 5


async def test_one_bad_item_fails_alone(sessionmaker: Maker, encoder: OnnxEncoder) -> None:
    await add_items(sessionmaker, ["Truce holds in the east", "UNUSABLE text", "", "Talks resume"])
    report = await classify_new_items(sessionmaker, KeywordClassifier(encoder), THRESHOLDS)
    assert (report.classified, report.failed) == (2, 2)
    assert await states(sessionmaker) == [
        ItemState.CLASSIFIED, ItemState.FAILED, ItemState.FAILED, ItemState.CLASSIFIED,
    ]  # fmt: skip


async def test_broken_classifier_loses_nothing(sessionmaker: Maker, encoder: OnnxEncoder) -> None:
    await add_items(sessionmaker, ["Truce holds in the east", "Talks resume"])
    report = await classify_new_items(
        sessionmaker, KeywordClassifier(encoder, broken=True), THRESHOLDS
    )
    assert report.error == "RuntimeError: model file vanished"
    assert (report.classified, report.failed) == (0, 0)
    assert await states(sessionmaker) == [ItemState.NEW, ItemState.NEW]
    healed = await classify_new_items(sessionmaker, KeywordClassifier(encoder), THRESHOLDS)
    assert healed.classified == 2


def test_classifier_input_uses_the_body_when_there_is_no_summary() -> None:
    item = Item(title="Talks resume", summary="", content="Delegations met in Geneva.\n\nMore.")
    assert classifier_input(item) == "Talks resume. Delegations met in Geneva. More."
