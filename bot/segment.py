"""Arabic-aware sentence segmentation that keeps exact offsets into the original text.

Offsets are Python string indices, i.e. Unicode code points, and every sentence is the
verbatim slice ``raw[start:end]`` (surrounding whitespace excluded). Sentences end at
``. ! ? ؟ … ۔`` followed by a space or the end of a line, and at line breaks; never at the
Arabic comma ``،`` or semicolon ``؛``, inside a number (``3.5``) or after an initial (``U.S.``).

Two kinds of line are not answer sentences:

* a **heading**: a short line without closing punctuation, followed by body text. It becomes
  the ``section`` of the sentences below it.
* a **trailing reader-comment section**, as scraped web pages have: it starts at a short line
  that announces comments or offers a reply ("لا تعليق بعد", "التعليقات", "Leave a reply",
  "رد", …) and runs to the end of the document. It is reported as excluded, never indexed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalize import normalize

_LINE = re.compile(r"[^\r\n\u2028\u2029]+")
# Terminal punctuation, optional closing quotes/brackets, then whitespace or end of text.
# Also: the Devanagari danda and double danda (Hindi); the Greek question mark, written as
# ";" (or U+037E) after a Greek letter; and the full-width 。！？ of Chinese, which end a
# sentence with no space after them.
_END = re.compile(
    r"[.!?؟…۔।॥]+[\"'»”’)\]]*(?=\s|$)"
    r"|(?<=[\u0370-\u03ff\u1f00-\u1fff])[;\u037e][\"'»”’)\]]*(?=\s|$)"
    r"|[。！？]+[”’」』）)\]\"']*"
)
_THAI = "\u0e00-\u0e7f"
# Thai has no sentence punctuation: writers put a space between sentences and clauses, and
# none between words. A Thai sentence ends at such a space (Thai letters on both sides) once
# it is THAI_MIN_CHARS long; past THAI_MAX_CHARS any space ends it (docs/ingestion.md).
_THAI_SPACE = re.compile(f"(?<=[{_THAI}])[ \t\u00a0]+(?=[{_THAI}])")
_ANY_SPACE = re.compile(r"[ \t\u00a0]+")
_HAS_THAI = re.compile(f"[{_THAI}]")
THAI_MIN_CHARS = 180
THAI_MAX_CHARS = 400
# An initial: one Latin, Greek or Cyrillic letter (``U.S.``, ``Э. И. Дюпон``).
_INITIALISM = re.compile(r"(?:^|[\s(])(?:[A-Za-zΑ-ΩА-ЯЁ]\.)*[A-Za-zΑ-ΩА-ЯЁ]$")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr gen col lt sgt capt gov sen rep vs etc no inc ltd co jan feb "
    "mar apr jun jul aug sep sept oct nov dec approx vol fig al".split()
    # German, Russian (г. "year", англ. "English", ...) and Spanish abbreviations
    + "mio mrd bzw usw vgl nr chr jh г гг англ др см напр стр тыс млн млрд sra sres".split()
)
# German and Turkish write ordinals with a dot ("am 7. Januar", "5. sırada"): in those
# languages a number of one to three digits and its dot end no sentence.
_ORDINAL = re.compile(r"(?:^|\s)\d{1,3}$")
_ORDINAL_LANGUAGES = ("de", "tr")
_CLOSING = tuple(".!?؟…۔:؛،;,\"'»”’)]。！？।॥，；：」』）")
_HEADING_MAX_WORDS = 12
_HEADING_MAX_CHARS = 40
_UNSPACED = re.compile("[\u0e00-\u0e7f\u3400-\u4dbf\u4e00-\u9fff]")
_MARKER_MAX_WORDS = 12
_FIRST_MARKER_MAX_WORDS = 3
# What comment sections and reply buttons say, matched on the normalised line (see normalize.py:
# أ/إ/آ are folded to ا and ة to ه). A marker must also be short and carry no closing punctuation.
_COMMENT_MARKER = re.compile(
    r"^(?:"
    r"(?:لا|لم|بدون)\s+(?:يوجد\s+|توجد\s+)?تعليق"  # "no comment(s) (yet)"
    r"|(?:ال)?تعليقات?(?:\s|$)"  # "comments", "comment"
    r"|(?:اضف|اكتب|اترك|شارك)\s+(?:\S+\s+)?(?:تعليق|رد)"  # "add/leave a comment/reply"
    r"|(?:ال)?رد(?:ود)?$"  # a bare "reply"/"replies" button
    r"|\d+\s+(?:تعليق|تعليقات|comments?)"  # "3 comments"
    r"|(?:no\s+)?comments?(?:\s|$)"
    r"|(?:leave|add|post|write)\s+a\s+(?:comment|reply)"
    r"|reply$|replies$"
    r")"
)


@dataclass(frozen=True)
class Span:
    """A ``[start, end)`` range of code points in a document."""

    start: int
    end: int


@dataclass(frozen=True)
class Sentence(Span):
    """An answerable sentence and the heading of the section it belongs to (if any)."""

    section: str | None = None


@dataclass(frozen=True)
class Segmentation:
    """What :func:`segment` found in one document."""

    sentences: list[Sentence]
    headings: list[Span] = field(default_factory=list)
    excluded: Span | None = None  # the trailing reader-comment section, if any


def _lines(raw: str) -> list[Span]:
    spans = []
    for m in _LINE.finditer(raw):
        start, end = _strip(raw, m.start(), m.end())
        if start < end:
            spans.append(Span(start, end))
    return spans


def _strip(raw: str, start: int, end: int) -> tuple[int, int]:
    while start < end and raw[start].isspace():
        start += 1
    while end > start and raw[end - 1].isspace():
        end -= 1
    return start, end


def _is_abbreviation(raw: str, line_start: int, dot: int) -> bool:
    """A single ``.`` after an initial (``U.S.``) or a known abbreviation (``Dr.``)."""
    before = raw[max(line_start, dot - 12) : dot]
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    return bool(_INITIALISM.search(before)) or word.lower().rstrip(".") in _ABBREVIATIONS


def _continues(text: str, end: int) -> bool:
    """True when the next word starts in lower case: the sentence goes on (English
    ``"...?" rather than``, an ellipsis mid-sentence). Arabic letters have no case."""
    rest = text[end:].lstrip()
    return bool(rest) and rest[0].islower()


def split_line(raw: str, line: Span, language: str | None = None) -> list[Span]:
    """Split one line into sentence spans (``language``: the document's, when known)."""
    out = []
    start = line.start
    text = raw[line.start : line.end]
    for m in _END.finditer(text):
        end = line.start + m.end()
        if m.group() == "." and _is_abbreviation(raw, line.start, line.start + m.start()):
            continue
        if (
            m.group() == "."
            and language in _ORDINAL_LANGUAGES
            and _ORDINAL.search(text, 0, m.start())
            and m.end() < len(text)
        ):
            continue
        if _continues(text, m.end()):
            continue
        s, e = _strip(raw, start, end)
        if s < e:
            out.extend(_thai_split(raw, s, e))
        start = end
    s, e = _strip(raw, start, line.end)
    if s < e:
        out.extend(_thai_split(raw, s, e))
    return out


def _thai_split(raw: str, start: int, end: int) -> list[Span]:
    """``[start, end)`` split at the spaces that end Thai sentences (itself when not Thai)."""
    if end - start <= THAI_MIN_CHARS or not _HAS_THAI.search(raw, start, end):
        return [Span(start, end)]
    out = []
    for m in _THAI_SPACE.finditer(raw, start, end):
        if m.start() - start >= THAI_MIN_CHARS:
            out.extend(_capped(raw, start, m.start()))
            start = m.end()
    out.extend(_capped(raw, start, end))
    return out


def _capped(raw: str, start: int, end: int) -> list[Span]:
    """A Thai run longer than ``THAI_MAX_CHARS`` cut at its first spaces past the cap."""
    out = []
    while end - start > THAI_MAX_CHARS:
        m = _ANY_SPACE.search(raw, start + THAI_MAX_CHARS, end)
        if m is None:
            break
        out.append(Span(start, m.start()))
        start = m.end()
    out.append(Span(start, end))
    return out


def _words(text: str) -> int:
    return len(text.split())


def is_comment_marker(line: str) -> bool:
    """True for a short line that opens a reader-comment section or is a reply button."""
    norm = normalize(line)
    return (
        _words(norm) <= _MARKER_MAX_WORDS
        and not line.rstrip().endswith((".", "!", "?", "؟"))
        and bool(_COMMENT_MARKER.match(norm))
    )


def _is_heading(raw: str, line: Span, following: Span | None, language: str | None) -> bool:
    text = raw[line.start : line.end]
    return (
        following is not None
        and _words(text) <= _HEADING_MAX_WORDS
        # Chinese and Thai put no spaces between words: count characters instead.
        and (len(text) <= _HEADING_MAX_CHARS or not _UNSPACED.search(text))
        and not text.endswith(_CLOSING)
        and len(split_line(raw, line, language)) == 1
    )


def segment(raw: str, language: str | None = None) -> Segmentation:
    """Find the answerable sentences of ``raw``, its headings and its comment section.

    ``language`` (the document's) matters only for German and Turkish ordinals; scripts
    decide everything else, so Arabic and English split as they always have.
    """
    lines = _lines(raw)
    excluded = None
    for i, line in enumerate(lines):
        text = raw[line.start : line.end]
        # The first line is usually a title, which may well contain "comments"; only a bare
        # marker there ("Comments", "التعليقات") opens a document that is all comments.
        if is_comment_marker(text) and (i > 0 or _words(text) <= _FIRST_MARKER_MAX_WORDS):
            excluded = Span(line.start, len(raw))
            lines = lines[:i]
            break
    sentences: list[Sentence] = []
    headings: list[Span] = []
    section: str | None = None
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else None
        if _is_heading(raw, line, following, language):
            headings.append(line)
            section = raw[line.start : line.end]
            continue
        sentences.extend(Sentence(s.start, s.end, section) for s in split_line(raw, line, language))
    return Segmentation(sentences, headings, excluded)
