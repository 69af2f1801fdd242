"""Raw entries → normalised items: plain text, canonical URLs, UTC times.

Every source kind ends here, so one set of rules decides what a title, a link and a date are.
Text is reduced with regular expressions rather than an HTML parser: feed HTML is small and
shallow, and this path has to keep up with thousands of items per second. Article bodies are
split into paragraphs and the boilerplate that news pages wrap around them (sponsor slots,
"More in this category", author boxes, "The post … appeared first on …") is dropped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from bot.sources.types import RawEntry

MAX_TITLE_CHARS = 500
MAX_SUMMARY_CHARS = 2_000
MAX_CONTENT_CHARS = 100_000
FUTURE_TOLERANCE = timedelta(minutes=10)

_DROP_ELEMENTS = re.compile(
    r"<(script|style|noscript|template|iframe|svg|figcaption)\b[^>]*>.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_BLOCK_TAGS = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|figure|header"
    r"|footer|aside|nav|pre|hr|dl|dt|dd)\b[^>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[a-zA-Z/!?][^>]*>")
_MAYBE_HTML = re.compile(r"<[a-zA-Z/!]|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")
_SPACES = re.compile(r"\s+")

# Whole paragraphs that are page furniture, not article text.
_BOILERPLATE = re.compile(
    r"^(?:-?\s*sponsor(?:ed)?\s*-?.*|.*\bspot_img\b.*|more in this category|week'?s top stories"
    r"|related(?: articles| stories| posts)?:?|read more.*|continue reading.*|share this.*"
    r"|follow us.*|sign up for .*|subscribe (?:to|now).*|advertisement|(?:image|photo)s? credit:.*"
    r"|\(?(?:image|photo) credit:.*|credit:.*|creator:.*|copyright .*|©.*|about the author.*"
    r"|the post .* appeared first on .*|.*\b(?:our (?:mobile )?app|our podcasts?)\b.*)$",
    re.IGNORECASE,
)
# Everything after one of these headings is a list of other stories.
_TAIL_MARKERS = re.compile(
    r"^(?:more in this category|week'?s top stories|related (?:articles|stories)|read next"
    r"|most popular|you may also like)$",
    re.IGNORECASE,
)
_GLUED_URL = re.compile(r"^.{0,80}\Shttps?://\S+$")  # "Atlas Newshttps://…": an author box

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "at_medium",
        "at_campaign",
        "at_link_origin",
        "at_format",
        "at_bbc_team",
        "at_link_id",
        "at_link_type",
        "at_ptr_name",
        "traffic_source",
        "ref_src",
        "smid",
        "smtyp",
        "rss",
        "cmp",
        "ito",
    }
)


@dataclass(frozen=True, slots=True)
class NormalisedItem:
    """One item ready for identity checks and storage."""

    source: str
    guid: str | None
    url: str | None
    title: str
    summary: str
    content: str | None
    published_at: datetime
    published_estimated: bool
    language: str | None
    author: str | None


def fold(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def html_to_text(value: str | None, *, is_html: bool = True) -> str:
    """One line of plain text: tags dropped, entities decoded, whitespace folded."""
    if not value:
        return ""
    if is_html and _MAYBE_HTML.search(value):
        value = _COMMENTS.sub(" ", value)
        value = _DROP_ELEMENTS.sub(" ", value)
        value = _TAG.sub(" ", _BLOCK_TAGS.sub(" ", value))
        value = html.unescape(value)
    return fold(value)


def html_to_paragraphs(
    value: str | None, *, is_html: bool = True, drop: tuple[str, ...] = ()
) -> str:
    """Article text as paragraphs separated by blank lines, boilerplate removed.

    ``drop`` holds names (the outlet's) whose bare mention as a paragraph is an author box.
    """
    if not value:
        return ""
    if is_html:
        value = _COMMENTS.sub(" ", value)
        value = _DROP_ELEMENTS.sub(" ", value)
        value = _TAG.sub("", _BLOCK_TAGS.sub("\n", value))
        value = html.unescape(value)
    dropped = {name.casefold() for name in drop if name}
    kept: list[str] = []
    for raw in value.split("\n"):
        paragraph = fold(raw)
        if not paragraph:
            continue
        if _TAIL_MARKERS.match(paragraph):
            break
        lowered = paragraph.casefold()
        if _BOILERPLATE.match(paragraph) or lowered in dropped or _GLUED_URL.match(paragraph):
            continue
        kept.append(paragraph)
    return "\n\n".join(kept)


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """The URL that identifies an article: http(s) only, tracking junk and fragments removed.

    Host is lower-cased and ``www.`` kept (it is the outlet's own choice), default ports and
    empty queries dropped, relative links resolved against ``base``.
    """
    if not url:
        return None
    url = url.strip()
    if base:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if port and not (scheme == "http" and port == 80) and not (scheme == "https" and port == 443):
        host = f"{host}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMS
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def published_time(published: datetime | None, *, now: datetime) -> tuple[datetime, bool]:
    """(UTC publication time, estimated?): a missing date is the first-seen time, a future
    one is clamped to it. Both are flagged so nobody mistakes them for the outlet's."""
    if published is None:
        return now, True
    if published > now + FUTURE_TOLERANCE:
        return now, True
    return published, False


def normalise_entry(
    entry: RawEntry,
    *,
    source: str,
    now: datetime,
    base_url: str | None = None,
    feed_link: str | None = None,
    language: str | None = None,
    feed_title: str | None = None,
) -> NormalisedItem | None:
    """Normalise one raw entry; None when it has nothing to show (no title and no text)."""
    base = base_url if base_url and base_url.startswith(("http://", "https://")) else feed_link
    url = canonical_url(entry.link, base)
    if url is None and entry.guid and entry.guid.startswith(("http://", "https://")):
        url = canonical_url(entry.guid)
    summary = html_to_text(entry.summary, is_html=entry.summary_is_html)
    content: str | None = None
    if entry.content:
        content = html_to_paragraphs(
            entry.content, is_html=entry.content_is_html, drop=(source, feed_title or "")
        )
        content = content[:MAX_CONTENT_CHARS] or None
    if not summary and content:
        summary = content.split("\n\n", 1)[0]
    title = html_to_text(entry.title)
    if not title:
        title = _first_words(summary)
    if not title:
        return None
    published_at, estimated = published_time(entry.published, now=now)
    return NormalisedItem(
        source=source,
        guid=fold(entry.guid)[:2000] if entry.guid else None,
        url=url,
        title=title[:MAX_TITLE_CHARS],
        summary=_truncate(summary, MAX_SUMMARY_CHARS),
        content=content,
        published_at=published_at,
        published_estimated=estimated,
        language=entry.language or language,
        author=html_to_text(entry.author)[:200] or None if entry.author else None,
    )


def _first_words(text: str, limit: int = 120) -> str:
    return _truncate(text, limit)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return f"{cut}…"
