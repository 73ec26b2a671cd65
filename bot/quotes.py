"""Quote integrity: is a quoted text really in the document at the offsets given, and if not,
where is it?

The quote is compared with the document at the given offsets, first exactly, then after
Arabic normalisation (normalize.py: diacritics, tatweel, letter variants, digits). When it is
not there, Sanad looks for it in the whole document: exactly, then after normalisation,
then tolerant of small edits (a changed word or number: at least ``FUZZY_AT`` of the folded
characters match, difflib's ratio). The client's input is never corrected: the check reports
where the quote really is (``found_start``/``found_end``) and what differs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .claims import fold
from .corpus import Document
from .normalize import normalize

#: Smallest difflib ratio (over the folded text) at which a quote counts as found with edits.
FUZZY_AT = 0.8
#: The longest quote Sanad relocates (characters); longer quotes are checked at their offsets.
MAX_QUOTE_CHARS = 1000


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
    return tuple(f"{quote[i1:i2]!r} -> {found[j1:j2]!r}"
                 for op, i1, i2, j1, j2 in sm.get_opcodes() if op != "equal")[:10]


def locate(raw: str, quote: str) -> tuple[str, int, int] | None:
    """Where ``quote`` is in ``raw``: ("exact" | "normalized" | "approximate", start, end)."""
    if not quote.strip() or len(quote) > MAX_QUOTE_CHARS:
        return None
    i = raw.find(quote)
    if i >= 0:
        return "exact", i, i + len(quote)
    folded, idx = fold(raw)
    fq = fold(quote)[0].strip()
    i = folded.find(fq)
    if i >= 0:
        return "normalized", idx[i], idx[i + len(fq) - 1] + 1
    block = difflib.SequenceMatcher(None, folded, fq).find_longest_match(
        0, len(folded), 0, len(fq))
    if block.size == 0:
        return None
    anchor = block.a - block.b  # where the quote would start if the block is in place
    best = (0.0, 0, 0)
    slack = max(3, len(fq) // 10)
    step = max(1, slack // 8)  # at most ~17 starts x 3 lengths, whatever the quote's length
    for s in range(max(0, anchor - slack), min(len(folded), anchor + slack) + 1, step):
        for length in (len(fq) - slack, len(fq), len(fq) + slack):
            e = min(len(folded), s + max(1, length))
            r = difflib.SequenceMatcher(None, folded[s:e], fq, autojunk=False).ratio()
            if r > best[0]:
                best = (r, s, e)
    # Refine the start, then the end, one character at a time while the ratio improves.
    def ratio(a: int, b: int) -> float:
        return difflib.SequenceMatcher(None, folded[a:b], fq, autojunk=False).ratio()

    for edge in (1, 2):
        improved = True
        while improved:
            improved = False
            for d in (-1, 1):
                a, b = (best[1] + d, best[2]) if edge == 1 else (best[1], best[2] + d)
                if 0 <= a < b <= len(folded) and (r := ratio(a, b)) > best[0]:
                    best, improved = (r, a, b), True
                    break
    r, s, e = best
    if r < FUZZY_AT:
        return None
    while s < e and folded[s].isspace():
        s += 1
    return "approximate", idx[s], idx[e - 1] + 1


def check_quote(doc: Document | None, doc_id: str, start: int, end: int,
                quote: str) -> QuoteCheck:
    """Compare ``quote`` with ``doc.raw[start:end]``; when it differs, find where it is."""
    if doc is None:
        return QuoteCheck(doc_id, start, end, quote, False, False, False, None,
                          f"no document {doc_id!r}: GET /v1/documents lists the ids")
    inside = 0 <= start < end <= len(doc.raw)
    source = doc.raw[start:end] if inside else None
    if source == quote:
        return QuoteCheck(doc_id, start, end, quote, True, True, True, source,
                          "the quote matches the source exactly", "at_offsets", start, end,
                          source)
    if source is not None and normalize(source) == normalize(quote):
        return QuoteCheck(doc_id, start, end, quote, True, False, True, source,
                          "the quote matches only after normalisation (diacritics, letter "
                          "variants or digits differ); source_text is the exact text",
                          "at_offsets", start, end, source,
                          _differences(quote, source))
    where = "" if inside else (f"offsets [{start}, {end}) are outside document {doc_id!r} "
                               f"(0 to {len(doc.raw)}, start < end); ")
    at = "" if not inside else "the quote is not at these offsets; "
    loc = locate(doc.raw, quote)
    if loc is None:
        return QuoteCheck(doc_id, start, end, quote, inside, False, False, source,
                          f"{where}{at}the quote is nowhere in the document, not even with "
                          "small edits")
    how, fs, fe = loc
    text = doc.raw[fs:fe]
    found = {"exact": "elsewhere", "normalized": "elsewhere_normalized",
             "approximate": "approximate"}[how]
    said = {"exact": f"it is at [{fs}, {fe})",
            "normalized": f"it is at [{fs}, {fe}) after normalisation",
            "approximate": f"the closest text, with small differences, is at [{fs}, {fe})"}[how]
    return QuoteCheck(doc_id, start, end, quote, inside, False, False, source,
                      f"{where}{at}{said}", found, fs, fe, text,
                      () if how == "exact" else _differences(quote, text))
