"""Phrasings that change what a text's facts mean, read on the folded text (claims.py).

* A **negated comparative** states a superlative: "no country buys more US defence systems
  than Qatar", «لا توجد منشأة أميركية أكبر من قاعدة العديد» say rank 1, and their "no"/لا
  is not a negation of the sentence. A number after "than"/من makes a bound instead ("not
  more than 10,000", «لا يزيد عن أكثر من 10 آلاف»), which is left alone.
* An **exceptive** is no negation: «لم تبدأ العلاقات إلا في عام 1985» and "did not begin
  until 1985" say the relations began in 1985; nor is "not only … but also", «ليس فقط»,
  «لا … فحسب», which adds to what it seems to deny.
* A **relative year** dates a second event from the year just before it: "began in 1972, a
  year after Qatar's independence", «عام 1972 أي بعد سنة من استقلال قطر» date the
  independence 1971. The phrase also starts a clause, so the two years belong to two events.

* A number's **bound**: "more than a decade", «أكثر من 10 آلاف» (">"), "less than a decade",
  «أقل من عقد» ("<"); the same number with opposite bounds is a different fact.

* **Reversing words** negate the predicate they stand for as "not" does: "refused to host",
  "ended", "lost", "opposes", "undermined", "rivals", «رفضت», «أنهت», «خسرت», «تعارض»
  (read as negations by claims.py).
* **Opposite evaluations**: a claim calling "minor" / «ثانوي» what the passage calls "main",
  "important" / «رئيسي», «مهم» (a short list of both poles, compared by stem).

* **Membership in a rank**: "one of the first places", «واحدة من الأماكن الأولى», «أحد أقرب
  شركاء», «من أقرب» name a rank among others; "the first place" alone claims it outright, which
  "one of" does not state (the ordinal's bound "among").
* **Temporal relations**: "before"/"after", «قبل»/«بعد» the same anchor ("before his
  appointment" against "after his appointment") are opposite relations.
* **Service branches**: army, navy, air force, marines, coast guard, «الجيش», «القوات
  البحرية», «القوات الجوية»: another branch of the same country is another organisation.

Each function returns folded-text spans; claims.py maps them to the original text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .lexical import tokenize

_NEG_EN = r"(?:\b(?:no|none|nothing|not|never)\b|n['’]t\b)"
_NEG_AR = r"(?<!\w)[وف]?(?:لا|لم|لن|ليس|ليست)(?!\w)"
#: A number word or digit right after "than"/من: a bound, not a comparison with a thing.
_AMOUNT = (
    r"(?:\d|(?:ال)?(?:اثن|ثلاث|اربع|خمس|ست|سبع|ثمان|تسع|عشر|مئه|مائه|الف|مليون|مليار)"
    r"|(?:two|three|four|five|six|seven|eight|nine|ten|a hundred|hundred|a thousand|thousand)\b)"
)
_NEGATED_COMPARATIVE = re.compile(
    rf"{_NEG_EN}(?:\s+[\w'’-]+){{1,8}}?\s+(?P<c>larger|bigger|greater|more|higher)\b"
    rf"(?:\s+[\w'’-]+){{0,5}}?\s+than\s+(?!{_AMOUNT})|"
    rf"{_NEG_AR}(?:\s+\w+){{1,8}}?\s+(?:ال)?(?P<a>اكبر|اضخم|اكثر|اعلى)"
    rf"(?:\s+\w+){{0,3}}?\s+(?:من|عن)\s+(?!{_AMOUNT})"
)
_EXCEPTIVE = re.compile(
    rf"{_NEG_AR}(?:\s+\w+){{1,8}}?\s+(?:الا|فحسب|فقط\s+بل)(?!\w)|"
    rf"{_NEG_AR}\s+فقط(?!\w)|"
    rf"{_NEG_EN}(?:\s+[\w'’-]+){{0,6}}?\s+until\b|{_NEG_EN}\s+(?:only|just|merely)\b"
)
_HOW_MANY = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}
_RELATIVE = re.compile(
    r"\b(?P<n>a|one|two|three|four|five|ten|\d{1,2})\s+years?\s+(?P<d>after|before)\b|"
    r"(?<!\w)(?:اي\s+)?(?P<ad>بعد|قبل)\s+(?P<an>سنه|عام|سنتين|عامين|\d{1,2}\s+(?:سنوات|اعوام|سنه|عاما))"
    r"\s+(?:من|على)(?!\w)"
)
#: How far (folded characters) a relative phrase may stand after the year it counts from.
_RELATIVE_REACH = 40


_MORE = re.compile(
    r"(?:\b(?:more|greater|higher) than|\bover|\babove|\bexceeding|\bupwards of|اكثر من|"
    r"يزيد (?:على|عن)|يربو على|فوق)\s+(?:(?:a|an)\s+)?$"
)
_LESS = re.compile(
    r"(?:\b(?:less|fewer|lower) than|\bunder|\bbelow|اقل من|يقل عن|دون)\s+(?:(?:a|an)\s+)?$"
)


_REVERSING = re.compile(
    r"\b(?:refus\w*|reject\w*|den(?:y|ies|ied|ying)|oppos(?:e|es|ed|ing)|end(?:ed|s|ing)|"
    r"ceas\w*|stopp\w*|stops?|fail(?:s|ed|ing)?|lost|loses?|losing|undermin\w*|harm\w*|"
    r"damag\w*|rival\w*|enem(?:y|ies)|hostil\w*|cancel\w*|withdr[ae]w\w*|suspend\w*|"
    r"ban(?:s|ned)?|prevent\w*|abandon\w*|revok\w*|scrap(?:s|ped)?|remov\w*|stripp?\w*|"
    r"downgrad\w*|expel\w*|exclud\w*)\b|(?<!\bat )\bleast\b|"
    r"(?<!\w)[وف]?(?:رفض\w*|[تي]رفض\w*|انه(?:ى|ت)|انتهت|انتهى|[تي]نهي|اوقف\w*|[تي]وقف\w*|"
    r"خسر\w*|[تي]خسر\w*|فقدت|[تي]فقد|عارض\w*|[تي]عارض\w*|قوض\w*|[تي]قوض\w*|الغ(?:ى|ت)|"
    r"[تي]لغي|انسحب\w*|[تي]نسحب\w*|منع\w*|[تي]منع\w*|عدو|اعداء|خصم|خصوم|اضر\w*|[تي]ضر|"
    r"ضار\w*|تراجع\w*|قطعت|ازال\w*|[تي]زيل|حذف\w*|[تي]حذف|استبعد\w*|[تي]ستبعد|طرد\w*|"
    r"[تي]طرد|سحبت)(?!\w)"
)


def reversing_words(folded: str) -> list[tuple[int, int]]:
    """Folded spans of the words that reverse a predicate."""
    return [m.span() for m in _REVERSING.finditer(folded)]


def number_bound(before: str) -> str:
    """ ">" or "<" when the folded text just before a number bounds it, else ""."""
    return ">" if _MORE.search(before) else "<" if _LESS.search(before) else ""


def negated_comparatives(folded: str) -> list[tuple[int, int, int]]:
    """(negation start, comparative start, comparative end) of each negated comparative."""
    out = []
    for m in _NEGATED_COMPARATIVE.finditer(folded):
        g = "c" if m.group("c") else "a"
        out.append((m.start(), m.start(g), m.end(g)))
    return out


def exceptive_negations(folded: str) -> list[int]:
    """Starts of the negations that an exceptive (إلا, until) turns into a restriction."""
    return [m.start() for m in _EXCEPTIVE.finditer(folded)]


def relative_years(folded: str, years: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """(start, end, year) of each relative-year phrase, from ``years``: (start, end, value) of
    the years found, in folded offsets."""
    out = []
    for m in _RELATIVE.finditer(folded):
        before = [y for y in years if y[1] <= m.start() and m.start() - y[1] <= _RELATIVE_REACH]
        if not before:
            continue
        base = before[-1][2]
        if m.group("n"):
            n, after = _count(m.group("n")), m.group("d") == "after"
        else:
            word = m.group("an").split()[0]
            n = 2 if word in ("سنتين", "عامين") else int(word) if word.isdigit() else 1
            after = m.group("ad") == "بعد"
        # "X in 1972, a year after Y": Y came a year before 1972.
        out.append((m.start(), m.end(), base - n if after else base + n))
    return out


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _HOW_MANY[word]


#: The two poles of the evaluations an article states ("a main hub", "an important partner",
#: "close partnerships"); a word of one pole against one of the other is a contradiction.
_HIGH = """main major key principal central important significant vital strategic essential
crucial close closest strong رئيسي رئيسيه مهم مهمه هام هامه حيوي حيويه استراتيجي استراتيجيه
وثيق وثيقه قوي قويه اساسي اساسيه"""
_LOW = """minor secondary marginal unimportant insignificant peripheral distant weak trivial
negligible ثانوي ثانويه هامشي هامشيه ضعيف ضعيفه بعيد بعيده"""
#: Stems too short or shared with other words (قوي → قو as in قوات, بعيد → عيد) are left out.
POLES = tuple(
    frozenset(t for w in words.split() for t in tokenize(w) if len(t) >= 3 and t != "عيد")
    for words in (_HIGH, _LOW)
)


@lru_cache(maxsize=4096)
def pole(stems: frozenset[str]) -> int | None:
    """0 for a word of the high pole, 1 for the low one, None for neither (a stem of four
    letters or more also matches the longer forms: ثانو, ثانويا)."""
    found = {i for i, p in enumerate(POLES) for s in stems for q in p if _same_stem(s, q)}
    return found.pop() if len(found) == 1 else None


def _same_stem(s: str, q: str) -> bool:
    return s == q or (min(len(s), len(q)) >= 4 and (s.startswith(q) or q.startswith(s)))


#: Just before a rank, words making it membership in the top few: "one of the first",
#: «واحدة من الأماكن الأولى», «أحد أقرب», «من أقرب» (folded spelling).
_AMONG = re.compile(
    r"(?:\bone of (?:\S+ ){0,3}|\bamong (?:the )?|(?<!\w)[وف]?(?:واحد[هة]?|احدي?) (?:من )?(?:\S+ )?"
    r"|(?<!\w)[وف]?(?:من|ضمن|بين) )$"
)


def among(before: str) -> bool:
    """Whether the folded text just before a rank makes it one of several ("one of the")."""
    return bool(_AMONG.search(before))


_RELATIONS = re.compile(
    r"\b(?:(?P<b>before|prior to|ahead of)|(?P<a>after))\b|"
    r"(?<!\w)[وف]?(?:(?P<qb>قبل|قبيل)|(?P<ba>بعد|عقب))(?!\w)"
)


def temporal_relations(folded: str) -> list[tuple[int, int, int]]:
    """(start, end, side) of each "before" (side 0) and "after" (side 1) in folded text."""
    return [
        (m.start(), m.end(), 0 if (m.group("b") or m.group("qb")) else 1)
        for m in _RELATIONS.finditer(folded)
    ]


#: Service branches of armed forces, folded spelling (the longer names first, so «مشاة
#: البحرية» is the marines and not the navy).
_BRANCHES = (
    (
        "marines",
        r"\bmarines?(?: corps)?\b|(?<!\w)\S*مشاه (?:ال)?بحريه(?!\w)|(?<!\w)\S*مارينز(?!\w)",
    ),
    ("coast_guard", r"\bcoast ?guards?\b|(?<!\w)\S*خفر (?:ال)?سواحل(?!\w)"),
    ("space_force", r"\bspace forces?\b"),
    (
        "air_force",
        r"\bair forces?\b|(?<!\w)\S*(?:قوات|سلاح) (?:ال)?جو(?:يه)?(?!\w)",
    ),
    (
        "navy",
        r"\bnav(?:y|ies)\b|\bnaval forces?\b|(?<!\w)\S*(?:قوات|سلاح) (?:ال)?بحريه(?!\w)|"
        r"(?<!\w)[وفب]?(?:ال|لل)بحريه(?= (?:ال)?(?:امريكيه|اميركيه|بريطانيه|ملكيه|قطريه)(?!\w))",
    ),
    (
        "army",
        r"\barm(?:y|ies)\b|\bground forces?\b|(?<!\w)[وفب]?(?:ال|لل)جيش(?!\w)|"
        r"(?<!\w)\S*قوات (?:ال)?بريه(?!\w)",
    ),
)
_BRANCH_RES = tuple((b, re.compile(p)) for b, p in _BRANCHES)


def branches(folded: str) -> list[tuple[int, int, str]]:
    """(start, end, branch) of each service branch named in folded text."""
    out: list[tuple[int, int, str]] = []
    for b, rx in _BRANCH_RES:
        for m in rx.finditer(folded):
            if not any(s < m.end() and m.start() < e for s, e, _ in out):
                out.append((m.start(), m.end(), b))
    return sorted(out)
