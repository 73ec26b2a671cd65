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
  kind (bot/offers.py): a year or a month for a date (or a duration for "since when"); a
  number *of the counted thing* for a count; a number with a unit of the asked class next to
  it (dollars for a cost, metres for a height) for a measure; a title, body or name the
  question does not give for a person or a place, and the role a person question names;
* **about**: the question's topic words (its content words, without question words, the kind's
  own words like "number"/"عدد"/"اسم") must all occur in the passage, a typo, an irregular
  past, a different Arabic clitic or attached pronoun allowed, and a few words for one thing
  or event (Britain/UK/بريطانيا, study/enrol/graduate/درس/تخرج); a person is also found by
  the family name or title the article gives them, and a sentence opening with "the <noun>"
  holds the name the previous sentence gives with that noun (bot/names.py). For "how many
  British troops" the passage about *US* troops names the other partner country, which
  refuses it outright, as does a role qualified by another country ("the *Qatari* defence
  minister" against the British one). An Arabic verb is found as its verbal noun (يدرب /
  تدريب, bot/roots.py). The question's event words (``Focus.predicates``: its verbs) are
  kept apart: a date or number of a passage lacking one is another event's (answerability).

A question of no recognised kind ("What role did Qatar play?") passes: the score rule decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property, lru_cache

from .align import same_name
from .focus_words import ASKING, VARIANTS
from .lexical import tokenize
from .names import Alias
from .normalize import normalize
from .offers import (
    CLITIC,
    ROLES,
    agent_groups,
    bare,
    has_date,
    has_measure,
    name_phrases,
    number_positions,
    words_in_order,
)
from .roots import is_derived_noun, is_verb, root_keys

_ARABIC = re.compile("[\u0600-\u06ff]")
_W = r"(?:^|(?<=\s))"  # start of a word in normalised text (Arabic has no \b before ال)
_E = r"(?!\w)"

_KINDS: tuple[tuple[str, re.Pattern], ...] = tuple(
    (k, re.compile(p))
    for k, p in (
        (
            "measure",
            r"\b(?:how (?:tall|high|far|big|large|old|much)|how long (?:is|are|was|were)|"
            r"height|length|area|square|cost|costs|price|pay|paid|spend|spent|budget|"
            r"worth|percentage|percent|proportion|population|age)\b"
            + rf"|{_W}(?:و|ف)?(?:ارتفاع|طول|مساحه|تكلفه|تكلف|تكلفت|كلف|كلفت|قيمه|ميزانيه|تدفع|دفعت|"
            rf"سعر|ثمن|نسبه|عمر|سكان|تعداد|مصاريف){_E}",
        ),
        (
            "date",
            r"^(?:and |so |but )?(?:when|since when)\b|\b(?:what|which|in what|in which) "
            r"(?:year|month|date)\b"
            rf"|{_W}(?:و|ف)?(?:متي|امتي|امتا|ايمتي|ايمتا|وقتاش|وقتيش|منذ متي|من امتي){_E}"
            r"|(?:في|ب) ?اي (?:عام|سنه|شهر|تاريخ)|ما (?:تاريخ|سنه)"
            # "قديش صار لـ…": how long it has been, a "since when" (before قديش as a count)
            rf"|{_W}(?:و|ف)?(?:قديش|اديش|كم) صار{_E}",
        ),
        (
            "count",
            r"\b(?:how many|what number of|the number of)\b"
            rf"|{_W}(?:و|ف)?(?:كم|كام|بكم|قديش|اديش|شقد){_E}|{_W}(?:ما|ما هو) عدد{_E}",
        ),
        (
            "person",
            r"^(?:and |so |but )?(?:who|whom)\b"
            rf"|^(?:و|ف)?(?:من|مين|منو)(?! (?:اين|وين|اي|متي|اجل|بين))\s"
            # "ما اسم القاعدة" asks for a thing's name: only the name of a person is a person.
            rf"|{_W}(?:ما|شو|ايش|وش) (?:هو )?اسم "
            rf"(?:ال)?(?:قائد|رئيس|وزير|سفير|مدير|ملك|امير|قاده){_E}"
            r"|\bwhat(?: is|'s) the name of the (?:\w+ ){0,3}?(?:commander|president|minister|"
            r"ambassador|head|king|secretary|leader|chief)\b",
        ),
        (
            "place",
            r"^(?:and |so |but )?where\b(?!.*\brank)|\b(?:in |from )?(?:which|what) "
            r"(?:city|country|town|place|university|school)\b"
            rf"|{_W}(?:و|ف)?(?:اين|وين|فين|منين|لوين){_E}"
            r"|(?:في|من) ?اي (?:مدينه|بلد|دوله|جامعه|مكان)"
            # "which country": شو/ايش/وش الدولة, أي دولة, ما هي الدولة (a place's name answers)
            rf"|{_W}(?:(?:شو|ايش|وش|ما)(?: هي| هو)? (?:ال)?|اي )(?:دوله|بلد|مدينه){_E}",
        ),
    )
)

_CLITIC = CLITIC
_TITLES = frozenset(range(4))  # AGENTS' president, king, sheikh, emir: titles before a name
_ASKING = ASKING
_VARIANTS = VARIANTS
_COUNTRIES = _VARIANTS[:2]  # a question naming one of these, a passage naming the other
# The countries a role is qualified by ("the British defence secretary", «وزير الدفاع القطري»).
_NATIONS = (*_COUNTRIES, next(g for g in _VARIANTS if "qatar" in g))
# Where a count question names what it counts: the word after "how many" / "كم عدد".
_COUNTED = re.compile(
    r"\bhow many (\w+)|\bthe number of (\w+)|(?:^|\s)(?:كم|كام|قديش|اديش|ما|ما هو) عدد (\w+)"
    r"|(?:^|\s)(?:كم|كام|قديش|اديش) (\w+)"
)
_NUMBER_OF = re.compile(r"\bnumber of (?:the )?((?:\w+ ?){1,3})|(?:^|\s)عدد ((?:\w+ ?){1,3})")
_SINCE = (  # a duration answers
    r"\bsince when\b|\bhow long\b|(?:^|\s)(?:و|ف)?(?:منذ متي|من امتي|(?:قديش|اديش|كم) صار)(?!\w)"
)
_MEASURE_UNIT = (  # which unit a measure question asks for, checked in this order
    ("percent", r"\b(?:percentage|percent|proportion)\b|(?:^|\s)(?:و|ف|ب)?نسبه(?!\w)"),
    (
        "money",
        r"\b(?:cost|costs|price|pay|paid|spend|spent|budget|worth)\b"
        r"|(?:^|\s)(?:و|ف)?(?:تكلفه|تكلف|تكلفت|كلف|كلفت|قيمه|ميزانيه|تدفع|دفعت|سعر|ثمن|مصاريف)(?!\w)",
    ),
    (
        "length",
        r"\bhow (?:tall|high|far|big|large)\b|\bhow long (?:is|are|was|were)\b"
        r"|\b(?:height|length|area|square)\b|(?:^|\s)(?:و|ف)?(?:ارتفاع|طول|مساحه)(?!\w)",
    ),
    ("age", r"\bhow old\b|\bage\b|(?:^|\s)(?:و|ف)?عمر(?!\w)"),
    ("population", r"\bpopulation\b|(?:^|\s)(?:و|ف)?(?:سكان|تعداد)(?!\w)"),
)


# A place question asking for a city or town: a country's or a region's name does not answer.
_CITY = r"\b(?:which|what) (?:city|town)\b|(?:^|\s)اي (?:مدينه|بلده)(?!\w)"
_NOT_CITIES = frozenset(
    {w for g in _VARIANTS[:2] for w in g}
    | set(next(g for g in _VARIANTS if "qatar" in g))
    | set("united states kingdom middle east west north south gulf region kuwait".split())
)


@dataclass(frozen=True)
class Focus:
    """What a question asks for (``kind``) and about what (``about``, normalised words).

    ``unit`` is the class of unit a measure is given in ("money", "length", "percent", "age",
    "population", or "amount" for a plain "how much"), "duration" for a since-when and
    "city" for a place asked as a city or town; ``counted`` the noun a count counts.
    """

    kind: str | None
    about: tuple[str, ...] = ()
    unit: str | None = None
    counted: str | None = None
    # The topic words naming the event asked about (its verb: زار, درس, "visit"); a date or
    # number belongs to an event, so a passage without it gives another event's (answerability).
    predicates: tuple[str, ...] = ()


@dataclass(frozen=True)
class FocusCheck:
    """Whether a passage offers the question's focus, and why not when it does not."""

    ok: bool
    missing: tuple[str, ...] = ()  # topic words the passage lacks
    # "" when ok; else "no date", "no number", "no unit", "no person", "no place",
    # "counts something else", "another country" or "missing words"
    reason: str = ""


def question_focus(question: str) -> Focus:
    """The kind of answer ``question`` asks for, and the words naming what it is about."""
    q = normalize(question)
    kind = next((k for k, p in _KINDS if p.search(q)), None)
    if kind is None:
        return Focus(None)
    from .followup import content_words

    about = []
    for w in content_words(q):
        b = _CLITIC.sub("", w) if len(w) > 4 else w
        if w not in _ASKING and b not in _ASKING and not w.isdigit():
            about.append(w)
    unit = None
    if kind == "measure":
        unit = next((u for u, p in _MEASURE_UNIT if re.search(p, q)), "amount")
    if kind == "date" and re.search(_SINCE, q):
        unit = "duration"
    if kind == "place" and re.search(_CITY, q):
        unit = "city"
    counted = None
    if kind == "count":
        m = _COUNTED.search(q)
        word = next((g for g in m.groups() if g), None) if m else None
        # "كم دولة", "how many countries": a kind word, but still what is counted
        counted = word if word in about or (word and content_words(word)) else None
    return Focus(kind, tuple(about), unit, counted, _predicates(question, about))


# An English question's verb: the first topic word after its auxiliary ("when did Biden
# *visit*"), or a past participle ("was Sandhurst *founded*").
_AUXILIARY = re.compile(r"\b(?:did|does|do)\b((?: [\w'-]+){1,7})", re.IGNORECASE)
_DETERMINERS = frozenset("the a an his her its their".split())


def _predicates(question: str, about: list[str]) -> tuple[str, ...]:
    """The words of ``about`` that name the question's event: Arabic verbs (roots.is_verb,
    not a country's name: قطر reads as a past), English verbs after an auxiliary (the first
    word not capitalised: "When did John Healey *meet*…", "did the Gulf War *end*") or in -ed."""
    names = {w for g in _NATIONS for w in g}
    out = [w for w in about if is_verb(w) and w not in names and bare(w) not in names]
    m = _AUXILIARY.search(question)
    after = [w for w in (m.group(1).split() if m else []) if w.lower() not in _DETERMINERS]
    lower = [normalize(w) for w in after if not w[0].isupper()]
    verb = next((w for w in lower if w in about and w not in names), None)
    past = {normalize(w) for w in re.findall(r"\b[a-z]\w{2,}ed\b", question)}  # not "United"
    out += [w for w in about if (w == verb or w in past) and w not in out]
    return tuple(out)


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", normalize(text)))


@dataclass(frozen=True, eq=False)
class _Lexicon:
    """A passage's words as :func:`_present` reads them, each form derived once: its tokens
    (lexical.py), its words, and the forms the lenient matches compare (clitics off, the root
    keys of its derived nouns, words by first letter for the typo match)."""

    tokens: frozenset[str]
    words: frozenset[str]
    variants: tuple[frozenset[str], ...]  # the _VARIANTS groups the words touch
    bares: frozenset[str]
    noun_roots: frozenset[str]  # root keys of the derived nouns (roots.same_root's nouns)
    fours: tuple[str, ...]  # the four-letter words
    by_initial: Mapping[str, tuple[str, ...]]  # words by first letter, and by it after clitics
    tokens_by_initial: Mapping[str, tuple[str, ...]]


def _lexicon(tokens: Iterable[str], words: Iterable[str]) -> _Lexicon:
    tokens, words = frozenset(tokens), frozenset(words)
    by_initial: dict[str, list[str]] = {}
    for x in words:
        for c in {x[:1], _CLITIC.sub("", x)[:1]}:
            by_initial.setdefault(c, []).append(x)
    tokens_by_initial: dict[str, list[str]] = {}
    for t in tokens:
        tokens_by_initial.setdefault(t[:1], []).append(t)
    return _Lexicon(
        tokens,
        words,
        tuple(g for g in _VARIANTS if g & words),
        frozenset(bare(x) for x in words),
        frozenset(k for x in words if is_derived_noun(x) for k in root_keys(x)),
        tuple(x for x in words if len(x) == 4),
        {c: tuple(xs) for c, xs in by_initial.items()},
        {c: tuple(ts) for c, ts in tokens_by_initial.items()},
    )


@lru_cache(maxsize=1 << 16)
def _word_tokens(word: str) -> tuple[str, ...]:
    return tuple(tokenize(word))


@lru_cache(maxsize=1 << 16)
def _verb_roots(word: str) -> frozenset[str]:
    """The root keys of ``word`` when it reads as a verb (roots.same_root's verb side)."""
    return root_keys(word) if is_verb(word) else frozenset()


def _close(a: str, b: str) -> bool:
    """Are ``a`` and ``b`` one written form give or take a typo: at most two letters apart in
    length and a difflib ratio of 0.8 (the cheap upper bounds tried first)."""
    if abs(len(a) - len(b)) > 2:
        return False
    # No more of ``a`` can match than its letters that ``b`` has: a bound on difflib's
    # matches cheaper than its own.
    letters = set(b)
    if 2 * sum(c in letters for c in a) < 0.8 * (len(a) + len(b)):
        return False
    m = SequenceMatcher(None, a, b)
    return m.real_quick_ratio() >= 0.8 and m.quick_ratio() >= 0.8 and m.ratio() >= 0.8


def _present(word: str, lex: _Lexicon) -> bool:
    """Is the question's topic ``word`` in the passage whose words ``lex`` holds?"""
    tokens = _word_tokens(word)
    if any(t in lex.tokens for t in tokens):
        return True
    if lex.variants and any(word in g or _CLITIC.sub("", word) in g for g in lex.variants):
        return True
    # Another clitic or attached pronoun on either side: قطر / لقطر, علاقاتها / العلاقات.
    b = bare(word)
    if len(b) >= 3 and b in lex.bares:
        return True
    # A verb where the passage has its verbal noun: يدرب / تدريب, تحررت / تحرير (roots.py).
    if lex.noun_roots and _verb_roots(word) & lex.noun_roots:
        return True
    if len(b) == 3:  # a short name spelt with a letter less: "jon" for "john"
        return any(x[0] == b[0] and _subsequence(b, x) for x in lex.fours)
    if len(b) < 4:
        return False
    # A typo ("soliders", "statoined"), on the words or on their stems ("apointed" and
    # "appointment" share the stem "appoint"): a close written form counts.
    stems = [t for t in tokens if len(t) >= 4]
    return any(_close(b, x) for x in lex.by_initial.get(b[:1], ())) or any(
        _close(s, t) for s in stems for t in lex.tokens_by_initial.get(s[:1], ())
    )


_MEMO_MAX = 256  # checks remembered per passage


@dataclass(frozen=True, eq=False)
class _Passage:
    """A passage's words as :func:`check_focus` reads them, read once per passage."""

    seq: tuple[str, ...]  # the text's and translation's words in order
    words: frozenset[str]
    lex: _Lexicon  # with the antecedent's words
    norm: str  # the words with the antecedent's, one space apart

    # What :meth:`remember` computed for this passage. Bounded: emptied when full.
    memo: dict[tuple, bool] = field(default_factory=dict)

    def remember(self, key: tuple, compute: Callable[[], bool]) -> bool:
        """``compute()``, once per ``key`` for this passage (a check of the passage and the
        question's words that ``key`` holds)."""
        hit = self.memo.get(key)
        if hit is None:
            if len(self.memo) >= _MEMO_MAX:
                self.memo.clear()
            hit = self.memo[key] = compute()
        return hit

    @cached_property
    def numbers(self) -> list[int]:
        """Where the numbers are in :attr:`seq` (offers.number_positions)."""
        return number_positions(self.seq)

    @cached_property
    def agents(self) -> set[int]:
        """The title, office and body groups the words name (offers.agent_groups)."""
        return agent_groups(self.words)


@lru_cache(maxsize=1024)
def _passage(text: str, translation: str | None, antecedent: str | None) -> _Passage:
    both = f"{text} {translation or ''}"
    seq = words_in_order(both)
    words = frozenset(seq)
    if antecedent:
        both = f"{both} {antecedent}"
        full = seq + words_in_order(antecedent)
    else:
        full = seq
    lex = _lexicon(tokenize(both), full)
    return _Passage(tuple(seq), words, lex, " ".join(full))


def _by_family(
    about: tuple[str, ...], missing: tuple[str, ...], norm: str, aliases: Sequence[Alias]
) -> tuple[str, ...]:
    """``missing`` less what names a person the passage names another way (bot/names.py):
    the given name (and a title just before it: Sheikh, الشيخ) of someone whose family name
    the passage gives ("Al Thani" for "Sheikh Tamim"); the words of a title phrase the corpus
    gives that person ("the Emir of Qatar", «أمير قطر») where the passage names them; and the
    reverse, the given name where the passage gives the title phrase."""
    found: set[str] = set()
    forms = {w: {w, bare(w)} for w in about}
    for alias in aliases:
        by_family, by_title, by_name = _alias_in(alias, norm)
        if by_family or by_title:
            for i, w in enumerate(about):
                if forms[w] & alias.given:
                    found.add(w)
                    if i and agent_groups({about[i - 1]}) & _TITLES:
                        found.add(about[i - 1])
        if by_family or by_name:
            for title in alias.titles:
                # The office must be asked ("امير"): "قطر" alone does not name the Emir.
                if any(title[0] in forms[w] for w in about):
                    found.update(w for w in about if forms[w] & set(title))
    return tuple(w for w in missing if w not in found)


@lru_cache(maxsize=1 << 14)
def _alias_in(alias: Alias, norm: str) -> tuple[bool, bool, bool]:
    """Does the passage (its normalised words ``norm``) give ``alias``'s family name, one of
    their title phrases, their given name?"""
    words = norm.split()
    forms = set(words) | {bare(w) for w in words}
    return alias.named_in(norm), alias.titled_in(norm), bool(alias.given & forms)


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)


def _new_name(
    focus: Focus, text: str, translation: str | None, antecedent: str | None = None
) -> bool:
    """Does the passage (with the name its opening "the <noun>" refers to, when given) name
    someone or somewhere the question does not?"""
    if antecedent:  # in brackets: not a sentence's first word, whose capital says nothing
        translation = f"{translation or ''} ({antecedent})"
    phrases = _name_phrases(text, translation)
    if phrases is None:  # no English to read names from: not judged
        return True
    asked = set(focus.about)
    tokens = {t for w in asked for t in tokenize(w)}
    # The names are read off English; an Arabic question gives them in Arabic script
    # ("تايفون" for "Typhoon"): one name when the consonant skeletons agree (align.py).
    # A name of several words is the question's own when it spells one of them so: «قاعدة
    # العديد» names "Al Udeid Air Base" (translating "Air Base", not spelling it).
    arabic = [w for w in asked if _ARABIC.search(w)]
    names = [n for p in phrases if not any(same_name(x, w) for x in p for w in arabic) for n in p]
    if focus.unit == "city":  # a country or a region is no city ("the Middle East", "Qatar")
        names = [n for n in names if n not in _NOT_CITIES]
    lex = _lexicon(tokens, asked)
    return any(not _present(n, lex) and not any(same_name(n, w) for w in arabic) for n in names)


@lru_cache(maxsize=1024)
def _name_phrases(text: str, translation: str | None) -> tuple[tuple[str, ...], ...] | None:
    """offers.name_phrases, read once per passage."""
    phrases = name_phrases(text, translation)
    return None if phrases is None else tuple(map(tuple, phrases))


def _counts(noun: str, seq: Sequence[str], norm: str, positions: list[int]) -> bool:
    """Does the passage give a number of ``noun``: a number at most three words from it, or
    "the number of <noun>" / «عدد <noun>» with a number in the sentence?"""

    def names_noun(words: list[str]) -> bool:
        return _present(noun, _lexicon((t for w in words for t in tokenize(w)), words))

    if any(names_noun(seq[max(0, i - 3) : i + 4]) for i in positions):
        return True
    spans = [next(g for g in m.groups() if g) for m in _NUMBER_OF.finditer(norm)]
    return bool(positions) and any(names_noun(s.split()) for s in spans)


def _nations(words: list[str]) -> set[int]:
    """Which of the partner countries (indexes into _NATIONS) the words name."""
    forms = set(words) | {bare(w) for w in words} | {_CLITIC.sub("", w) for w in words}
    return {i for i, g in enumerate(_NATIONS) if g & forms}


def _role_nations(seq: list[str], roles: set[int]) -> set[int]:
    """The countries named at most two words from a word of one of the ``roles`` (AGENTS
    indexes): "British Defence Secretary", «وزير الدفاع البريطاني»."""
    found: set[int] = set()
    for i, w in enumerate(seq):
        if agent_groups({w}) & roles:
            found |= _nations(seq[max(0, i - 2) : i + 3])
    return found


def _other_holder(about: list[str], seq: list[str], roles: set[int]) -> bool:
    """Does the question qualify its role by a country ("the *Qatari* defence minister")
    the passage does not give that role, which it gives another ("the *British* one")?"""
    if not roles:
        return False
    asked = _role_nations(about, roles)
    offered = _role_nations(seq, roles)
    return bool(asked and offered and not asked & offered)


def _offers(
    focus: Focus, p: _Passage, text: str, translation: str | None, antecedent: str | None
) -> str:
    """ "" when the passage offers an answer of the focus's kind, else the reason it does not."""
    kind = focus.kind
    seq, words = p.seq, p.words
    norm = " ".join(seq)
    if kind == "date" and not p.remember(("date",), lambda: has_date(norm, words)):
        if focus.unit != "duration" or not p.remember(
            ("measure", "duration"), lambda: has_measure(seq, "duration")
        ):
            return "no date"
    if kind == "count" and not p.numbers:
        return "no number"
    unit = focus.unit or "amount"
    if kind == "measure" and not p.remember(("measure", unit), lambda: has_measure(seq, unit)):
        return "no unit"
    if kind == "person":
        asked, named = agent_groups(set(focus.about)), p.agents
        if (asked & ROLES) - named:  # "who is the *ambassador*": the passage names none
            return "no person"
        if not (named - asked) and not p.remember(
            ("name", focus.about, focus.unit), lambda: _new_name(focus, text, translation)
        ):
            return "no person"  # every title and name in the passage is the question's own
        if _other_holder(list(focus.about), seq, asked & ROLES):
            return "another country"  # «وزير الدفاع القطري» against the British one
    # "The base serves as a main operational hub" says where the hub is: at the base the
    # previous sentence names. (Not for a person: a base's name says nobody.)
    if kind == "place" and not p.remember(
        ("place", focus.about, focus.unit),
        lambda: _new_name(focus, text, translation, antecedent),
    ):
        return "no place"
    if (
        kind == "count"
        and focus.counted
        and not p.remember(
            ("counts", focus.counted), lambda: _counts(focus.counted, seq, norm, p.numbers)
        )
    ):
        return "counts something else"  # "the two sides … several agreements"
    return ""


def check_focus(
    focus: Focus,
    text: str,
    translation: str | None = None,
    aliases: Sequence[Alias] = (),
    antecedent: str | None = None,
) -> FocusCheck:
    """Does the passage (its text and aligned translation) offer what the question asks?

    ``aliases`` (bot/names.py): people the corpus names by family name after their full name;
    a question's given name (and the title before it) is present where the family is named.
    ``antecedent`` (names.antecedents): the name the passage's opening "the <noun>" refers
    to ("Al Udeid Air Base" for "The base serves…"): its words are the passage's, and it is
    the place a where-question asks for. Never a number, a date or a person.
    """
    if focus.kind is None:
        return FocusCheck(True)
    p = _passage(text, translation, antecedent)
    reason = _offers(focus, p, text, translation, antecedent)
    if reason:
        return FocusCheck(False, (), reason)
    words = p.lex.words
    missing = tuple(
        w for w in focus.about if not p.remember(("word", w), lambda w=w: _present(w, p.lex))
    )
    if missing and aliases:
        missing = _by_family(focus.about, missing, p.norm, aliases)
    if any(
        any(w in g or _CLITIC.sub("", w) in g for w in missing) and not (g & words)
        for g in _COUNTRIES
    ) and any(g & words for g in _COUNTRIES):
        # The question names one country, the passage only the other: about someone else.
        return FocusCheck(False, missing, "another country")
    return FocusCheck(not missing, missing, "missing words" if missing else "")
