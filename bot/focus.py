"""The focus of a question, and whether a passage offers it ("not in the article" near misses).

A question about a fact the article lacks, worded with the article's own people and places
("How tall is the control tower at Al Udeid?", "كم عدد الجنود البريطانيين في قطر؟"), retrieves
a sentence about the right entity that scores like an answer. What gives it away is the
*focus*: what the question asks for, and about what. Explainable rules, no language model:

* **kind**, read from the question words: a ``date`` (when, متى, في أي عام), a ``count`` (how
  many, كم عدد), a ``measure`` (a height, length, area, cost, percentage, age: how tall, ما
  ارتفاع, كم تبلغ قيمة, ما نسبة), a ``person`` (who, من هو, ما اسم قائد) or a ``place`` (where,
  أين, في أي مدينة);
* **offered**: the passage (Arabic text and its aligned translation) must hold an answer of that
  kind: a year or a month for a date; a number for a count; a number with the measure's unit
  (metres, dollars, per cent, years old) for a measure;
* **about**: the question's topic words (its content words, without question words, the kind's
  own words like "number"/"عدد"/"اسم") must all occur in the passage, a typo or a different
  Arabic clitic allowed. For "how many British troops" the passage about *US* troops lacks
  "British"; for "who commands X" the passage naming X lacks "commands".

A question of no recognised kind ("What role did Qatar play?") passes: the score rule decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from .lexical import tokenize
from .normalize import normalize

_W = r"(?:^|(?<=\s))"  # start of a word in normalised text (Arabic has no \b before ال)
_E = r"(?!\w)"

_KINDS: tuple[tuple[str, re.Pattern], ...] = tuple(
    (k, re.compile(p))
    for k, p in (
        (
            "measure",
            r"\b(?:how (?:tall|high|far|big|large|old)|how long (?:is|are|was|were)|"
            r"height|length|area|square|cost|costs|price|pay|paid|spend|spent|budget|"
            r"worth|percentage|percent|proportion|population|age)\b"
            + rf"|{_W}(?:و|ف)?(?:ارتفاع|طول|مساحه|تكلفه|تكلف|كلف|قيمه|ميزانيه|تدفع|دفعت|"
            rf"سعر|ثمن|نسبه|عمر|سكان|تعداد|مصاريف){_E}",
        ),
        (
            "date",
            r"^(?:and |so |but )?(?:when|since when)\b|\b(?:what|which|in what|in which) "
            r"(?:year|month|date)\b" + rf"|{_W}(?:و|ف)?(?:متي|امتي|ايمتي|وقتاش|منذ متي){_E}"
            r"|(?:في|ب) ?اي (?:عام|سنه|شهر|تاريخ)|ما (?:تاريخ|سنه)",
        ),
        (
            "count",
            r"\b(?:how many|what number of|the number of)\b"
            rf"|{_W}(?:و|ف)?(?:كم|كام|بكم){_E}|{_W}(?:ما|ما هو) عدد{_E}",
        ),
        (
            "person",
            r"^(?:and |so |but )?(?:who|whom)\b|\bwhat is the name of\b"
            rf"|^(?:و|ف)?(?:من|مين|منو)(?! (?:اين|وين|اي|متي|اجل|بين))\s"
            rf"|{_W}ما اسم{_E}",
        ),
        (
            "place",
            r"^(?:and |so |but )?where\b(?!.*\brank)|\b(?:in |from )?(?:which|what) "
            r"(?:city|country|town|place|university|school)\b"
            rf"|{_W}(?:و|ف)?(?:اين|وين|فين){_E}"
            r"|(?:في|من) ?اي (?:مدينه|بلد|دوله|جامعه|مكان)",
        ),
    )
)

# Question words and each kind's own words: they say what is asked, not about what.
_ASKING = frozenset(
    normalize(w)
    for w in """
what which who whom whose when where why how many much is are was were be been do does did
the a an of in on at to for from by with about and or so but its it this that there their
his her he she they them one year month date name number tall high long far big large old
height length area square cost costs price pay paid spend spent budget worth percentage
percent proportion population age city country town place exactly currently current
ما ماذا من متي اين وين فين كيف كم كام بكم هل اي ايش شو مين منو عدد اسم تاريخ عام سنه شهر
هو هي هم في على الي الى عن مع منذ التي الذي الذين ذلك هذا هذه هناك به بها له لها كان كانت
ارتفاع طول مساحه تكلفه قيمه ميزانيه نسبه عمر سكان تعداد مدينه بلد دوله مكان تبلغ يبلغ
حاليا الحالي اللي الي ايه
""".split()
)

_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)")
_MONTHS = frozenset(
    normalize(w)
    for w in (
        "january february march april may june july august september october november december "
        "يناير فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر "
        "كانون شباط اذار نيسان ايار حزيران تموز اب ايلول تشرين"
    ).split()
)
_NUMBER_WORDS = frozenset(
    normalize(w)
    for w in (
        "one two three four five six seven eight nine ten eleven twelve hundred thousand million "
        "billion first third fourth fifth dozen dozens decade decades "
        "واحد اثنان اثنين ثلاث ثلاثه اربع اربعه خمس خمسه ست سته سبع سبعه ثمان ثمانيه تسع تسعه عشر "
        "عشره مئه مائه الف الاف الفا مليون ملايين مليار اول ثالث رابع خامس سادس عشرات مئات "
        "عقد عقود"
    ).split()
)
# A measure needs its unit next to the number: none of these is a bare count.
_UNITS = frozenset(
    normalize(w)
    for w in (
        "metre metres meter meters km kilometre kilometres kilometer feet foot mile miles hectare "
        "hectares acre acres square dollar dollars pound pounds riyal riyals euro euros percent "
        "per cent aged old population inhabitants decade decades "
        "متر امتار مترا كيلومتر كيلومترات كلم قدم ميل هكتار دونم مربع دولار دولارات جنيه ريال "
        "يورو بالمئه بالمائه المئه المائه عاما سنوات نسمه سكان عقد عقود"
    ).split()
)
_CLITIC = re.compile("^(?:و|ف|ب|ل|ك)?(?:ال)?")
# Names the article spells one way and questions another: any member stands for its group.
_VARIANTS = tuple(
    frozenset(normalize(w) for w in g.split())
    for g in (
        "britain british uk england english بريطانيا بريطاني البريطاني البريطانيه انجلترا الانجليز "
        "انجليز البريطانيين المملكه لندن london",
        "america american americans us usa امريكا اميركا امريكي اميركي الامريكي الاميركي "
        "الامريكيه الاميركيه الامريكيين الاميركيين الامريكان امريكان الامريكاني واشنطن washington "
        "الولايات",
        "soldiers soldier troops جنود الجنود جندي العساكر عساكر",
    )
)


@dataclass(frozen=True)
class Focus:
    """What a question asks for (``kind``) and about what (``about``, normalised words)."""

    kind: str | None
    about: tuple[str, ...] = ()


@dataclass(frozen=True)
class FocusCheck:
    """Whether a passage offers the question's focus, and why not when it does not."""

    ok: bool
    missing: tuple[str, ...] = ()  # topic words the passage lacks
    reason: str = ""  # "" when ok; else "no date", "no number", "no unit", "missing words"


def question_focus(question: str) -> Focus:
    """The kind of answer ``question`` asks for, and the words naming what it is about."""
    q = normalize(question)
    kind = next((k for k, p in _KINDS if p.search(q)), None)
    if kind is None:
        return Focus(None)
    from .followup import content_words

    about = []
    for w in content_words(q):
        bare = _CLITIC.sub("", w) if len(w) > 4 else w
        if w not in _ASKING and bare not in _ASKING and not w.isdigit():
            about.append(w)
    return Focus(kind, tuple(about))


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", normalize(text)))


def _present(word: str, tokens: set[str], words: set[str]) -> bool:
    if any(t in tokens for t in tokenize(word)):
        return True
    if any(word in g or _CLITIC.sub("", word) in g for g in _VARIANTS if g & words):
        return True
    # A typo ("soliders", "statoined") or another clitic: a close written form counts.
    bare = _CLITIC.sub("", word) if len(word) > 4 else word
    if len(bare) < 4:
        return False
    return any(
        abs(len(x) - len(bare)) <= 2 and SequenceMatcher(None, bare, x).ratio() >= 0.8
        for x in words
        if x[:1] == bare[:1] or _CLITIC.sub("", x)[:1] == bare[:1]
    )


def _offers(kind: str, words: set[str], text: str) -> str:
    """ "" when the text offers an answer of this kind, else the reason it does not."""
    has_number = (
        bool(re.search(r"\d", text))
        or bool(words & _NUMBER_WORDS)
        or any(_CLITIC.sub("", w) in _NUMBER_WORDS for w in words)
    )
    if kind == "date" and not (
        _YEAR.search(text) or words & _MONTHS or any(_CLITIC.sub("", w) in _MONTHS for w in words)
    ):
        return "no date"
    if kind == "count" and not has_number:
        return "no number"
    if kind == "measure" and not (
        has_number
        and (words & _UNITS or "%" in text or any(_CLITIC.sub("", w) in _UNITS for w in words))
    ):
        return "no unit"
    return ""


def check_focus(focus: Focus, text: str, translation: str | None = None) -> FocusCheck:
    """Does the passage (its text and aligned translation) offer what the question asks?"""
    if focus.kind is None:
        return FocusCheck(True)
    both = f"{text} {translation or ''}"
    norm = normalize(both)
    words = _words(both)
    reason = _offers(focus.kind, words, norm)
    if reason:
        return FocusCheck(False, (), reason)
    tokens = set(tokenize(both))
    missing = tuple(w for w in focus.about if not _present(w, tokens, words))
    return FocusCheck(not missing, missing, "missing words" if missing else "")
