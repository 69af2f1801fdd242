"""Every sentence the bot says, in one place, ready for translation.

Handlers never build user-facing English inline: they pick a template here and fill it with
already-escaped values (HTML parse mode is the default, so anything from users or feeds goes
through ``html.escape`` first). ``INPUT_ERRORS`` words the keys of ``bot.filters.InputError``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from bot.filters import InputError

# Command menus: (command, description). Admin commands are shown to admins only.
USER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Subscribe this chat (or resume alerts)"),
    ("settings", "Everything about this chat, with buttons"),
    ("topics", "Pick topics"),
    ("keywords", "Only / never alert on some words"),
    ("countries", "Restrict alerts to countries or pairs"),
    ("sensitivity", "strict, normal or broad"),
    ("mode", "instant alerts or a daily digest"),
    ("timezone", "Your time zone, e.g. Europe/Kyiv"),
    ("quiet", "Quiet hours, e.g. 22:00-07:00"),
    ("mute", "Pause alerts, e.g. /mute 2h"),
    ("unmute", "Resume alerts now"),
    ("latest", "The latest matching stories"),
    ("stop", "Stop alerts (settings kept)"),
    ("forget", "Delete everything about this chat"),
    ("help", "All commands"),
)
ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("stats", "Admin: subscribers, items, alerts, errors"),
    ("sources", "Admin: source health"),
    ("test", "Admin: classify a text"),
    ("reload", "Admin: reload the config file"),
)

WELCOME = (
    "<b>Welcome to Parley.</b> I watch news feeds and alert this chat when a story is about "
    "<b>diplomacy</b>: {topics}.\n\n"
    "You get each story once, with the outlets that carry it. Change what you get with "
    "/topics, /keywords, /countries and /sensitivity; get one daily digest with /mode digest; "
    "set quiet hours with /quiet. /settings shows everything, /stop pauses, /help lists all.\n\n"
    "Pick your topics:"
)
WELCOME_BACK = "<b>Alerts are on again</b> with your previous settings. /settings shows them."
ALREADY_ON = "This chat is already subscribed. /settings shows what you get."
NOT_SUBSCRIBED = "This chat is not subscribed yet. Send /start first."
HELP = (
    "<b>Parley</b> alerts you to talks, de-escalation and security guarantees in the news.\n\n"
    "/start — subscribe (or resume)\n"
    "/settings — everything about this chat, with buttons\n"
    "/topics — pick topics; /subscribe TOPIC, /unsubscribe TOPIC\n"
    '/keywords — <code>/keywords include ceasefire "peace talks"</code>, '
    "<code>/keywords exclude sport</code>, <code>/keywords clear</code>\n"
    "/countries — <code>/countries Armenia and Azerbaijan, Ukraine</code>, "
    "<code>/countries clear</code>\n"
    "/sensitivity — strict, normal or broad\n"
    "/mode — <code>/mode instant</code> or <code>/mode digest 08:00</code>\n"
    "/timezone — <code>/timezone Europe/Kyiv</code>\n"
    "/quiet — <code>/quiet 22:00-07:00</code> or <code>/quiet off</code>\n"
    "/mute 2h — pause alerts; /unmute — resume\n"
    "/latest 5 — the latest stories that match your settings\n"
    "/channel @name — subscribe a channel you administer\n"
    "/stop — stop alerts (settings kept); /forget — delete all data about this chat\n\n"
    "In groups, only admins can change settings."
)
POINTER_TO_HELP = "I didn't understand that. /help lists what I can do."
APOLOGY = "Sorry, something went wrong on my side. Please try again in a minute."
GROUP_ADMINS_ONLY = "Only this group's admins can change its settings."
BUTTON_EXPIRED = "This button has expired."
STOPPED = "Alerts stopped. Your settings are kept: /start resumes them."
FORGET_CONFIRM = (
    "Delete <b>everything</b> Parley stores about this chat (settings, filters, feedback)? "
    "This cannot be undone."
)
FORGET_DONE = "Done: everything about this chat is deleted. /start subscribes it again."
FORGET_CANCELLED = "Nothing was deleted."
TOPICS_HEADER = "<b>Topics</b> — tap to switch on or off:"
TOPICS_NOW = "Topics for this chat: {topics}."
TOPICS_NONE = "No topics selected: this chat gets no alerts until you pick one."
UNKNOWN_TOPIC = "Unknown topic {given}. Valid topics: {valid}."
TOPIC_USAGE = "Name one or more topics, for example <code>/{command} talks</code>. Valid: {valid}."
KEYWORDS_NOW = "<b>Keywords</b>\nOnly alert on: {include}\nNever alert on: {exclude}"
KEYWORDS_USAGE = (
    'Usage: <code>/keywords include ceasefire "peace talks"</code>, '
    "<code>/keywords exclude sport</code>, <code>/keywords remove sport</code> or "
    "<code>/keywords clear</code>. Words match whole words, any case."
)
COUNTRIES_NOW = "<b>Countries</b>: {countries}"
COUNTRIES_USAGE = (
    "Usage: <code>/countries Armenia and Azerbaijan, Ukraine</code> (names, capitals or ISO "
    "codes; a pair means both must be mentioned) or <code>/countries clear</code>."
)
ANY = "any"
NONE = "none"
SENSITIVITY_SET = "Sensitivity is now <b>{value}</b>."
SENSITIVITY_USAGE = (
    "Usage: <code>/sensitivity strict</code> (fewer, surer alerts), <code>normal</code> or "
    "<code>broad</code> (more alerts). Now: <b>{value}</b>."
)
MODE_INSTANT = "Mode: <b>instant</b> — each story is sent as soon as it is found."
MODE_DIGEST = "Mode: <b>daily digest</b> at {time} ({tz})."
MODE_USAGE = "Usage: <code>/mode instant</code> or <code>/mode digest 08:00</code>."
TIMEZONE_SET = "Time zone is now <b>{tz}</b> (local time {local})."
TIMEZONE_USAGE = "Usage: <code>/timezone Europe/Kyiv</code> (an IANA name). Now: <b>{tz}</b>."
QUIET_SET = (
    "Quiet hours: <b>{start}–{end}</b> ({tz}). Alerts found then arrive as one catch-up "
    "message when they end."
)
QUIET_OFF = "Quiet hours are off."
QUIET_USAGE = "Usage: <code>/quiet 22:00-07:00</code> or <code>/quiet off</code>."
MUTED = "Muted until {until} ({tz}). /unmute resumes now."
UNMUTED = "Alerts resumed."
MUTE_USAGE = "Usage: <code>/mute 2h</code> (m, h, d or w, up to 30 days)."
LATEST_NONE = "No stories match this chat's settings yet."
LATEST_HEADING = "Latest stories"
FEEDBACK_THANKS_UP = "Thanks! Noted as relevant."
FEEDBACK_THANKS_DOWN = "Thanks! Noted as not relevant."
STORY_GONE = "That story is no longer stored."
CHANNEL_USAGE = (
    "Usage: <code>/channel @yourchannel</code> (or <code>/channel stop @yourchannel</code>)."
)
CHANNEL_NOT_FOUND = "I can't see that channel. Add me to it as an admin, then try again."
CHANNEL_NOT_CHANNEL = "{channel} is not a channel. In a group, send /start there instead."
CHANNEL_NOT_SUBSCRIBED = "{channel} is not subscribed."
CHANNEL_NOT_ADMIN = "Only an admin of {channel} can subscribe it."
CHANNEL_BOT_NOT_ADMIN = "Please make me an admin of {channel} (allowed to post), then try again."
CHANNEL_ON = "Subscribed {channel} with the default settings."
CHANNEL_OFF = "Alerts to {channel} stopped."
PRIVATE_ONLY = "Please send this command to me in a private chat."
TOO_LONG = "That is too long; please keep it under {limit} characters."

SETTINGS = (
    "<b>Settings for this chat</b>\n"
    "Status: {status}\n"
    "Topics: {topics}\n"
    "Sensitivity: {sensitivity}\n"
    "Keywords: only {include}; never {exclude}\n"
    "Countries: {countries}\n"
    "Mode: {mode}\n"
    "Time zone: {tz}\n"
    "Quiet hours: {quiet}\n"
    "Muted: {muted}"
)
STATUS_WORDS = {"active": "✅ on", "stopped": "⏸ stopped", "blocked": "⛔ unreachable"}

# Admin texts.
RELOAD_OK = "Config reloaded from {path}: {sources} sources, {topics} topics."
RELOAD_REJECTED = "Config {path} rejected; the running config is kept.\n{problems}"
NOTICE_PREFIX = "⚙️ <b>Parley admin notice</b>\n"
SOURCE_PAUSED = "Source <b>{name}</b> was paused after {streak} failures: {reason}"
DELIVERY_SPIKE = "Delivery errors spiked: {count} failed in the last {minutes} minutes."
TEST_USAGE = "Usage: <code>/test some headline or paragraph</code>"
TEST_HEADING = "<b>Scores</b> (✅ at or above the topic's threshold)"
TEST_HIT = "✅ <b>{topic}</b>: {score:.2f} ≥ threshold {threshold:.2f}"
TEST_MISS = "▫️ {topic}: {score:.2f} &lt; threshold {threshold:.2f}"
TEST_EVIDENCE = "   “{text}”"
STATS_NO_CYCLE = "Pipeline: no cycle has finished yet."
STATS_LAST_CYCLE = "<b>Last cycle</b> {at:%H:%M:%S} UTC ({ago} s ago), {seconds:.1f} s"
STATS_POLL = "Poll: {sources} sources, {entries} entries, {new} new items in {seconds:.2f} s"
STATS_CLASSIFY = "Classify: {count} items in {seconds:.2f} s{per_item}"
STATS_PER_ITEM = " ({ms:.0f} ms/item)"
STATS_CLUSTER = "Cluster: {stories} stories new or updated in {seconds:.2f} s"
STATS_MATCH = "Match: {queued} alerts queued; sent in the cycle: {sent}"
STATS_FAILED = "Failed stages: {stages}"
STATS_CYCLES = "Cycles since start: {cycles} ({timeouts} timed out)"

INPUT_ERRORS: dict[str, str] = {
    "keywords_unbalanced_quote": 'A quote is not closed; put phrases in "double quotes".',
    "keyword_too_long": "“{keyword}…” is too long: keywords have at most {limit} characters.",
    "keyword_bad_characters": "“{keyword}” can't be used: keywords are words or phrases of letters and digits.",
    "too_many_keywords": "That is too many keywords: at most {limit} per list.",
    "unknown_country": "I don't know the country “{name}”. Try its English name or ISO code (e.g. UA).",
    "country_pair_too_long": "“{entry}”: a pair is exactly two countries.",
    "too_many_countries": "That is too many countries: at most {limit}.",
    "bad_sensitivity": "“{value}” is not a sensitivity: use strict, normal or broad.",
    "bad_time": "“{value}” is not a time of day; use HH:MM, for example 08:00.",
    "bad_quiet_window": "“{value}” is not a quiet window; use start-end, for example 22:00-07:00.",
    "bad_duration": "“{value}” is not a duration; use for example 30m, 2h or 1d.",
    "duration_too_long": "That is too long; mute for at most {limit_days} days.",
    "bad_timezone": "“{value}” is not a time zone I know; use an IANA name like Europe/Kyiv.",
}


def input_error(error: InputError) -> str:
    """One friendly sentence for a filter input error (values HTML-escaped)."""
    template = INPUT_ERRORS.get(error.key, "That input can't be used.")
    values: dict[str, Any] = {
        k: escape(str(v)) if isinstance(v, str) else v for k, v in error.params.items()
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return "That input can't be used."
