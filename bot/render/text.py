"""Making feed text safe for Telegram HTML: escaping, cleaning, shortening, URL checks.

Feed text is hostile by default: tags, stray ampersands, control characters, lone surrogates
(which cannot even be encoded as JSON), right-to-left runs that flip the layout around them, and
headlines the size of an article. Everything from a feed passes through ``field`` before it is
escaped, and only ``html.escape`` output is ever placed between our own tags, so Telegram's parser
never sees a tag we did not write.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, tzinfo
from urllib.parse import urlsplit

MAX_MESSAGE_UTF16 = 4096
MAX_URL_CHARS = 2048

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\r\n\u00a0\u2028\u2029]+")
_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_FSI, _PDI = "\u2068", "\u2069"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def field(text: str | None, limit: int) -> str:
    """One line of feed text: controls dropped, whitespace collapsed, cut to ``limit`` chars."""
    cleaned = _SPACES.sub(" ", _CONTROL.sub("", text or "")).strip()
    return shorten(cleaned, limit)


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary and marked with "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    if cut < limit // 2:
        cut = limit - 1
    head = text[:cut].rstrip(" ,;:-–—")
    if head and "\ud800" <= head[-1] <= "\udbff":  # never split a surrogate pair
        head = head[:-1]
    return head + "…"


def isolate(text: str) -> str:
    """Wrap right-to-left text in first-strong isolates so it cannot reorder what follows it."""
    return f"{_FSI}{text}{_PDI}" if _RTL.search(text) else text


def esc(text: str) -> str:
    """Escape for Telegram HTML (it knows &lt; &gt; &amp; &quot; and numeric entities)."""
    return html.escape(text, quote=False)


def esc_attr(text: str) -> str:
    return html.escape(text, quote=True)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL Telegram will accept for a link or a button, else None."""
    if not url or len(url) > MAX_URL_CHARS or _CONTROL.search(url) or re.search(r"\s", url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def when(moment: datetime, *, now: datetime | None = None, tz: tzinfo | None = None) -> str:
    """ "17 Feb 2026, 21:38 UTC", plus "3 h ago" when ``now`` is given and it is recent."""
    local = moment.astimezone(tz or UTC)
    zone = local.tzname() or "UTC"
    text = f"{local.day} {local:%b %Y, %H:%M} {zone}"
    if now is not None:
        minutes = int((now - moment).total_seconds() // 60)
        if 0 <= minutes < 60:
            text += f" · {max(minutes, 1)} min ago"
        elif 60 <= minutes < 48 * 60:
            text += f" · {minutes // 60} h ago"
    return text
