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
_END = re.compile(r"[.!?؟…۔]+[\"'»”’)\]]*(?=\s|$)")
_INITIALISM = re.compile(r"(?:^|[\s(])(?:[A-Za-z]\.)*[A-Za-z]$")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr gen col lt sgt capt gov sen rep vs etc no inc ltd co jan feb "
    "mar apr jun jul aug sep sept oct nov dec approx vol fig al".split()
)
_CLOSING = tuple(".!?؟…۔:؛،;,\"'»”’)]")
_HEADING_MAX_WORDS = 12
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


def split_line(raw: str, line: Span) -> list[Span]:
    """Split one line into sentence spans."""
    out = []
    start = line.start
    text = raw[line.start : line.end]
    for m in _END.finditer(text):
        end = line.start + m.end()
        if m.group() == "." and _is_abbreviation(raw, line.start, line.start + m.start()):
            continue
        if _continues(text, m.end()):
            continue
        s, e = _strip(raw, start, end)
        if s < e:
            out.append(Span(s, e))
        start = end
    s, e = _strip(raw, start, line.end)
    if s < e:
        out.append(Span(s, e))
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


def _is_heading(raw: str, line: Span, following: Span | None) -> bool:
    text = raw[line.start : line.end]
    return (
        following is not None
        and _words(text) <= _HEADING_MAX_WORDS
        and not text.endswith(_CLOSING)
        and len(split_line(raw, line)) == 1
    )


def segment(raw: str) -> Segmentation:
    """Find the answerable sentences of ``raw``, its headings and its comment section."""
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
        if _is_heading(raw, line, following):
            headings.append(line)
            section = raw[line.start : line.end]
            continue
        sentences.extend(Sentence(s.start, s.end, section) for s in split_line(raw, line))
    return Segmentation(sentences, headings, excluded)
