"""The gazetteer finds countries in news text case-aware and resolves what people type."""

from __future__ import annotations

import pytest

from bot.geo import (
    all_countries,
    country_flag,
    country_name,
    find_countries,
    parse_gazetteer,
    resolve_country,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Armenia and Azerbaijan agree to talks", {"AM", "AZ"}, id="names"),
        pytest.param("Russia-Ukraine talks resume in Kyiv", {"RU", "UA"}, id="hyphen-pair"),
        pytest.param("Kiev says", {"UA"}, id="old-spelling"),
        pytest.param("Türkiye and Turkey and TURKEY", {"TR"}, id="turkiye"),
        pytest.param("the turkey was dry and chad agreed", set(), id="lowercase-words"),
        pytest.param("US and U.S. and USA envoys", {"US"}, id="us-forms"),
        pytest.param("tell us more", set(), id="us-pronoun"),
        pytest.param("UK and Britain and British", {"GB"}, id="uk"),
        pytest.param("DRC and Congo-Kinshasa", {"CD"}, id="drc"),
        pytest.param("Congo-Brazzaville votes", {"CG"}, id="congo-republic"),
        pytest.param("South Sudan truce holds", {"SS"}, id="longest-wins"),
        pytest.param("Guinea-Bissau and Papua New Guinea", {"GW", "PG"}, id="guineas"),
        pytest.param("a Latin America summit", set(), id="not-a-country"),
        pytest.param("Iranian officials in Baghdad", {"IR", "IQ"}, id="demonym-capital"),
        pytest.param("Côte d’Ivoire and Nigeria's president", {"CI", "NG"}, id="apostrophes"),
        pytest.param("Nigerien junta", {"NE"}, id="nigerien"),
    ],
)
def test_find_countries(text: str, expected: set[str]) -> None:
    assert find_countries(text) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Kiev", "UA"),
        ("kyiv", "UA"),
        ("türkiye", "TR"),
        ("Turkiye", "TR"),
        ("turkey", "TR"),
        ("UK", "GB"),
        ("gb", "GB"),
        ("america", "US"),
        ("DRC", "CD"),
        ("  armenia ", "AM"),
        ("AZ", "AZ"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_resolve_country(typed: str, expected: str | None) -> None:
    assert resolve_country(typed) == expected


def test_names_and_flags() -> None:
    assert country_name("TR") == "Türkiye"
    assert country_name("ZZ") == "ZZ"
    assert country_flag("UA") == "🇺🇦"
    assert country_flag("U1") == ""
    codes = [country.code for country in all_countries()]
    assert len(codes) == len(set(codes)) > 190


def test_gazetteer_format_errors_name_the_line() -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_gazetteer("AM|Armenia|Armenian|Yerevan\nbroken line\n")
