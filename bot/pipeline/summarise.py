"""Extractive summaries: one to three whole sentences of the story's best text.

Extractive on purpose: every word shown to a subscriber was written by the outlet, so a summary
cannot invent a claim, and hedges and attributions ("Russia said…", "Zelensky was sceptical…")
survive because sentences are never cut or spliced. Sentences are scored by position (news puts
the event first), overlap with the headline and with the classifier's evidence for the flagged
topics, and a small bonus for reported doubt, so a claim and the scepticism about it both show.
The chosen sentences are printed in their original order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from bot.pipeline.textutil import (
    clean,
    content_words,
    is_boilerplate,
    paragraphs,
    split_sentences,
)

MIN_SENTENCE_CHARS = 25
MAX_CANDIDATES = 40
POOL_SIZE = 12  # best-scoring sentences searched exhaustively for the best 1-3 that fit
# Reported doubt or attribution: the nuance a one-line alert must not lose.
_HEDGE = re.compile(
    r"\b(?:scepti\w*|skepti\w*|doubt\w*|cautio\w*|warn\w*|not believe|trick|deni\w*|"
    r"reject\w*|insist\w*|reportedly|unclear|claim\w*|accus\w*|dismiss\w*|question\w*)\b",
    re.IGNORECASE,
)
# A sentence that starts with a bare pronoun or connective needs the sentence before it.
_DANGLING = re.compile(
    r"^(?:(?:however|meanwhile|yet|but|and|so|still|also|instead|now),?\s+)?"
    r"(?:he|she|they|it|this|that|these|those|his|her|their|its|him|them)\b",
    re.IGNORECASE,
)
# A sentence ends in . ! ? or …, perhaps inside quotes or brackets; a headline fragment does not.
_ENDS = re.compile(r"[.!?…][\"'”’)\]]*$")
# List bullets run highlights together ("• Hamas condemns… • UN calls…"): each is its own line.
_BULLET = re.compile(r"\s*[•▪◦●]\s*")
# Everything after one of these is an author box or a list of other stories, not the article.
_TAIL = re.compile(
    r"^(?:.*\Shttps?://\S+|more in (?:this|the) category.*|week'?s top stories|related (?:articles|"
    r"stories)|read next|most popular|you may also like|about the author.*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Candidate:
    index: int
    text: str
    score: float


def best_text(title: str, summary: str | None, content: str | None) -> str:
    """The fullest text available: the extracted article, else the feed summary, else the title."""
    for text in (content, summary):
        if text and clean(text) and clean(text).lower() != clean(title).lower():
            return text
    return title


def summarise(
    title: str,
    text: str,
    *,
    evidence: Sequence[str] = (),
    max_chars: int = 400,
    max_sentences: int = 3,
) -> str:
    """1–``max_sentences`` whole sentences of ``text``, at most ``max_chars`` characters.

    ``evidence`` holds the sentences the classifier found for the story's flagged topics; they
    pull the summary towards what the alert is about. The headline itself is never repeated.
    Falls back to the headline when the text has no usable sentence, and only when a single
    sentence is longer than ``max_chars`` does it end in "…" (at a word boundary).
    """
    candidates = _candidates(title, text, evidence)
    if not candidates:
        return "" if _same(clean(text), title) else _shorten(clean(text), max_chars)
    pool = sorted(candidates, key=lambda c: (-c.score, c.index))[:POOL_SIZE]
    best: tuple[_Candidate, ...] = ()
    best_score = 0.0
    for size in range(1, max_sentences + 1):
        for combo in combinations(sorted(pool, key=lambda c: c.index), size):
            if _fits(combo, max_chars):
                score = sum(c.score for c in combo)
                if score > best_score + 1e-9:
                    best, best_score = combo, score
    if not best:
        return _shorten(min(candidates, key=lambda c: c.index).text, max_chars)
    return " ".join(c.text for c in best)


def _fits(combo: tuple[_Candidate, ...], max_chars: int) -> bool:
    """Within the length budget, and no sentence that leans on an unchosen predecessor."""
    if sum(len(c.text) for c in combo) + len(combo) - 1 > max_chars:
        return False
    chosen = {c.index for c in combo}
    return not any(_DANGLING.match(c.text) and c.index - 1 not in chosen for c in combo)


def _candidates(title: str, text: str, evidence: Sequence[str]) -> list[_Candidate]:
    title_words = content_words(title)
    evidence_words = set().union(*(content_words(e) for e in evidence)) if evidence else set()
    evidence_clean = {clean(e).lower() for e in evidence}
    sentences = [s for p in _body_paragraphs(text) for s in split_sentences(p)]
    out: list[_Candidate] = []
    seen: set[str] = set()
    for sentence in sentences:
        key = sentence.lower()
        if (
            len(sentence) < MIN_SENTENCE_CHARS
            or key in seen
            or is_boilerplate(sentence)
            or _same(sentence, title)
            or not _ENDS.search(sentence)
        ):
            continue
        seen.add(key)
        index = len(out)
        words = content_words(sentence)
        score = 1.0 / (1.0 + 0.5 * index) + (0.5 if index == 0 else 0.0)  # news leads with it
        if words:
            score += 0.8 * len(words & title_words) / max(len(title_words), 1)
            score += 0.8 * len(words & evidence_words) / max(len(evidence_words), 1)
        if key in evidence_clean:
            score += 0.8  # the sentence the alert is about
        if _HEDGE.search(sentence):
            score += 0.25
        out.append(_Candidate(index, sentence, score))
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def _body_paragraphs(text: str) -> list[str]:
    """Paragraphs up to the first sign of page furniture (an author box, a list of other stories)."""
    out: list[str] = []
    for paragraph in paragraphs(_BULLET.sub("\n\n", text.replace("\n", "\n\n"))):
        if _TAIL.match(paragraph):
            break
        out.append(paragraph)
    return out


def _same(sentence: str, title: str) -> bool:
    a = clean(sentence).lower().rstrip(".!?")
    b = clean(title).lower().rstrip(".!?")
    return bool(a) and a == b


def _shorten(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars - 1)
    return text[: cut if cut > max_chars // 2 else max_chars - 1].rstrip(" ,;:") + "…"
