"""Pure chat-filter logic: keywords, countries, sensitivity, schedules and the combined match."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.filters import InputError
from bot.filters.countries import countries_allow, format_country_entry, parse_countries
from bot.filters.keywords import format_keyword, keywords_allow, parse_keywords
from bot.filters.match import ChatFilter, StoryFacts, filters_allow, matching_topics
from bot.filters.schedule import (
    held_until,
    is_quiet,
    next_digest_at,
    parse_duration,
    parse_hhmm,
    parse_quiet_window,
    parse_timezone,
)
from bot.filters.sensitivity import parse_sensitivity, thresholds_for
from bot.settings import SensitivityConfig

OFFSETS = SensitivityConfig(strict_offset=0.1, broad_offset=0.15)


def test_keywords_parse_words_and_quoted_phrases() -> None:
    words = parse_keywords(
        'Ceasefire "peace talks"  “Black Sea” ceasefire', max_count=5, max_length=30
    )
    assert words == ["ceasefire", "peace talks", "black sea"]
    assert [format_keyword(w) for w in words] == ["ceasefire", '"peace talks"', '"black sea"']


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param('"unclosed', "keywords_unbalanced_quote", id="quote"),
        pytest.param("a" * 31, "keyword_too_long", id="length"),
        pytest.param("one two three four five six", "too_many_keywords", id="count"),
        pytest.param("(.*)+", "keyword_bad_characters", id="regex"),
    ],
)
def test_keywords_refuse_bad_input(text: str, key: str) -> None:
    with pytest.raises(InputError) as error:
        parse_keywords(text, max_count=5, max_length=30)
    assert error.value.key == key


def test_keywords_match_on_word_boundaries_case_insensitively() -> None:
    text = "Ceasefire talks in Doha; Peace   Talks resume"
    assert keywords_allow(text, ["peace talks"], [])
    assert keywords_allow(text, ["DOHA"], [])
    assert not keywords_allow(text, ["cease"], [])
    assert not keywords_allow(text, ["doha"], ["ceasefire"])
    assert keywords_allow(text, [], ["sport"])


def test_countries_parse_names_codes_and_pairs() -> None:
    entries = parse_countries("Armenia and Azerbaijan, UA, Kiev\nRU + US, AM AZ", max_count=5)
    assert entries == ["AM+AZ", "UA", "RU+US"]
    assert format_country_entry("AM+AZ") == "🇦🇲 Armenia + 🇦🇿 Azerbaijan"


def test_countries_refuse_unknown_and_too_many() -> None:
    with pytest.raises(InputError) as unknown:
        parse_countries("Atlantis", max_count=5)
    assert (unknown.value.key, unknown.value.params) == ("unknown_country", {"name": "Atlantis"})
    with pytest.raises(InputError, match="too_many_countries"):
        parse_countries("UA, RU, US", max_count=2)


def test_country_entries_match_singles_and_pairs() -> None:
    assert countries_allow({"AM", "AZ", "RU"}, ["AM+AZ"])
    assert not countries_allow({"AM"}, ["AM+AZ"])
    assert countries_allow({"UA"}, ["AM+AZ", "UA"])
    assert countries_allow(set(), [])


def test_sensitivity_moves_and_clamps_thresholds() -> None:
    base = {"talks": 0.5, "de-escalation": 0.95}
    assert thresholds_for(base, "normal", OFFSETS) == base
    assert thresholds_for(base, "strict", OFFSETS) == {"talks": 0.6, "de-escalation": 0.99}
    assert thresholds_for(base, "broad", OFFSETS) == {"talks": 0.35, "de-escalation": 0.8}
    assert parse_sensitivity(" Strict ") == "strict"
    with pytest.raises(InputError):
        parse_sensitivity("extreme")


def test_schedule_parsing() -> None:
    assert parse_hhmm("7:05") == "07:05"
    assert parse_quiet_window("22:00-07:00") == ("22:00", "07:00")
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("90 minutes") == timedelta(minutes=90)
    assert parse_timezone("europe/kyiv") == "Europe/Kyiv"
    assert parse_timezone("utc") == "UTC"
    for bad, parser in [
        ("25:00", parse_hhmm),
        ("22:00-22:00", parse_quiet_window),
        ("forever", parse_duration),
        ("45d", parse_duration),
        ("Mars/Olympus", parse_timezone),
        ("../etc/passwd", parse_timezone),
    ]:
        with pytest.raises(InputError):
            parser(bad)


def test_quiet_window_across_midnight_in_the_chat_time_zone() -> None:
    kyiv = "Europe/Kyiv"  # UTC+2 in January
    assert is_quiet(datetime(2026, 1, 10, 21, 0, tzinfo=UTC), kyiv, "22:00", "07:00")  # 23:00
    assert is_quiet(datetime(2026, 1, 10, 4, 59, tzinfo=UTC), kyiv, "22:00", "07:00")  # 06:59
    assert not is_quiet(datetime(2026, 1, 10, 5, 0, tzinfo=UTC), kyiv, "22:00", "07:00")
    assert not is_quiet(datetime(2026, 1, 10, 12, 0, tzinfo=UTC), kyiv, None, None)


def test_held_until_combines_mute_and_quiet_hours() -> None:
    now = datetime(2026, 1, 10, 21, 0, tzinfo=UTC)  # 23:00 in Kyiv, quiet until 05:00 UTC
    quiet = {"tz_name": "Europe/Kyiv", "quiet_start": "22:00", "quiet_end": "07:00"}
    assert held_until(now, muted_until=None, **quiet) == datetime(2026, 1, 11, 5, 0, tzinfo=UTC)
    muted = datetime(2026, 1, 11, 6, 0, tzinfo=UTC)
    assert held_until(now, muted_until=muted, **quiet) == muted
    noon = datetime(2026, 1, 11, 12, 0, tzinfo=UTC)
    assert held_until(noon, muted_until=None, **quiet) is None


def test_next_digest_respects_daylight_saving() -> None:
    before_switch = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # Kyiv moves to UTC+3 on 29 March
    assert next_digest_at(before_switch, "Europe/Kyiv", "08:00") == datetime(
        2026, 3, 29, 5, 0, tzinfo=UTC
    )
    assert next_digest_at(before_switch, "UTC", "13:00") == datetime(
        2026, 3, 28, 13, 0, tzinfo=UTC
    )


def test_matching_topics_applies_every_filter() -> None:
    story = StoryFacts.of(
        "Armenia and Azerbaijan agree to peace talks",
        "Ministers met in Washington.",
        {"talks": 0.7, "de-escalation": 0.4},
    )
    base = {"talks": 0.5, "de-escalation": 0.5, "security-guarantees": 0.5}
    everything = ChatFilter(topics=("talks", "de-escalation", "security-guarantees"))
    assert matching_topics(everything, story, base, OFFSETS) == ["talks"]
    broad = ChatFilter(topics=("talks", "de-escalation"), sensitivity="broad")
    assert matching_topics(broad, story, base, OFFSETS) == ["talks", "de-escalation"]
    strict = ChatFilter(topics=("talks",), sensitivity="strict")
    assert matching_topics(strict, story, base, OFFSETS) == ["talks"]
    assert (
        matching_topics(ChatFilter(("talks",), exclude=("washington",)), story, base, OFFSETS)
        == []
    )
    assert matching_topics(ChatFilter(("talks",), countries=("AM+AZ",)), story, base, OFFSETS) == [
        "talks"
    ]
    assert matching_topics(ChatFilter(("talks",), countries=("UA",)), story, base, OFFSETS) == []
    assert filters_allow(ChatFilter(("talks",), include=("peace talks",)), story)
