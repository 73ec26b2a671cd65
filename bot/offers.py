"""What a passage offers as an answer: a date, a number, a measure with its unit, a person, a place.

The passage side of the focus check (bot/focus.py). Each recogniser reads the Arabic text and
its aligned English translation together, so an Arabic sentence whose translation says "in
July" offers a date, and an English one offers a place through "at the Royal Military Academy
Sandhurst". Explainable rules only:

* a **date** is a year (1800–2099) or a month name (English, Arabic and Levantine names);
  "since when" is also answered by a duration, a number next to years or decades ("for more
  than a decade");
* a **number** is digits or a number word (three, ثلاثة, آلاف, عشرات), but not the "one" of
  "one of the places" / «واحدة من» (a partitive, not a count);
* a **measure** is a number with a unit of the asked class *next to it* (at most three words
  away): dollars for a cost, metres for a height, per cent for a share, years old for an age.
  "In recent years … 8,000 troops" holds a number and the word "years", but not an age;
* a **person** (the answer to "who") is a title, office or body (King, Sheikh, Secretary,
  Department, forces, الملك, الشيخ, وزير, القوات) or a name that the question itself does
  not name: the sentence naming only "US Central Command" does not say who commands it; a
  question naming a role ("who is the *ambassador*", «ما اسم *قائد*…») needs that role;
* a **place** is a name (a capitalised word of the English text or translation, not the first
  of a sentence unless possessive, not a month or a nationality) the question does not name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .normalize import normalize

CLITIC = re.compile("^(?:و|ف|ب|ل|ك)?(?:ال)?")
_SUFFIX = re.compile("(?:ها|هما|هم|كم|نا)$")  # attached pronouns: علاقاتها -> علاقات


@lru_cache(maxsize=1 << 16)
def bare(word: str) -> str:
    """``word`` (normalised) without Arabic prefixed clitics and attached pronouns."""
    if len(word) <= 3:
        return word
    out = CLITIC.sub("", word)
    stripped = _SUFFIX.sub("", out)
    return stripped if len(stripped) >= 3 else out


def _norm_set(text: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in text.split())


YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)")
MONTHS = _norm_set(
    "january february march april may june july august september october november december "
    "يناير فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر "
    "كانون شباط اذار نيسان ايار حزيران تموز اب ايلول تشرين"
)
NUMBER_WORDS = _norm_set(
    "one two three four five six seven eight nine ten eleven twelve hundred thousand million "
    "billion first third fourth fifth dozen dozens decade decades "
    "واحد اثنان اثنين ثلاث ثلاثه اربع اربعه خمس خمسه ست سته سبع سبعه ثمان ثمانيه تسع تسعه عشر "
    "عشره مئه مائه الف الاف الفا مليون ملايين مليار اول ثالث رابع خامس سادس عشرات مئات "
    "عقد عقود"
)
# The units each class of measure is given in (a number must stand next to one of them).
UNITS: dict[str, frozenset[str]] = {
    "money": _norm_set(
        "$ £ € dollar dollars pound pounds sterling riyal riyals euro euros usd "
        "دولار دولارات جنيه جنيهات استرليني ريال ريالات يورو"
    ),
    "length": _norm_set(
        "metre metres meter meters km kilometre kilometres kilometer kilometers feet foot ft "
        "mile miles hectare hectares acre acres square "
        "متر امتار مترا كيلومتر كيلومترات كلم قدم اقدام ميل اميال هكتار دونم مربع"
    ),
    "percent": _norm_set("% percent per cent بالمئه بالمائه المئه المائه مئه مائه"),
    "age": _norm_set("aged old years year عاما عام سنه سنوات سنين"),
    "population": _norm_set("population inhabitants people residents نسمه سكان"),
    # "since when" is answered by a duration too ("for more than a decade")
    "duration": _norm_set(
        "year years decade decades month months عام اعوام سنه سنوات عقد عقود شهر اشهر"
    ),
}
# "how much" asks an amount: money, a size, a share or a head count, but not a duration.
UNITS["amount"] = frozenset().union(
    UNITS["money"],
    UNITS["length"],
    UNITS["percent"],
    UNITS["population"],
    _norm_set("tonnes tons tonne barrels kg kilograms طن اطنان برميل"),
)

# Who-answers, as groups of one title/office/body in both languages (bare forms).
AGENTS = tuple(
    _norm_set(g)
    for g in (
        "president رئيس",
        "king queen ملك ملكه",
        "sheikh شيخ",
        "emir prince امير",
        "secretary minister وزير وزراء",
        "general جنرال لواء",
        # the role: someone who commands (a command, القيادة, is the body: below)
        "commander commanders commands commanded قائد قاده يقود",
        "ambassador سفير",
        "department ministry وزاره",
        "forces army navy قوات جيش",
        "government حكومه",
        "council parliament مجلس",
        "command قياده",  # a body ("US Central Command") names no commander
        "bin بن",  # Tamim bin Hamad: a person's name
    )
)
# The groups above that name a role a question can ask to fill ("who is the *ambassador*").
ROLES = frozenset(range(8))
# Capitalised words that are no names: nationalities, months are handled apart.
_NOT_NAMES = _norm_set(
    "the a an no this that these those it its in on at for of and but british english american "
    "qatari kuwaiti saudi emirati iraqi iranian french german arab arabic european western"
)
_TOKEN = re.compile(r"\w+|[%$£€]")


def words_in_order(text: str) -> list[str]:
    """The normalised words of ``text`` in order, with %, $, £, € as words of their own."""
    return _TOKEN.findall(normalize(text))


def _is_number(seq: list[str], i: int) -> bool:
    w = seq[i]
    if any(c.isdigit() for c in w):
        return True
    if w not in NUMBER_WORDS and bare(w) not in NUMBER_WORDS:
        return False
    nxt = seq[i + 1] if i + 1 < len(seq) else ""
    # "one of the first places", «واحدة من»: a partitive, not a count
    return not (bare(w) in ("one", "واحد", "واحده") and nxt in ("of", "من"))


def has_date(text: str, words: set[str]) -> bool:
    """A year or a month name."""
    return bool(YEAR.search(text)) or any(w in MONTHS or bare(w) in MONTHS for w in words)


def number_positions(seq: list[str]) -> list[int]:
    """Where the numbers are in a word sequence."""
    return [i for i in range(len(seq)) if _is_number(seq, i)]


def has_measure(seq: list[str], unit: str) -> bool:
    """A number with a unit of class ``unit`` at most three words from it."""
    units = UNITS.get(unit, UNITS["amount"])
    marks = [i for i, w in enumerate(seq) if w in units or bare(w) in units]
    return any(abs(i - j) <= 3 for i in number_positions(seq) for j in marks)


def agent_groups(words: set[str]) -> set[int]:
    """Which title/office/body groups (indexes into AGENTS) the words name."""
    forms = words | {bare(w) for w in words}
    return {i for i, g in enumerate(AGENTS) if g & forms}


def proper_names(text: str, translation: str | None) -> list[str] | None:
    """The capitalised words of the passage's English (text or aligned translation), normalised.

    A sentence's first word, nationality adjectives ("British", "Qatari") and months are left
    out. A passage with no English at all gives None: names cannot be read off Arabic script.
    """
    phrases = name_phrases(text, translation)
    return None if phrases is None else [w for p in phrases for w in p]


def name_phrases(text: str, translation: str | None) -> list[list[str]] | None:
    """:func:`proper_names` grouped by name: runs of capitalised words one space apart
    ("Al Udeid Air Base", "Middle East")."""
    english = [t for t in (text, translation or "") if re.search(r"[A-Za-z]{2}", t)]
    if not english:
        return None
    out: list[list[str]] = []
    for part in english:
        end = -1
        for m in re.finditer(r"[A-Za-z][\w'-]*", part):
            word = re.sub(r"'s$", "", m.group())
            before = part[: m.start()].rstrip()
            if not word[0].isupper():
                continue
            # A sentence's first word is capitalised anyway: a name only as a possessive
            # ("London's commitment").
            if (not before or before[-1] in ".;:!?") and word == m.group():
                continue
            norm = normalize(word)
            if norm not in _NOT_NAMES and norm not in MONTHS:
                if out and part[end : m.start()] == " ":
                    out[-1].append(norm)
                else:
                    out.append([norm])
                end = m.end()
    return out
