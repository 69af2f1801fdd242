"""/countries: restrict alerts to stories about some countries, or about pairs of countries.

A chat stores entries such as ``"UA"`` (any story mentioning Ukraine) or ``"AM+AZ"`` (stories
mentioning both Armenia and Azerbaijan). People type names, aliases or ISO codes; a pair is two
countries joined by ``+``, ``&``, ``/``, "and" or a dash, or the two names alone on one line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.filters.errors import InputError
from bot.geo import country_flag, country_name, resolve_country

_PAIR_SEPARATOR = re.compile(r"\s*(?:\+|&|/|\band\b|\s[-–—]\s|–|—)\s*", re.IGNORECASE)


def _resolve(typed: str) -> str:
    code = resolve_country(typed)
    if code is None:
        raise InputError("unknown_country", name=typed.strip()[:40])
    return code


def parse_country_entry(typed: str) -> str:
    """One entry: a country (``"UA"``) or a pair (``"AM+AZ"``, codes sorted)."""
    typed = typed.strip()
    if resolve_country(typed) is not None:
        return _resolve(typed)
    parts = [part for part in _PAIR_SEPARATOR.split(typed) if part.strip()]
    if len(parts) == 2:
        first, second = sorted({_resolve(parts[0]), _resolve(parts[1])})
        return f"{first}+{second}" if first != second else first
    if len(parts) > 2:
        raise InputError("country_pair_too_long", entry=typed[:40])
    words = typed.split()
    # "Armenia Azerbaijan" or "AM AZ": two resolvable halves make a pair.
    for cut in range(1, len(words)):
        left, right = " ".join(words[:cut]), " ".join(words[cut:])
        if resolve_country(left) and resolve_country(right):
            return parse_country_entry(f"{left} + {right}")
    return _resolve(typed)


def parse_countries(text: str, *, max_count: int) -> list[str]:
    """Entries from a comma- or newline-separated list, without duplicates, in typed order."""
    entries: list[str] = []
    for chunk in re.split(r"[,;\n]", text):
        if chunk.strip():
            entry = parse_country_entry(chunk)
            if entry not in entries:
                entries.append(entry)
    if len(entries) > max_count:
        raise InputError("too_many_countries", limit=max_count)
    return entries


def countries_allow(mentioned: Iterable[str], wanted: Sequence[str]) -> bool:
    """True when a story mentioning ``mentioned`` satisfies any entry of ``wanted`` (an empty
    ``wanted`` means no country restriction)."""
    if not wanted:
        return True
    present = set(mentioned)
    return any(set(entry.split("+")) <= present for entry in wanted)


def format_country_entry(entry: str) -> str:
    """``"AM+AZ"`` → "🇦🇲 Armenia + 🇦🇿 Azerbaijan", for showing a chat its settings."""
    return " + ".join(f"{country_flag(code)} {country_name(code)}" for code in entry.split("+"))
