"""Countries: find them in news text, resolve what a subscriber typed, name and flag them.

Public API (pure functions over the bundled gazetteer, safe to call from any thread)::

    find_countries("Armenia and Azerbaijan agree to talks in Washington") == {"AM", "AZ", "US"}
    resolve_country("Kiev") == "UA"; resolve_country("türkiye") == "TR"; resolve_country("xx") is None
    country_name("TR") == "Türkiye"; country_flag("UA") == "🇺🇦"
"""

from __future__ import annotations

from bot.geo.gazetteer import Country, Gazetteer, default_gazetteer, parse_gazetteer

__all__ = [
    "Country",
    "Gazetteer",
    "all_countries",
    "country_flag",
    "country_name",
    "find_countries",
    "parse_gazetteer",
    "resolve_country",
]


def find_countries(text: str) -> set[str]:
    """ISO 3166 alpha-2 codes of the countries ``text`` mentions by name, alias, demonym or
    capital (case-aware: "US" counts, "us" does not)."""
    return default_gazetteer().find(text)


def resolve_country(name_or_code: str) -> str | None:
    """The ISO code a person meant by a name, alias, demonym, capital or code; None if unknown."""
    return default_gazetteer().resolve(name_or_code)


def country_name(code: str) -> str:
    """The English display name of a code; an unknown code is returned as given."""
    country = default_gazetteer().countries.get(code.upper())
    return country.name if country else code


def country_flag(code: str) -> str:
    """The flag emoji of a code (regional indicator letters); empty for a malformed code."""
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in code.upper())


def all_countries() -> list[Country]:
    """Every country, sorted by display name."""
    return sorted(default_gazetteer().countries.values(), key=lambda country: country.name)
