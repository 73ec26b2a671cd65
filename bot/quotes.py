"""Quote integrity: is a quoted text really in the document at the offsets given, and if not,
where is it?

The quote is compared with the document at the given offsets, first exactly, then after
Arabic normalisation (normalize.py: diacritics, tatweel, letter variants, digits). When it is
not there, Sanad looks for it in the whole document: exactly, then after normalisation,
then tolerant of small edits (a changed word or number: at least ``FUZZY_AT`` of the words
match, difflib's ratio over the folded words). The client's input is never corrected: the
check reports
where the quote really is (``found_start``/``found_end``) and what differs.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from .claims import fold
from .corpus import Document
from .normalize import normalize

#: Smallest difflib ratio (over the folded text) at which a quote counts as found with edits.
FUZZY_AT = 0.8
#: The longest quote Sanad accepts (characters).
MAX_QUOTE_CHARS = 1000
_WORDS = re.compile(r"\S+")


@dataclass(frozen=True)
class QuoteCheck:
    """Whether a quote is really in the document at the offsets given, and where it is."""

    doc_id: str
    start: int
    end: int
    quote: str
    exists: bool  # the document exists and the offsets lie inside it
    exact: bool  # the document's text at [start, end) equals the quote
    normalized: bool  # equal after Arabic normalisation
    source_text: str | None  # what the document really says at [start, end)
    message: str
    found: str = "not_found"  # where the quote is: at_offsets | elsewhere | approximate | ...
    found_start: int | None = None  # where the quote (or its closest text) really is
    found_end: int | None = None
    found_text: str | None = None
    differences: tuple[str, ...] = ()  # "'1971' -> '1972'" per differing stretch


def _differences(quote: str, found: str) -> tuple[str, ...]:
    sm = difflib.SequenceMatcher(None, quote, found, autojunk=False)
    return tuple(
        f"{quote[i1:i2]!r} -> {found[j1:j2]!r}"
        for op, i1, i2, j1, j2 in sm.get_opcodes()
        if op != "equal"
    )[:10]


@lru_cache(maxsize=8)
def _fold_document(raw: str) -> tuple[str, list[int]]:
    # Cached: the quotes of one request usually point into the same document.
    return fold(raw)


def locate(raw: str, quote: str) -> tuple[str, int, int] | None:
    """Where ``quote`` is in ``raw``: ("exact" | "normalized" | "approximate", start, end).

    The approximate search compares *words* of the folded texts (difflib over word lists), in
    a bounded number of windows around the longest common run of words, so its cost stays a
    few milliseconds for a 1,000-character quote whatever the quote looks like.
    """
    if not quote.strip() or len(quote) > MAX_QUOTE_CHARS:
        return None
    i = raw.find(quote)
    if i >= 0:
        return "exact", i, i + len(quote)
    folded, idx = _fold_document(raw)
    fq = fold(quote)[0].strip()
    i = folded.find(fq)
    if i >= 0:
        return "normalized", idx[i], idx[i + len(fq) - 1] + 1
    spans = [m.span() for m in _WORDS.finditer(folded)]
    words = [folded[a:b] for a, b in spans]
    qwords = _WORDS.findall(fq)
    if not qwords or not words:
        return None
    block = difflib.SequenceMatcher(None, words, qwords, autojunk=False).find_longest_match(
        0, len(words), 0, len(qwords)
    )
    if block.size == 0:
        return None
    anchor = block.a - block.b  # where the quote would start if the run is in place
    slack = max(2, len(qwords) // 10)

    sm = difflib.SequenceMatcher(None, autojunk=False)
    sm.set_seq2(qwords)  # the quote's index is built once for every window

    def ratio(a: int, b: int) -> float:
        sm.set_seq1(words[a:b])
        return sm.ratio()

    # The start first (with room for inserted words), then the end: 2 x (2 slack + 1)
    # comparisons.
    n = len(qwords)
    lo = min(max(0, anchor - slack), len(words) - 1)
    starts = range(lo, max(lo, min(len(words) - 1, anchor + slack)) + 1)
    s = max(
        starts,
        key=lambda a: (
            ratio(a, min(len(words), a + n + slack)),
            words[a] == qwords[0],
            -abs(a - anchor),
        ),
    )
    lo = min(max(s + 1, s + n - slack), len(words))
    ends = range(lo, max(lo, min(len(words), s + n + slack)) + 1)
    e = max(ends, key=lambda b: (ratio(s, b), words[b - 1] == qwords[-1], -abs(b - s - n)))
    r = ratio(s, e)
    if r < FUZZY_AT:
        return None
    return "approximate", idx[spans[s][0]], idx[spans[e - 1][1] - 1] + 1


def check_quote(doc: Document | None, doc_id: str, start: int, end: int, quote: str) -> QuoteCheck:
    """Compare ``quote`` with ``doc.raw[start:end]``; when it differs, find where it is."""
    if doc is None:
        return QuoteCheck(
            doc_id,
            start,
            end,
            quote,
            False,
            False,
            False,
            None,
            f"no document {doc_id!r}: GET /v1/documents lists the ids",
        )
    inside = 0 <= start < end <= len(doc.raw)
    source = doc.raw[start:end] if inside else None
    if source == quote:
        return QuoteCheck(
            doc_id,
            start,
            end,
            quote,
            True,
            True,
            True,
            source,
            "the quote matches the source exactly",
            "at_offsets",
            start,
            end,
            source,
        )
    if source is not None and normalize(source) == normalize(quote):
        return QuoteCheck(
            doc_id,
            start,
            end,
            quote,
            True,
            False,
            True,
            source,
            "the quote matches only after normalisation (diacritics, letter "
            "variants or digits differ); source_text is the exact text",
            "at_offsets",
            start,
            end,
            source,
            _differences(quote, source),
        )
    where = (
        ""
        if inside
        else (
            f"offsets [{start}, {end}) are outside document {doc_id!r} "
            f"(0 to {len(doc.raw)}, start < end); "
        )
    )
    at = "" if not inside else "the quote is not at these offsets; "
    loc = locate(doc.raw, quote)
    if loc is None:
        return QuoteCheck(
            doc_id,
            start,
            end,
            quote,
            inside,
            False,
            False,
            source,
            f"{where}{at}the quote is nowhere in the document, not even with small edits",
        )
    how, fs, fe = loc
    text = doc.raw[fs:fe]
    found = {
        "exact": "elsewhere",
        "normalized": "elsewhere_normalized",
        "approximate": "approximate",
    }[how]
    said = {
        "exact": f"it is at [{fs}, {fe})",
        "normalized": f"it is at [{fs}, {fe}) after normalisation",
        "approximate": f"the closest text, with small differences, is at [{fs}, {fe})",
    }[how]
    return QuoteCheck(
        doc_id,
        start,
        end,
        quote,
        inside,
        False,
        False,
        source,
        f"{where}{at}{said}",
        found,
        fs,
        fe,
        text,
        () if how == "exact" else _differences(quote, text),
    )
