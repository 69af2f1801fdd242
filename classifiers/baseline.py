"""Keyword baseline: what a careful regex filter achieves, to show what the model adds.

Each topic has trigger patterns; a few *veto* patterns for the commonest other-domain
uses (trade talks, loan guarantees, cybersecurity...) remove a hit. Score = 1.0 on a
hit, else 0.0, so any threshold in (0, 1] gives the same result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from classifiers.topics import CORE_TOPICS

_TRIGGERS: dict[str, str] = {
    "talks": (
        r"\b(peace talks?|talks|negotiat\w+|mediat\w+|summit|envoy|dialogue|"
        r"peace (plan|deal|process|proposal)|security council|diplomat\w*|round of)\b"
    ),
    "de-escalation": (
        r"\b(cease-?fire|truce|armistice|withdr[ae]w\w*|pull(ed|s|ing)? (back|out)|pullback|"
        r"prisoner (swap|exchange)|swap(ped)? prisoners|exchange of prisoners|de-?escalat\w+|"
        r"humanitarian (pause|corridor)|demilitari[sz]ed|disarm\w*|hostages? (freed|released))\b"
    ),
    "security-guarantees": (
        r"\b(security guarantees?|security assurances?|guarantor|nato (membership|accession|bid)|"
        r"join(ing)? nato|article 5|mutual defen[cs]e|defen[cs]e pact|security pact|"
        r"peacekeep\w+|neutral(ity)?|alliance membership|security agreement)\b"
    ),
}
_VETOES: dict[str, str] = {
    "talks": r"\b(trade|tariff|contract|union|strike|labou?r|merger|coalition|budget)\b",
    "de-escalation": r"\b(trade|tariff|market|investors?|rates?|candidate|race)\b",
    "security-guarantees": r"\b(loan|credit|cyber\w*|deposit|bank|carbon|warranty)\b",
}
_PATTERNS = {t: re.compile(p, re.IGNORECASE) for t, p in _TRIGGERS.items()}
_VETO = {t: re.compile(p, re.IGNORECASE) for t, p in _VETOES.items()}


def keyword_scores(texts: Sequence[str]) -> dict[str, npt.NDArray[np.float64]]:
    """topic -> (n,) scores of 0.0 or 1.0."""
    out = {}
    for topic in CORE_TOPICS:
        hits = [
            bool(_PATTERNS[topic].search(text)) and not _VETO[topic].search(text) for text in texts
        ]
        out[topic] = np.asarray(hits, dtype=np.float64)
    return out
