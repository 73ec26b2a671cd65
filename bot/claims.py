"""Comparable facts of a text, with their spans: numbers, dates, ordinals, names, negation.

A claim is checked by comparing *values*, not strings: "8 آلاف", "8,000" and "٨٠٠٠" are the
number 8000; "كانون الثاني/يناير" and "January" are month 1; "ثالث أكبر" and "third-largest"
are rank 3 and a bare "largest"/"أكبر" is rank 1; "بايدن" and "President Joe Biden" are the
person ``biden`` (entities.py). Every fact keeps the code-point span of the text it came from,
so a verdict can point at the words it compared.

Matching runs on a *folded* copy of the text (normalize.py's spelling, one folded character
per original character or more) and maps spans back through :func:`fold`'s index, so the
offsets are always those of the original text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from .entities import BY_ID, patterns
from .lexical import tokenize
from .normalize import _DIACRITICS, _TRANSLATE
from .phrasing import (
    among,
    exceptive_negations,
    negated_comparatives,
    number_bound,
    relative_years,
    reversing_words,
)

KINDS = ("number", "date", "ordinal", "name", "negation")


@dataclass(frozen=True)
class Fact:
    """One comparable value found in a text."""

    kind: str  # number | date | ordinal | name | negation
    slot: str  # what is compared with what: count, year, month, rank, an entity type, polarity
    value: str  # canonical value: "8000", "2022", "1", "biden", "unknown:west point", "not"
    start: int  # code-point span in the original text
    end: int
    text: str
    unit: frozenset[str] = frozenset()  # a count's noun ("troops", "جندي"), stemmed
    bound: str = ""  # a number's ">" (more than, أكثر من) or "<" (less than, أقل من); a
    # rank's "among" ("one of the first", «أحد أقرب»)


@dataclass(frozen=True)
class Word:
    """A content word with its stems (lexical.py) and span."""

    stems: frozenset[str]
    start: int
    end: int
    text: str


#: Each character's folded spelling, memoised (texts reuse few characters).
_FOLDED: dict[str, str] = {}


def fold(text: str) -> tuple[str, list[int]]:
    """The matching spelling of ``text`` and, for each folded character, its original index
    (plus one final entry ``len(text)``)."""
    out: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(text):
        f = _FOLDED.get(ch)
        if f is None:
            f = _FOLDED[ch] = (
                _DIACRITICS.sub("", unicodedata.normalize("NFKC", ch))
                .translate(_TRANSLATE)
                .casefold()
            )
        out.append(f)
        idx.extend([i] * len(f))
    idx.append(len(text))
    return "".join(out), idx


def _span(text: str, idx: list[int], a: int, b: int) -> tuple[int, int]:
    """Original span of folded ``[a, b)``, extended over trailing diacritics."""
    start, end = idx[a], idx[b - 1] + 1
    while end < len(text) and _DIACRITICS.match(text[end]):
        end += 1
    return start, end


_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MULT = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "الاف": 1e3,
    "الف": 1e3,
    "الفا": 1e3,
    "مليون": 1e6,
    "ملايين": 1e6,
    "مليار": 1e9,
    "مليارات": 1e9,
}
_WORDS_EN = {
    w: i
    for i, w in enumerate(
        "zero _one two three four five six seven eight nine ten eleven twelve".split()
    )
}
del _WORDS_EN["zero"], _WORDS_EN["_one"]  # "one of the first": not a count to check
_WORDS_EN.update(twenty=20, thirty=30, forty=40, fifty=50, hundred=100, dozen=12, decade=10)
# "a million dollars", "مليون دولار": an amount without digits is still an amount to check.
_WORDS_EN.update(million=1_000_000, billion=1_000_000_000)
_WORDS_AR = {
    "اثنان": 2,
    "اثنين": 2,
    "اثنتان": 2,
    "اثنتين": 2,
    "ثلاث": 3,
    "ثلاثه": 3,
    "اربع": 4,
    "اربعه": 4,
    "خمس": 5,
    "خمسه": 5,
    "ست": 6,
    "سته": 6,
    "سبع": 7,
    "سبعه": 7,
    "ثماني": 8,
    "ثمانيه": 8,
    "ثمان": 8,
    "تسع": 9,
    "تسعه": 9,
    "عشر": 10,
    "عشره": 10,
    "عشرون": 20,
    "عشرين": 20,
    "ثلاثون": 30,
    "ثلاثين": 30,
    "اربعون": 40,
    "اربعين": 40,
    "خمسون": 50,
    "خمسين": 50,
    "مئه": 100,
    "مائه": 100,
    "عقد": 10,
    "عقدين": 20,
    "عقدان": 20,
    "مليون": 1_000_000,
    "مليار": 1_000_000_000,
}
#: Arabic duals: the number two in the noun's ending (ألفين two thousand, مرتين twice,
#: عامين two years), with the noun the count is of (None: the word after, as for digits).
_DUALS: dict[str, tuple[float, str | None]] = {
    **dict.fromkeys(("الفين", "الفان"), (2e3, None)),
    **dict.fromkeys(("مليونين", "مليونان"), (2e6, None)),
    **dict.fromkeys(("مليارين", "ملياران"), (2e9, None)),
    **dict.fromkeys(("عامين", "عامان", "سنتين", "سنتان"), (2.0, "عام")),
    **dict.fromkeys(("مرتين", "مرتان"), (2.0, "مره")),
    **dict.fromkeys(("شهرين", "شهران"), (2.0, "شهر")),
    **dict.fromkeys(("يومين", "يومان"), (2.0, "يوم")),
    **dict.fromkeys(("اسبوعين", "اسبوعان"), (2.0, "اسبوع")),
}
_NUMBER = re.compile(
    rf"(?:(?<![\w.,])|(?<=\b[وف]))(?P<d>{_DIGITS})(?:\s*(?P<m>{'|'.join(_MULT)}))?"
    r"(?![^\W\d_s]|\d|s\w)|"
    rf"(?<!\w)[وفبل]?(?:ال)?(?P<dual>{'|'.join(_DUALS)})(?!\w)|"
    # "وثلاثة آلاف": a number word after the conjunction و/ف too.
    rf"(?<!\w)(?P<pre>[وف])?(?:ال)?(?P<w>{'|'.join(sorted(_WORDS_AR, key=len, reverse=True))}|"
    rf"{'|'.join(sorted(_WORDS_EN, key=len, reverse=True))})"
    rf"(?:\s+(?P<wm>{'|'.join(_MULT)}))?(?!\w)"
)
_ORD_EN = {
    w: i + 1
    for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth".split()
    )
}
_ORD_AR = {
    "اول": 1,
    "اولى": 1,
    "ثاني": 2,
    "ثانيه": 2,
    "ثالث": 3,
    "ثالثه": 3,
    "رابع": 4,
    "رابعه": 4,
    "خامس": 5,
    "خامسه": 5,
    "سادس": 6,
    "سادسه": 6,
    "سابع": 7,
    "ثامن": 8,
    "تاسع": 9,
    "عاشر": 10,
}
_SUPER = r"largest|biggest|greatest|اكبر|اضخم"
#: Superlatives from the other end: rank -1 is the smallest, -2 the second-smallest ("least"
#: and أقل are left out: "at least", «على الأقل»).
_LEAST = r"smallest|fewest|lowest|اصغر|ادنى"
_ORDINAL = re.compile(
    r"(?<=\bthe )(?P<last>last)\b|(?<!\w)(?P<akhir>اخر)(?=\s+ال)|"
    rf"(?<!\w)(?:ال)?(?P<o>{'|'.join(sorted({**_ORD_EN, **_ORD_AR}, key=len, reverse=True))}"
    rf"|(?P<n>\d+)(?:st|nd|rd|th))(?:[- ](?:ال)?(?:(?P<s>{_SUPER})|(?P<low>{_LEAST})))?(?!\w)|"
    rf"(?<!\w)(?:ال)?(?:(?P<sup>{_SUPER})|(?P<least>{_LEAST}))(?!\w)(?!\s+من\b)"
)
_MONTHS_EN = (
    "January February March April May June July August September October November December"
).split()
_MONTHS_LEV = [
    "كانون الثاني",
    "شباط",
    "اذار",
    "نيسان",
    "ايار",
    "حزيران",
    "تموز",
    "اب",
    "ايلول",
    "تشرين الاول",
    "تشرين الثاني",
    "كانون الاول",
]
_MONTHS_EG = [
    "يناير",
    "فبراير",
    "مارس",
    "ابريل|نيسان",
    "مايو",
    "يونيو|يونيه",
    "يوليو|يوليه",
    "اغسطس",
    "سبتمبر",
    "اكتوبر",
    "نوفمبر",
    "ديسمبر",
]
_MONTH_AR = re.compile(
    "|".join(
        rf"(?<!\w)(?:[وف]?(?:في|ب)\s*)?(?P<m{i}>(?:{lev})\s*/\s*(?:{eg})|{eg}"
        + (rf"|{lev}" if lev != "اب" else "")
        + r")(?!\w)"
        for i, (lev, eg) in enumerate(zip(_MONTHS_LEV, _MONTHS_EG, strict=True))
    )
)
_MONTH_EN = re.compile(
    r"\b(?:" + "|".join(m for m in _MONTHS_EN if m != "May") + r"|May(?=\s+\d)|(?<=in )May)\b"
)
_NEGATION = re.compile(
    r"(?<!\w)(?:not|never|no|none|neither|nor|cannot|without)(?!\w)(?!\.\s*\d)|n['’]t\b|"
    r"(?<!\w)[وف]?(?:لم|لن|ليس|ليست|ليسوا|لا|غير|عدم|دون)(?!\w)(?!\s+سيما)"
)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|bin\s+|al-|Al\s+)?[A-Z][\w'’-]*)*")
#: Capitalised words that are titles or sentence openers, not names.
_NOT_NAMES = set(
    """The A An In On At During For From Every Since After Before It Its This That
These Those According Both Each No Not Yes President King Queen Prince Sheikh Emir Defence
Defense Secretary Minister Prime Air Base Squadron Royal Military Academy Major Non Also And But Or
However Today Army Navy Forces Force Joint State Sir Mr Mrs Dr General Commander He She They We
Was Were Is Are Has Have Had Did Does Do Qatar's There Their His Her
When While Where Whereas If Although Though Because Once Until Unlike Despite Upon""".split()
)
#: Words before a name that make it a person's ("President Emmanuel Macron").
_PERSON_TITLES = set(
    """President King Queen Prince Princess Sheikh Emir Secretary Minister Sir Mr Mrs Ms Dr
General Commander Admiral Colonel Ambassador Chancellor Governor Senator Lord Lady""".split()
)
_UNIT_SKIP = set(
    """to and or than more over about around nearly almost some of the a an in
from up between over under roughly approximately من و او الى بين نحو حوالي قرابه اكثر اقل
واكثر واقل زهاء ما يزيد على""".split()
)
_DECADES = {"decade", "عقد", "عقدين", "عقدان"}
#: The unit of a decade: it compares with "twenty years", "عشرين عاماً".
_YEARS = frozenset(tokenize("years year عام عاما اعوام سنه سنوات"))
_DECADE_UNIT = frozenset(tokenize("decades decade عقود"))
_CURRENCY = frozenset(tokenize("dollars pounds euros riyals دولار جنيه يورو ريال"))
#: A number after these is a designation (No. 12 Squadron, السرب رقم 12), not a quantity.
_LABEL = re.compile(r"(?:\bno\.?|\bnumber|رقم|#)\s*$")
_CLAUSE = re.compile(r"(?:,(?!\d)|(?<!\d),|[،;؛:])\s*|\s+[-–—]\s+")  # not "8,000"
_WORD = re.compile(r"\w+")
_YEAR = re.compile(r"(?<![\d,.])(?:1[89]|20)\d\d(?![\d,])")


def _number_value(m: re.Match) -> tuple[float, bool] | None:
    if m.group("d"):
        v = float(m.group("d").replace(",", ""))
        mult = m.group("m")
    elif m.group("dual"):
        return _DUALS[m.group("dual")][0], True
    else:
        w = m.group("w")
        v = float(_WORDS_AR.get(w, _WORDS_EN.get(w, 0)))
        mult = m.group("wm")
    return v * _MULT.get(mult or "", 1.0), bool(mult)


def _canon(v: float) -> str:
    return str(int(v)) if v == int(v) else str(v)


def _unit(folded: str, idx: list[int], end: int, names: list[Fact]) -> frozenset[str]:
    """The stems of the noun after a number (skipping "more than", "about" and names)."""
    for m in list(_WORD.finditer(folded, end, min(len(folded), end + 60)))[:3]:
        a = idx[m.start()]
        if any(f.start <= a < f.end for f in names):
            continue
        if (
            m.group() not in _UNIT_SKIP
            and m.group() not in _MULT
            and not any(c.isdigit() for c in m.group())
            and not _NUMBER.fullmatch(m.group())  # "ألفين وثلاثة آلاف": no unit yet
        ):
            return frozenset(tokenize(m.group()))
    return frozenset()


def _numbers(text: str, folded: str, idx: list[int], names: list[Fact]) -> list[Fact]:
    out = []
    for m in _NUMBER.finditer(folded):
        if m.group("pre") and m.group("w") in _DECADES:
            continue  # وعقد: "and held", not "and a decade"
        value, multiplied = _number_value(m)
        a, b = _span(text, idx, m.start(), m.end())
        digits = m.group("d") or ""
        if digits.isdigit() and len(digits) == 4 and folded[m.end() : m.end() + 1] == "s":
            out.append(Fact("date", "decade", digits, a, b + 1, text[a : b + 1]))
            continue
        if digits.isdigit() and not multiplied and len(digits) == 4 and 1800 <= value <= 2100:
            out.append(Fact("date", "year", digits, a, b, text[a:b]))
            continue
        word = m.group("w") or ""
        noun = _DUALS[m.group("dual")][1] if m.group("dual") else None
        unit = (
            _YEARS
            if word in _DECADES or noun == "عام"
            else frozenset(tokenize(noun))
            if noun
            else _unit(folded, idx, m.end(), names)
        )
        if unit & _DECADE_UNIT and word not in _DECADES:
            value, unit = value * 10, _YEARS  # "two decades", «ثلاثة عقود»: years
        slot = (
            "label"
            if _LABEL.search(folded[max(0, m.start() - 8) : m.start()])
            else "money"
            if unit & _CURRENCY
            else "count"
        )
        bound = number_bound(folded[max(0, m.start() - 24) : m.start()])
        out.append(Fact("number", slot, _canon(value), a, b, text[a:b], unit, bound))
    return out


def _ordinals(text: str, folded: str, idx: list[int]) -> list[Fact]:
    out = []
    for _, c0, c1 in negated_comparatives(folded):
        a, b = _span(text, idx, c0, c1)
        out.append(Fact("ordinal", "rank", "1", a, b, text[a:b]))
    for m in _ORDINAL.finditer(folded):
        if m.group("last") or m.group("akhir"):
            rank = -1  # "the last", «آخر الأماكن» (آخر before an indefinite noun: "another")
        elif m.group("sup") or m.group("least"):
            rank = 1
        elif m.group("n"):
            rank = int(m.group("n"))
        else:
            rank = {**_ORD_EN, **_ORD_AR}[m.group("o")]
        if m.group("low") or m.group("least"):
            rank = -rank  # counted from the smallest
        a, b = _span(text, idx, m.start(), m.end())
        # "one of the first": a rank shared with others, which "the first" is not.
        bound = "among" if among(folded[max(0, m.start() - 40) : m.start()]) else ""
        out.append(Fact("ordinal", "rank", str(rank), a, b, text[a:b], bound=bound))
    return out


def _months(text: str, folded: str, idx: list[int]) -> list[Fact]:
    out = []
    for m in _MONTH_AR.finditer(folded):
        i = next(int(k[1:]) for k, v in m.groupdict().items() if v)
        a, b = _span(text, idx, m.start(f"m{i}"), m.end(f"m{i}"))
        out.append(Fact("date", "month", str(i + 1), a, b, text[a:b]))
    for m in _MONTH_EN.finditer(text):
        out.append(
            Fact(
                "date", "month", str(_MONTHS_EN.index(m.group()) + 1), m.start(), m.end(), m.group()
            )
        )
    return out


def mentions(text: str, folded: str | None = None, idx: list[int] | None = None) -> list[Fact]:
    """Every spelling of a known entity in ``text``, nested ones included ("Qatar" inside
    "Emir of Qatar"), as name facts."""
    return list(_mentions(text))


@lru_cache(maxsize=256)
def _mentions(text: str) -> tuple[Fact, ...]:
    # Cached: a claim's names are needed for its facts and for its mentions.
    folded, idx = fold(text)
    found = []
    for eid, pattern, script in patterns():
        for m in pattern.finditer(text if script == "en" else folded):
            a, b = (
                (m.start(1), m.end(1)) if script == "en" else _span(text, idx, m.start(1), m.end(1))
            )
            found.append(Fact("name", BY_ID[eid].type, eid, a, b, text[a:b]))
    return tuple(found)


def _names(text: str, folded: str, idx: list[int]) -> list[Fact]:
    found = mentions(text, folded, idx)
    out: list[Fact] = []
    for f in sorted(found, key=lambda f: (f.start - f.end, f.start)):  # longest spelling wins
        if not any(g.start < f.end and f.start < g.end for g in out):
            out.append(f)
    for m in _CAPITALISED.finditer(text):
        words = m.group().split()
        while words and words[0].rstrip("'’s") in _NOT_NAMES | {"of"}:
            words.pop(0)
        while words and words[-1] in _NOT_NAMES | {"of", "bin", "Al"}:
            words.pop()
        if not words:
            continue
        name = " ".join(words)
        a = text.find(name, m.start())
        if a < 0:
            continue
        for a2, b2 in _outside(a, a + len(name), [(g.start, g.end) for g in out]):
            piece = text[a2:b2].strip(" '’-")
            # A title left at the front once a listed name before it is taken out ("French
            # President Emmanuel Macron") is no part of the name, but says it is a person's.
            lead = piece.split()
            titled = bool(lead) and lead[0] in _PERSON_TITLES
            while len(lead) > 1 and lead[0] in _NOT_NAMES:
                lead.pop(0)
            piece = " ".join(lead)
            a2 = text.find(piece, a2)
            before = text[max(0, a2 - 40) : a2].split()
            titled = titled or bool(before) and before[-1] in _PERSON_TITLES
            single = " " not in piece
            if (
                not piece
                or piece in _NOT_NAMES
                or piece[0].islower()
                or (single and (a2 == 0 or text[:a2].rstrip().endswith((".", "!", "?"))))
            ):
                continue  # a sentence's first word is capitalised anyway
            slot = "person" if titled else "unknown"
            value = "unknown:" + piece.casefold()
            out.append(Fact("name", slot, value, a2, a2 + len(piece), piece))
    return out


def _outside(a: int, b: int, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``[a, b)`` outside the ``taken`` spans."""
    parts = [(a, b)]
    for s, e in taken:
        parts = [p for x, y in parts for p in ((x, min(y, s)), (max(x, e), y)) if p[0] < p[1]]
    return parts


def _negations(text: str, folded: str, idx: list[int]) -> list[Fact]:
    out = []
    # A negation that makes a superlative or an exceptive negates nothing (phrasing.py).
    spent = [n for n, _, _ in negated_comparatives(folded)] + exceptive_negations(folded)
    for m in _NEGATION.finditer(folded):
        if any(n <= m.start() < n + 4 for n in spent):
            continue
        a, b = _span(text, idx, m.start(), m.end())
        out.append(Fact("negation", "polarity", "not", a, b, text[a:b]))
    for s, e in reversing_words(folded):
        a, b = _span(text, idx, s, e)
        out.append(Fact("negation", "polarity", "not", a, b, text[a:b]))
    return sorted(out, key=lambda f: f.start)


def _folded_at(idx: list[int], a: int) -> int:
    """The folded index of original index ``a`` (its first folded character)."""
    return bisect_left(idx, a)


def _relative(text: str, folded: str, idx: list[int], numbers: list[Fact]) -> list[Fact]:
    years = [
        (_folded_at(idx, f.start), _folded_at(idx, f.end), int(f.value))
        for f in numbers
        if f.slot == "year"
    ]
    out = []
    for s, e, year in relative_years(folded, years):
        a, b = _span(text, idx, s, e)
        out.append(Fact("date", "year", str(year), a, b, text[a:b]))
    return out


def facts(text: str) -> list[Fact]:
    """The comparable facts of ``text``, in text order, never overlapping.

    Earlier extractors win an overlap: months ("كانون الثاني" is not the ordinal "second"),
    names ("F-35" is not the number 35, "Fifth Fleet" not an ordinal), numbers, ordinals.
    """
    folded, idx = fold(text)
    names = _names(text, folded, idx)
    numbers = _numbers(text, folded, idx, names)
    found: list[Fact] = []
    for extracted in (
        _months(text, folded, idx),
        names,
        _relative(text, folded, idx, numbers),  # "a year after", before "two" is a count
        numbers,
        _ordinals(text, folded, idx),
        _negations(text, folded, idx),
    ):
        for f in extracted:
            if not any(g.start < f.end and f.start < g.end for g in found):
                found.append(f)
    return sorted(found, key=lambda f: f.start)


def words(text: str, skip: list[Fact] = ()) -> list[Word]:
    """Content words of ``text`` (stop words dropped) outside the spans in ``skip``."""
    folded, idx = fold(text)
    out = []
    for m in _WORD.finditer(folded):
        a, b = _span(text, idx, m.start(), m.end())
        if any(f.start < b and a < f.end for f in skip):
            continue
        stems = frozenset(tokenize(m.group()))
        if stems:
            out.append(Word(stems, a, b, text[a:b]))
    return out


def clauses(text: str) -> list[tuple[int, int]]:
    """Spans of the clauses of ``text``: split at commas, semicolons, colons and dashes, and
    before a relative year ("1972, a year after …", «1972 أي بعد سنة من …»), which dates
    another event."""
    folded, idx = fold(text)
    cuts = [(m.start(), m.end()) for m in _CLAUSE.finditer(text)]
    years = [(m.start(), m.end(), int(m.group())) for m in _YEAR.finditer(folded)]
    cuts += [(idx[s], idx[s]) for s, _, _ in relative_years(folded, years)]
    out, start = [], 0
    for a, b in sorted(cuts):
        if a < start:
            continue
        if text[start:a].strip():
            out.append((start, a))
        start = b
    if text[start:].strip():
        out.append((start, len(text.rstrip())))
    return out or [(0, len(text))]
