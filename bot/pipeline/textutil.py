"""Plain-text helpers shared by clustering and summaries: sentences, boilerplate, named entities.

Item text reaching this stage is already plain (``normalise`` strips HTML), but it is still feed
text: quotes that span several sentences, abbreviations such as "U.S.", page furniture that slipped
past extraction. These helpers are regular expressions on purpose: they run for every item of
every cycle and must stay deterministic and offline.
"""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
# A sentence ends at . ! ? or … (optionally followed by closing quotes/brackets), then a space,
# then something that can start a sentence. Abbreviations are re-joined afterwards.
_BOUNDARY = re.compile(r"(?<=[.!?…])([\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    {
        "u.s.", "u.k.", "u.n.", "e.u.", "gen.", "lt.", "col.", "sgt.", "capt.", "mr.", "mrs.",
        "ms.", "dr.", "st.", "sen.", "rep.", "gov.", "pres.", "no.", "vs.", "jan.", "feb.",
        "aug.", "sept.", "oct.", "nov.", "dec.", "inc.", "corp.", "co.", "jr.", "sr.", "a.m.",
        "p.m.", "adm.", "maj.", "prof.", "rev.", "ft.", "mt.", "approx.", "est.", "fig.",
    }
)  # fmt: skip
_INITIALS = re.compile(r"(?:[A-Za-z]\.){2,}$|[A-Z]\.$")

_BOILERPLATE = re.compile(
    r"^(?:-?\s*sponsor(?:ed)?\b.*|.*\bspot_img\b.*|more in (?:this|the) category.*"
    r"|week'?s top stories.*|related(?: articles| stories| posts| coverage)?:?.*|read more\b.*"
    r"|continue reading\b.*|share (?:this|on)\b.*|follow us\b.*|sign up\b.*|subscribe\b.*"
    r"|advertisement\b.*|(?:image|photo|picture)s?(?: credit)?:.*|credit:.*|creator:.*"
    r"|copyright\b.*|©.*|about the author\b.*|by [A-Z][\w.'-]+(?: [A-Z][\w.'-]+){0,3}$"
    r"|the post .* appeared first on .*|.*\bour (?:mobile )?app\b.*|.*\bpodcasts?\b.*only.*"
    r"|.*https?://\S+.*|(?:getty|reuters|ap|afp)(?: images)?(?:/\w+)?\.?"
    r"|(?:updated|published):? .*\d{4}.*|click here\b.*|watch:.*|listen:.*)$",
    re.IGNORECASE,
)
_LETTER = re.compile(r"[^\W\d_]")

_STOPWORD_TEXT = """a an the in on at for and but or nor with as of to by from after before over under into
    why how what who whom when where which while is are was were be been will would can could
    may might must shall should says said say new news live latest update updates analysis
    photos video watch opinion explainer this that these those it its his her their he she they
    we our you your i my me us mr mrs ms dr more most than then there here not no yes all any
    some one two three first last next day week year today yesterday tomorrow monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july
    august september october november december"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[^\W_][\w'’.\-]*[^\W_]|[^\W_]", re.UNICODE)
_TRIM = "\"'’‘“”()[],.;:!?«»"


def clean(text: str) -> str:
    """Collapse whitespace runs (feeds are full of newlines and no-break spaces) and strip."""
    return _SPACE.sub(" ", text).strip()


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, whitespace-collapsed, empty ones dropped."""
    return [p for p in (clean(part) for part in re.split(r"\n\s*\n", text)) if p]


def split_sentences(text: str) -> list[str]:
    """Whole sentences of one paragraph; never a fragment cut at an abbreviation or initial."""
    pieces: list[str] = []
    last = 0
    source = clean(text)
    for match in _BOUNDARY.finditer(source):
        pieces.append(source[last : match.start()] + match.group(1))
        last = match.end()
    pieces.append(source[last:])
    sentences: list[str] = []
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        if sentences and _ends_with_abbreviation(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def _ends_with_abbreviation(sentence: str) -> bool:
    last = sentence.rsplit(" ", 1)[-1]
    return last.lower() in _ABBREVIATIONS or bool(_INITIALS.search(last) and len(last) <= 5)


def is_boilerplate(sentence: str) -> bool:
    """Page furniture (bylines, sponsor slots, credits, link lists) rather than reporting."""
    text = clean(sentence)
    if not text or len(_LETTER.findall(text)) < 0.5 * len(text):
        return True
    return bool(_BOILERPLATE.match(text))


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning, for overlap scores."""
    words = (w.strip(_TRIM).lower().replace("’", "'") for w in _WORD.findall(text))
    return {w.removesuffix("'s") for w in words if len(w) > 2 and w not in _STOPWORDS}


def named_entities(text: str) -> set[str]:
    """Capitalised words that are not sentence-initial function words: places, people, bodies.

    A crude stand-in for a tagger, and enough for one job: telling "talks in Geneva about Iran"
    from "talks in Geneva about Ukraine" when the encoder finds both very similar. Headlines are
    often in title case, so common words are filtered by a stopword list rather than by position.
    """
    found: set[str] = set()
    for word in _WORD.findall(text):
        word = word.strip(_TRIM).replace("’", "'").removesuffix("'s")
        if len(word) < 3 or not word[0].isupper():
            continue
        key = word.lower().rstrip(".")
        if key not in _STOPWORDS and not key.isdigit():
            found.add(key)
    return found


def is_title_case(headline: str) -> bool:
    """ "Peru Votes to Impeach President José Jerí": capitals say nothing about names here."""
    words = [w for w in headline.split() if len(w) >= 4 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)
