"""How a news item becomes classifier input, and how it is cut into evidence sentences.

The head was trained on headline + ". " + lede, so every caller must build its input the
same way (`item_text`); a different join would shift scores slightly.
"""

from __future__ import annotations

import re

MAX_INPUT_CHARS = 1200
"""~200 words: past this the 128-token encoder window is full anyway."""

_SPACE = re.compile(r"\s+")
# A sentence ends at . ! ? (optionally followed by a closing quote/bracket) before a space
# and an upper-case letter, digit or opening quote. Abbreviations such as "U.S." or
# "Gen." are re-joined afterwards (`_ends_with_abbreviation`).
_BOUNDARY = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)\]]))\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    {
        "u.s.",
        "u.k.",
        "u.n.",
        "e.u.",
        "gen.",
        "lt.",
        "col.",
        "sgt.",
        "capt.",
        "mr.",
        "mrs.",
        "ms.",
        "dr.",
        "st.",
        "sen.",
        "rep.",
        "gov.",
        "pres.",
        "no.",
        "vs.",
        "jan.",
        "feb.",
        "aug.",
        "sept.",
        "oct.",
        "nov.",
        "dec.",
        "inc.",
        "corp.",
        "co.",
        "jr.",
        "sr.",
        "a.m.",
        "p.m.",
        "adm.",
        "maj.",
        "prof.",
        "rev.",
        "ft.",
        "mt.",
    }
)


def clean(text: str) -> str:
    """Collapse whitespace (feeds are full of newlines and nbsp) and strip."""
    return _SPACE.sub(" ", text).strip()


def item_text(title: str, summary: str | None) -> str:
    """Headline + ". " + lede, whitespace-normalised and trimmed to MAX_INPUT_CHARS.

    No double full stop when the headline already ends with punctuation, and no join when
    the lede merely repeats the headline (common in feeds).
    """
    head = clean(title)
    lede = clean(summary or "")
    if lede and head and lede.lower().startswith(head.lower().rstrip(".!?")):
        head = ""
    if head and lede:
        sep = " " if head[-1] in ".!?:;" else ". "
        text = head + sep + lede
    else:
        text = head or lede
    if len(text) > MAX_INPUT_CHARS:
        cut = text.rfind(" ", 0, MAX_INPUT_CHARS)
        text = text[: cut if cut > 0 else MAX_INPUT_CHARS].rstrip()
    return text


def split_sentences(text: str, *, min_chars: int = 12) -> list[str]:
    """Split a text into sentences for evidence; fragments shorter than min_chars are merged."""
    joined: list[str] = []
    for piece in (p for p in _BOUNDARY.split(clean(text)) if p):
        if joined and _ends_with_abbreviation(joined[-1]):
            joined[-1] = f"{joined[-1]} {piece}"
        else:
            joined.append(piece)
    merged: list[str] = []
    for piece in joined:
        if merged and len(piece) < min_chars:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    if len(merged) > 1 and len(merged[0]) < min_chars:
        merged[1] = f"{merged[0]} {merged[1]}"
        merged.pop(0)
    return merged


def _ends_with_abbreviation(sentence: str) -> bool:
    last = sentence.rsplit(" ", 1)[-1].lower()
    return last in _ABBREVIATIONS or bool(re.fullmatch(r"(?:[a-z]\.){2,}", last))
