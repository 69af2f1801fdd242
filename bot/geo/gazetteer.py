"""The country gazetteer: which countries a piece of news text mentions, and what a person meant
when they typed a country.

Two different jobs with two different rules. In news text a form matches only as written or in
capitals ("Turkey", "TURKEY", never "turkey"; "US", never "us"), on word boundaries, and the
longest form wins, so "South Sudan" is not also Sudan and "Latin America" is not the US. What a
subscriber types is matched loosely instead: any case, accents optional, ISO codes accepted.
The data lives in ``countries.txt`` next to this module.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

NOT_A_COUNTRY = "--"
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    aliases: tuple[str, ...]
    demonyms: tuple[str, ...]
    capitals: tuple[str, ...]

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.demonyms, *self.capitals)


def _fold(text: str) -> str:
    """Case- and accent-insensitive key for what people type."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).casefold())
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(without_marks.replace(".", "").split())


def _split(field: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in field.split(";") if part.strip())


def parse_gazetteer(text: str) -> tuple[list[Country], tuple[str, ...]]:
    """Countries and the not-a-country phrases from the ``countries.txt`` format."""
    countries: list[Country] = []
    blockers: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [part.strip() for part in line.split("|")]
        if len(fields) != 4:
            raise ValueError(f"countries.txt line {number}: expected 4 fields, got {len(fields)}")
        code, names, demonyms, capitals = fields
        if code == NOT_A_COUNTRY:
            blockers += _split(names)
            continue
        if not re.fullmatch(r"[A-Z]{2}", code) or not _split(names):
            raise ValueError(f"countries.txt line {number}: bad code or no name")
        first, *aliases = _split(names)
        countries.append(Country(code, first, tuple(aliases), _split(demonyms), _split(capitals)))
    return countries, blockers


_Trie = dict[str, "_Trie"]


def _trie_pattern(words: list[str]) -> str:
    """One regex for many literals, branching per character, so matching is one pass over the
    text instead of one attempt per alternative at every position. Optional tails are greedy,
    so the longest form wins ("Guinea-Bissau" over "Guinea")."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


class Gazetteer:
    """Lookups built once from the data; immutable afterwards."""

    def __init__(self, countries: list[Country], blockers: tuple[str, ...]) -> None:
        self.countries: dict[str, Country] = {c.code: c for c in countries}
        self._text_forms: dict[str, str | None] = {}
        self._typed: dict[str, str] = {}
        for country in countries:
            for form in country.forms:
                self._text_forms.setdefault(form, country.code)
                self._text_forms.setdefault(form.upper(), country.code)
                self._typed.setdefault(_fold(form), country.code)
        for phrase in blockers:
            self._text_forms[phrase] = None
            self._text_forms.setdefault(phrase.upper(), None)
        self._pattern = re.compile(
            r"(?<!\w)(" + _trie_pattern(list(self._text_forms)) + r")(?!\w)"
        )

    def find(self, text: str) -> set[str]:
        found: set[str] = set()
        for match in self._pattern.finditer(text.translate(_APOSTROPHES)):
            code = self._text_forms.get(match[1])
            if code is not None:
                found.add(code)
        return found

    def resolve(self, typed: str) -> str | None:
        cleaned = typed.strip()
        if re.fullmatch(r"[A-Za-z]{2}", cleaned) and cleaned.upper() in self.countries:
            return cleaned.upper()
        return self._typed.get(_fold(cleaned))


@cache
def default_gazetteer() -> Gazetteer:
    """The bundled gazetteer, parsed on first use (a few milliseconds) and then reused."""
    data = resources.files("bot.geo").joinpath("countries.txt").read_text(encoding="utf-8")
    return Gazetteer(*parse_gazetteer(data))
