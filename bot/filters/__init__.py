"""Pure chat-filter logic, shared by the Telegram commands and the delivery matcher.

Nothing here touches Telegram, the database or the clock: callers pass the chat's stored values
and ``now``. Bad subscriber input raises ``InputError`` (a message key plus values).

- ``keywords``: ``parse_keywords``, ``keywords_allow(text, include, exclude)``
- ``countries``: ``parse_countries``, ``countries_allow(mentioned, wanted)``
- ``sensitivity``: ``parse_sensitivity``, ``thresholds_for(base, sensitivity, offsets)``
- ``schedule``: ``parse_quiet_window``, ``parse_duration``, ``parse_timezone``, ``parse_hhmm``,
  ``is_quiet``, ``held_until``, ``next_digest_at``
- ``match``: ``ChatFilter``, ``StoryFacts``, ``matching_topics`` (all of the above at once)
"""

from bot.filters.errors import InputError

__all__ = ["InputError"]
