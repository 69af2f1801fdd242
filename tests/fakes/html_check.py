"""Telegram's HTML parse-mode rules, checked the way the Bot API checks them.

The fake Bot API server answers "can't parse entities" for text Telegram would refuse, so a
renderer that forgets to escape a ``<`` or leaves a tag open fails in tests, not in production.
"""

from __future__ import annotations

import html
import re

ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "blockquote",
    }
)
_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+(?:=(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>"
)
_ENTITY = re.compile(r"&(?:[A-Za-z]+|#[0-9]+|#x[0-9A-Fa-f]+);")
_KNOWN_NAMED = frozenset({"&lt;", "&gt;", "&amp;", "&quot;"})


def check_telegram_html(text: str) -> str | None:
    """The problem Telegram would report for ``text`` in HTML parse mode, or None if it is fine."""
    stack: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        offset = len(text[:index].encode("utf-8"))
        if char == "<":
            match = _TAG.match(text, index)
            if match is None:
                return f"Unsupported start tag at byte offset {offset}"
            closing, name = match[1] == "/", match[2].lower()
            if name not in ALLOWED_TAGS:
                return f'Unsupported start tag "{name}" at byte offset {offset}'
            if closing:
                if not stack or stack[-1] != name:
                    return f"Unexpected end tag at byte offset {offset}"
                stack.pop()
            else:
                stack.append(name)
            index = match.end()
            continue
        if char == "&":
            match = _ENTITY.match(text, index)
            if match is None or (match[0][1] != "#" and match[0] not in _KNOWN_NAMED):
                return f"Character '&' at byte offset {offset} must be escaped"
            index = match.end()
            continue
        if char == ">":
            return f"Character '>' at byte offset {offset} must be escaped"
        index += 1
    if stack:
        return f'Can\'t find end tag corresponding to start tag "{stack[-1]}"'
    return None


def visible_length(text: str) -> int:
    """Length of the text a reader sees (tags removed, entities decoded), which is what the
    4096-character limit counts."""
    return len(html.unescape(_TAG.sub("", text)))
