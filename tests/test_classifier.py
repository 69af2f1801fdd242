"""Behaviour of the topic classifier with the real bundled model (loaded once per session).

These check decisions on labelled examples, hard negatives included, never exact floats:
a retrained model must still pass them.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifiers import (
    CORE_TOPICS,
    ArtifactError,
    CustomTopic,
    TopicClassifier,
    flagged_topics,
    item_text,
    load_classifier,
    split_sentences,
)
from classifiers.classifier import BUNDLED_HEAD

ROOT = Path(__file__).resolve().parent.parent
PRISONERS = CustomTopic(
    key="prisoner-exchange",
    description="Warring parties exchange prisoners of war, detainees or hostages.",
    examples=(
        "Russia and Ukraine swap hundreds of prisoners of war in UAE-brokered exchange",
        "Armenia and Azerbaijan exchange detainees as a goodwill gesture",
    ),
)
HALF = dict.fromkeys(CORE_TOPICS, 0.5) | {"prisoner-exchange": 0.5}

POSITIVES = [
    ("Russian and Ukrainian delegations meet in Istanbul for a new round of peace talks. "
     "Negotiators discussed a ceasefire and the status of occupied regions.", "talks"),
    ("Qatar and Egypt mediators present Hamas and Israel with a new proposal for a hostage deal. "
     "Officials said negotiations would continue in Cairo.", "talks"),
    ("Ceasefire takes effect along the Israel-Lebanon border. Residents reported no shelling "
     "overnight as the truce held.", "de-escalation"),
    ("Russia says it will pull back troops from around Kyiv and Chernihiv. The defence ministry "
     "said the move was meant to build trust for talks.", "de-escalation"),
    ("Finland formally joins NATO, doubling the alliance's border with Russia. The accession "
     "ceremony took place in Brussels.", "security-guarantees"),
    ("UN Security Council renews the mandate of the peacekeeping mission in Lebanon for another "
     "year.", "security-guarantees"),
]  # fmt: skip

HARD_NEGATIVES = [
    "US and China resume trade talks as tariff truce nears expiry. Negotiators will meet in Geneva.",
    "Dockworkers' union and port operators hold talks with a federal labour mediator to end "
    "the strike.",
    "Government offers loan guarantees to struggling airlines. The credit scheme is worth $5bn.",
    "Cybersecurity firm warns of attacks on banks. Security researchers found a new ransomware.",
    "Striker agrees contract extension after talks with the club. The deal runs until 2027.",
    "Russian forces launch a new offensive in the east, shelling towns along the front line.",
    "Truce collapses as fighting resumes in Khartoum. Both sides accused each other of violating "
    "the ceasefire.",
]


@pytest.fixture(scope="session")
def classifier() -> TopicClassifier:
    return load_classifier(custom_topics=[PRISONERS])


def test_embed_is_normalised_batched_and_ordered(classifier: TopicClassifier) -> None:
    texts = ["Talks resume in Doha", "A much longer text about the weather " * 5, "Truce holds"]
    emb = classifier.embed(texts)
    assert emb.shape == (3, classifier.dim) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    single = classifier.embed(texts[2:])
    assert float(emb[2] @ single[0]) > 0.99  # int8 activations vary slightly with batch
    assert classifier.embed([]).shape == (0, classifier.dim)


def test_scores_cover_all_topics_and_are_probabilities(classifier: TopicClassifier) -> None:
    assert classifier.topics == (*CORE_TOPICS, "prisoner-exchange")
    (result,) = classifier.classify(["Leaders meet to discuss the war"])
    assert set(result.scores) == set(classifier.topics)
    assert all(0.0 <= s <= 1.0 for s in result.scores.values())
    assert result.embedding.shape == (classifier.dim,)


def test_bundled_head_is_trained() -> None:
    assert BUNDLED_HEAD.is_file()


@pytest.mark.parametrize(("text", "topic"), POSITIVES, ids=[t for _, t in POSITIVES])
def test_positives(classifier: TopicClassifier, text: str, topic: str) -> None:
    (result,) = classifier.classify([text], thresholds=HALF)
    assert result.scores[topic] >= 0.5, result.scores
    assert topic in result.evidence


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives(classifier: TopicClassifier, text: str) -> None:
    (result,) = classifier.classify([text], thresholds=HALF)
    assert flagged_topics(result.scores, dict.fromkeys(CORE_TOPICS, 0.5)) == [], result.scores


def test_thresholds_are_per_call(classifier: TopicClassifier) -> None:
    text = POSITIVES[2][0]
    strict = classifier.classify([text], thresholds=dict.fromkeys(CORE_TOPICS, 1.0))[0]
    loose = classifier.classify([text], thresholds=dict.fromkeys(CORE_TOPICS, 0.0))[0]
    assert strict.evidence == {}
    assert set(loose.evidence) == set(CORE_TOPICS)
    assert strict.scores == pytest.approx(loose.scores)


def test_evidence_is_the_supporting_sentence(classifier: TopicClassifier) -> None:
    text = (
        "Army and rebels agree ceasefire in the north. Heavy rain had flooded parts of the "
        "region on Friday. The truce takes effect at midnight, officials said."
    )
    (result,) = classifier.classify([text], thresholds={"de-escalation": 0.1, "talks": 1.0})
    assert result.scores["de-escalation"] >= 0.5
    assert set(result.evidence) == {"de-escalation"}
    assert "flooded" not in result.evidence["de-escalation"]


def test_custom_topic_zero_shot(classifier: TopicClassifier) -> None:
    swap, other = classifier.classify(
        [
            "Sudan's army and the RSF exchange 200 prisoners in a deal mediated by the Red Cross.",
            "Central bank raises interest rates to fight inflation.",
        ]
    )
    assert swap.scores["prisoner-exchange"] > 0.5 > other.scores["prisoner-exchange"]


def test_custom_topics_can_change_without_reloading(classifier: TopicClassifier) -> None:
    other = classifier.with_custom_topics(
        [CustomTopic("sanctions-relief", "Sanctions are lifted")]
    )
    assert other.encoder is classifier.encoder
    assert other.topics[-1] == "sanctions-relief"
    with pytest.raises(ValueError, match="core"):
        classifier.with_custom_topics([CustomTopic("talks", "dup")])


def test_empty_text_is_rejected(classifier: TopicClassifier) -> None:
    with pytest.raises(ValueError, match=r"texts\[1\]"):
        classifier.classify(["ok", "   "])


def test_flagged_topics_uses_given_thresholds() -> None:
    scores = {"talks": 0.9, "de-escalation": 0.6, "security-guarantees": 0.2}
    assert flagged_topics(scores, {"talks": 0.5, "de-escalation": 0.5}) == [
        "talks",
        "de-escalation",
    ]
    assert flagged_topics(scores, {"talks": 0.95}) == []


def test_item_text_and_sentences() -> None:
    assert item_text("Truce holds", "Guns fall silent.") == "Truce holds. Guns fall silent."
    assert item_text("Truce holds?", None) == "Truce holds?"
    assert item_text("Truce holds", "Truce holds in the north") == "Truce holds in the north"
    assert split_sentences("U.S. envoy arrives. Talks start Monday.") == [
        "U.S. envoy arrives.",
        "Talks start Monday.",
    ]


def test_hf_model_dir_needs_export(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ArtifactError, match="export"):
        load_classifier(tmp_path)


def test_runtime_never_imports_torch() -> None:
    code = (
        "import sys; from classifiers import load_classifier; "
        "load_classifier().classify(['Talks resume']); "
        "print(any(m in sys.modules for m in ('torch', 'transformers', 'bot', 'telegram')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"
