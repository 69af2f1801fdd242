"""Does a story match a chat? Topics over the chat's thresholds, then keywords, then countries.

The delivery matcher builds a ``ChatFilter`` per chat and a ``StoryFacts`` per story (once, since
finding countries and keyword scans cost more than comparing scores) and calls
``matching_topics``; an empty result means "not for this chat".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.filters.countries import countries_allow
from bot.filters.keywords import keywords_allow
from bot.filters.sensitivity import thresholds_for
from bot.geo import find_countries
from bot.settings import SensitivityConfig


class ChatSettings(Protocol):
    """The filter columns of ``bot.db.models.Chat`` (any object with these attributes)."""

    topics: list[str]
    sensitivity: str
    keywords_include: list[str]
    keywords_exclude: list[str]
    countries: list[str]


@dataclass(frozen=True)
class ChatFilter:
    topics: tuple[str, ...]
    sensitivity: str = "normal"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()

    @classmethod
    def from_chat(cls, chat: ChatSettings) -> ChatFilter:
        return cls(
            topics=tuple(chat.topics or ()),
            sensitivity=chat.sensitivity or "normal",
            include=tuple(chat.keywords_include or ()),
            exclude=tuple(chat.keywords_exclude or ()),
            countries=tuple(chat.countries or ()),
        )


@dataclass(frozen=True)
class StoryFacts:
    text: str
    scores: Mapping[str, float]
    countries: frozenset[str]

    @classmethod
    def of(
        cls,
        title: str,
        summary: str,
        scores: Mapping[str, float],
        places: Iterable[str] = (),
    ) -> StoryFacts:
        """Facts from a story's text and topic scores; ``places`` adds codes known otherwise."""
        text = f"{title}\n{summary}"
        return cls(text, dict(scores), frozenset(find_countries(text)) | frozenset(places))


def matching_topics(
    chat: ChatFilter,
    story: StoryFacts,
    base_thresholds: Mapping[str, float],
    offsets: SensitivityConfig,
) -> list[str]:
    """The chat's topics this story passes, in the chat's order; [] when it should not alert."""
    thresholds = thresholds_for(base_thresholds, chat.sensitivity, offsets)
    topics = [
        topic
        for topic in chat.topics
        if topic in thresholds and story.scores.get(topic, 0.0) >= thresholds[topic]
    ]
    if not topics or not keywords_allow(story.text, chat.include, chat.exclude):
        return []
    return topics if countries_allow(story.countries, chat.countries) else []


def filters_allow(chat: ChatFilter, story: StoryFacts) -> bool:
    """Keywords and countries only, ignoring scores (for /latest over stored stories)."""
    return keywords_allow(story.text, chat.include, chat.exclude) and countries_allow(
        story.countries, chat.countries
    )


def topics_of(chat: ChatFilter, known: Sequence[str]) -> list[str]:
    """The chat's topics that still exist in the config (an admin may have removed one)."""
    return [topic for topic in chat.topics if topic in known]
