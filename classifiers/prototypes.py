"""Zero-shot topic scoring from a description and example phrases (custom topics).

A topic becomes a set of prototype vectors: the embedding of its description and of each
example. An item's raw score is the mean of (a) its cosine to the description and (b) its
best cosine to any example; with no description or no examples the other term is used
alone. The same embedding as story clustering is used, so no extra model is loaded.

The built-in descriptions below are the core topics written as an admin would write a
custom topic. They serve two purposes: fitting the shared cosine -> probability mapping
on dev (the core topics play the role of custom ones), and scoring the core topics when
an artefact has no trained branch (e.g. an exported model that was never trained).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from classifiers.topics import CustomTopic

FloatArray = npt.NDArray[np.float32]

CORE_AS_CUSTOM: tuple[CustomTopic, ...] = (
    CustomTopic(
        key="talks",
        description=(
            "Diplomatic negotiations, peace talks, mediation or a summit between governments "
            "or armed groups about ending a war, conflict or interstate dispute."
        ),
        examples=(
            "Delegations meet in Istanbul for a new round of peace talks",
            "Mediators propose a ceasefire plan to both warring sides",
            "Envoy holds talks with rebel leaders on ending the conflict",
            "Security Council votes on a resolution about the war",
        ),
    ),
    CustomTopic(
        key="de-escalation",
        description=(
            "A ceasefire, truce, troop withdrawal, prisoner exchange or other step by warring "
            "parties that reduces fighting or military tension."
        ),
        examples=(
            "Truce takes effect and guns fall silent along the front line",
            "Army announces withdrawal of troops from the border area",
            "Warring sides exchange prisoners of war in a goodwill gesture",
            "Both sides agree to a humanitarian pause and evacuation corridor",
        ),
    ),
    CustomTopic(
        key="security-guarantees",
        description=(
            "Security guarantees, defence pacts, alliance membership such as joining NATO, "
            "neutrality or peacekeeping forces that protect a state after a conflict."
        ),
        examples=(
            "Allies offer security guarantees to protect the country after a peace deal",
            "Parliament ratifies the country's accession to NATO",
            "UN extends the mandate of its peacekeeping mission",
            "Leader says his country would defend its ally if attacked",
        ),
    ),
)


@dataclass(frozen=True)
class Prototype:
    """Embedded description (or None) and embedded examples (k, dim) of one topic."""

    key: str
    description: FloatArray | None
    examples: FloatArray | None


def build_prototypes(
    topics: Sequence[CustomTopic], embed: Callable[[Sequence[str]], FloatArray]
) -> list[Prototype]:
    """Embed every topic's description and examples in one batch."""
    texts: list[str] = []
    spans: list[tuple[int, int, int]] = []
    for topic in topics:
        start = len(texts)
        has_desc = bool(topic.description.strip())
        if has_desc:
            texts.append(topic.description.strip())
        texts.extend(e.strip() for e in topic.examples if e.strip())
        spans.append((start, int(has_desc), len(texts)))
    vectors = embed(texts) if texts else np.zeros((0, 0), dtype=np.float32)
    protos = []
    for topic, (start, n_desc, end) in zip(topics, spans, strict=True):
        desc = vectors[start] if n_desc else None
        ex = vectors[start + n_desc : end]
        protos.append(Prototype(topic.key, desc, ex if len(ex) else None))
    return protos


def raw_similarity(proto: Prototype, emb: FloatArray) -> npt.NDArray[np.float64]:
    """(n, dim) normalised embeddings -> (n,) raw zero-shot score in [-1, 1]."""
    terms = []
    if proto.description is not None:
        terms.append(emb @ proto.description)
    if proto.examples is not None:
        terms.append((emb @ proto.examples.T).max(axis=1))
    stacked = np.vstack(terms).astype(np.float64)
    return np.asarray(stacked.mean(axis=0), dtype=np.float64)
