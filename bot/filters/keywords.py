"""Keyword filters: "only alert when an item mentions any of these" and "never when it mentions
any of those". Plain words and "quoted phrases", matched case-insensitively on word boundaries.

Users never write regular expressions: every keyword is escaped, so there is no ReDoS and no
surprise from a stray ``.`` or ``*``. Whitespace inside a phrase matches any run of whitespace.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence

from bot.filters.errors import InputError

_ALLOWED = re.compile(r"^[\w][\w\s'’.&/-]*$")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


def parse_keywords(text: str, *, max_count: int, max_length: int) -> list[str]:
    """Split ``text`` into keywords: words, or phrases in double quotes. Lower-cased, with
    duplicates removed in first-seen order. Raises ``InputError`` and changes nothing when a
    quote is unbalanced, a keyword is too long or has odd characters, or there are too many."""
    normalised = text.replace("“", '"').replace("”", '"').replace("«", '"').replace("»", '"')
    try:
        lexer = shlex.shlex(normalised.translate(_APOSTROPHES), posix=True)
        lexer.whitespace_split = True
        lexer.quotes = '"'
        lexer.escape = ""
        raw = list(lexer)
    except ValueError:
        raise InputError("keywords_unbalanced_quote") from None
    keywords: list[str] = []
    for item in raw:
        keyword = " ".join(item.split()).casefold()
        if not keyword:
            continue
        if len(keyword) > max_length:
            raise InputError("keyword_too_long", keyword=keyword[:30], limit=max_length)
        if len(keyword) < 2 or not _ALLOWED.match(keyword):
            raise InputError("keyword_bad_characters", keyword=keyword[:30])
        if keyword not in keywords:
            keywords.append(keyword)
    if len(keywords) > max_count:
        raise InputError("too_many_keywords", limit=max_count)
    return keywords


def merge_keywords(current: Sequence[str], added: Iterable[str], *, max_count: int) -> list[str]:
    """``current`` plus ``added`` without duplicates; raises when the total exceeds the limit."""
    merged = list(current)
    merged.extend(word for word in added if word not in merged)
    if len(merged) > max_count:
        raise InputError("too_many_keywords", limit=max_count)
    return merged


def format_keyword(keyword: str) -> str:
    """How a keyword is shown back: phrases in quotes so they can be pasted into a command."""
    return f'"{keyword}"' if " " in keyword else keyword


def keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern matching any keyword on word boundaries (None if empty)."""
    parts = [r"\s+".join(re.escape(word) for word in kw.split()) for kw in keywords if kw]
    if not parts:
        return None
    parts.sort(key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def mentions_any(text: str, keywords: Iterable[str]) -> bool:
    pattern = keyword_pattern(keywords)
    return pattern is not None and pattern.search(text.translate(_APOSTROPHES)) is not None


def keywords_allow(text: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """True when ``text`` mentions an included keyword (or none are set) and no excluded one."""
    if include and not mentions_any(text, include):
        return False
    return not (exclude and mentions_any(text, exclude))
