"""What a follow-up's "it", "there" or "the second one" stands for, from the previous answer.

The previous answer names things: the base, the academy, the squadrons, the countries. The
ones its question did not name are what the answer told the user, and what a follow-up
points back to. With no language model, the rules are:

* **"it" / "there"** (هناك, a feminine pronoun: دورها, فيها): the first of those names that is
  a thing (for "there": a place) and is not everywhere in the corpus (a name in more than
  :data:`COMMON_SHARE` of the passages, such as the country the article is about, says
  nothing). A text names a thing once and then refers back to it by its kind ("The base
  serves as…", "وتعتبر القاعدة…"), so a thing with a kind noun is searched by that noun; its
  name would pull retrieval back to the sentence already quoted.
* **ordinals** ("the first one", "the second of them", "الأول منها", "أولها"): the n-th of
  the names of one kind the previous answer listed ("the joint UK-Qatar Typhoon and Hawk
  squadrons" -> Typhoon, Hawk), searched by name.
* **names**, of people above all, are searched by the shortest spelling the corpus uses for
  them ("Sheikh Tamim bin Hamad Al Thani" -> "Al Thani"): an article spells a name in full
  once and shortly after, and the full name pulls retrieval to the sentences spelling it out.

Names come from entities.py (Arabic and English spellings, clitics و ب ل ف and the article
allowed), found by claims.py's ``mentions``. :class:`Quotables` holds what this needs about
the corpus, built once per index.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from .claims import mentions
from .entities import BY_ID
from .normalize import normalize

#: A name found in more than this share of the passages is everywhere, and says nothing.
COMMON_SHARE = 0.25

#: Entity types that "there" / "هناك" can stand for.
PLACE_TYPES = frozenset({"base", "academy", "city", "country", "region"})
#: The noun a text uses to refer back to a named thing of this type (English, Arabic).
KIND_NOUNS = {"base": ("base", "القاعدة"), "academy": ("academy", "الأكاديمية")}

_THING_EN = re.compile(r"\b(?:it|its|itself|there)\b", re.I)
_PLACE_EN = re.compile(r"\bthere\b", re.I)
# Standalone pronouns of a thing, and a noun or verb carrying the feminine suffix "ها"
# (Arabic things are mostly feminine: القاعدة، قطر، الأكاديمية), as in "وما دورها؟".
_THING_AR = re.compile(
    r"(?<!\w)(?:[وف])?(?:هناك|فيها|منها|لها|بها|عنها|عليها|اليها|إليها)(?!\w)|(?<!\w)\w{3,}ها(?!\w)"
)
_PLACE_AR = re.compile(r"(?<!\w)(?:[وف])?(?:هناك|فيها)(?!\w)")

_ORDINALS_EN = {"first": 1, "second": 2, "third": 3, "fourth": 4, "former": 1}
_ORDINAL_EN = re.compile(
    r"\bthe (first|second|third|fourth|former|latter)"
    r"(?: ones?\b| of (?:them|those|these|the two)\b|(?=\s*[?.!,]))",
    re.I,
)
_ORDINALS_AR = {"اول": 1, "اولي": 1, "ثاني": 2, "ثانيه": 2, "ثالث": 3, "ثالثه": 3}
# On normalised text: "الأول منها", "الثانية؟" (at the end of the question), "أولها",
# "ثانيهما"; a month name is not an ordinal (كانون الثاني).
_ORDINAL_AR = re.compile(
    r"(?<!\w)(?<!كانون )(?<!تشرين )[وفبل]?(?:ال(اول|اولي|ثاني|ثانيه|ثالث|ثالثه)"
    r"(?= (?:منها|منهما|منهم)(?!\w)|\s*[؟?.!]?\s*$)"
    r"|(اول|ثاني|ثالث)(?:ها|هما|هم)(?!\w))"
)


@dataclass(frozen=True)
class Quotable:
    """A corpus passage as the resolver needs it: id, text and aligned translation."""

    id: str
    text: str
    translation: str | None = None


@dataclass(frozen=True)
class Named:
    """An entity an answer named: its id, type and spelling there."""

    id: str
    type: str
    text: str


# An answer quotes passages between « » or " ", each followed by its number: «…» [1].
_CLOSE = re.compile(r"[»\"] \[\d+\]")
#: Openers tried per closing quote mark (a quoted sentence may itself contain quote marks).
_MAX_OPENERS = 8


class Quotables:
    """The corpus passages, indexed for follow-up resolution (built once per index)."""

    def __init__(self, passages: Sequence[Quotable]):
        self.passages = tuple(passages)
        self.by_id = {p.id: p for p in self.passages}
        self._by_quote: dict[str, Quotable] = {}
        for p in reversed(self.passages):  # the first passage wins a repeated sentence
            for quote in (p.text, p.translation):
                if quote and quote.strip():
                    self._by_quote[quote.strip()] = p
        self._name_share: dict[str, float] = {}
        self._longest = max((len(q) for q in self._by_quote), default=0)

    def __len__(self) -> int:
        return len(self.passages)

    def cited(self, answer: str) -> list[Quotable]:
        """The passages an answer quotes verbatim, in the order it quotes them.

        Each closing mark followed by a citation number is matched with an opening mark at most
        one passage length before it, so the work stays linear in the answer's length whatever
        a client sends back as history.
        """
        out: list[Quotable] = []
        for m in _CLOSE.finditer(answer):
            close = m.start()
            opener = "«" if answer[close] == "»" else '"'
            floor = max(0, close - self._longest - 2)
            at = close
            for _ in range(_MAX_OPENERS):
                at = answer.rfind(opener, floor, at)
                if at < 0:
                    break
                p = self._by_quote.get(answer[at + 1 : close].strip())
                if p is not None:
                    if p not in out:
                        out.append(p)
                    break
        return out

    def name_share(self, span: str) -> float:
        """The share of passages whose translation contains ``span`` (memoised)."""
        share = self._name_share.get(span)
        if share is None:
            n = sum(1 for q in self.passages if q.translation and span in q.translation)
            share = self._name_share[span] = n / len(self.passages) if self.passages else 0.0
        return share

    @cached_property
    def _entity_stats(self) -> tuple[Counter, dict[tuple[str, str], str]]:
        passages_with: Counter = Counter()
        shortest: dict[tuple[str, str], str] = {}
        for p in self.passages:
            ids = set()
            for script, text in (("ar", p.text), ("en", p.translation)):
                for f in mentions(text or ""):
                    ids.add(f.value)
                    key = (f.value, script)
                    if key not in shortest or len(f.text) < len(shortest[key]):
                        shortest[key] = f.text
            passages_with.update(ids)
        return passages_with, shortest

    def common(self, entity: str) -> bool:
        """True when the entity is named in more than :data:`COMMON_SHARE` of the passages."""
        n = self._entity_stats[0][entity]
        return bool(self.passages) and n / len(self.passages) > COMMON_SHARE

    def short_form(self, entity: str, language: str) -> str | None:
        """The shortest spelling of ``entity`` in the corpus, in ``language`` if it has one."""
        shortest = self._entity_stats[1]
        other = "ar" if language == "en" else "en"
        return shortest.get((entity, language)) or shortest.get((entity, other))


def as_quotables(passages: Sequence[Quotable] | Quotables) -> Quotables:
    """``passages`` indexed, unless they already are."""
    return passages if isinstance(passages, Quotables) else Quotables(passages)


def named(text: str) -> list[Named]:
    """The entities ``text`` names, in order, each once (the longest spelling where spellings
    nest: "Emir of Qatar" is the Emir, not Qatar)."""
    kept: list = []
    for f in sorted(mentions(text), key=lambda f: (f.start - f.end, f.start)):
        if not any(g.start < f.end and f.start < g.end for g in kept):
            kept.append(f)
    out: list[Named] = []
    for f in sorted(kept, key=lambda f: f.start):
        if all(n.id != f.value for n in out):
            out.append(Named(f.value, BY_ID[f.value].type, f.text))
    return out


#: Characters of a turn read for names: Sanad's answers quote at most two sentences, and a
#: pronoun points to what an answer says first (this also bounds the work on long history).
MAX_READ = 2000


def answered(asked: str, answer: str) -> list[Named]:
    """The entities the answer named that its question did not: what it told the user."""
    asked_ids = {n.id for n in named(asked[:MAX_READ])}
    return [n for n in named(answer[:MAX_READ]) if n.id not in asked_ids]


def thing_pronoun(question: str) -> str | None:
    """``"place"`` for "there" / هناك, ``"thing"`` for "it" / a feminine pronoun, else None."""
    if _PLACE_EN.search(question) or _PLACE_AR.search(question):
        return "place"
    if _THING_EN.search(question) or _THING_AR.search(question):
        return "thing"
    return None


def ordinal(question: str) -> int | None:
    """The n of "the n-th one" / "الـn منها" / "أولها" in ``question`` (-1: "the latter")."""
    m = _ORDINAL_EN.search(question)
    if m:
        word = m.group(1).lower()
        return -1 if word == "latter" else _ORDINALS_EN[word]
    m = _ORDINAL_AR.search(normalize(question))
    if m:
        return _ORDINALS_AR[m.group(1) or m.group(2)]
    return None


def thing_referent(
    kind: str,
    items: Sequence[Named],
    quotables: Quotables,
    language: str,
    asked: Sequence[Named] = (),
) -> str | None:
    """The search words for "it"/"there": the kind noun or short name of the first
    distinctive thing (or place) among ``items``.

    Failing one, the first common one of a type the question (naming ``asked``) did not name:
    what the answer told ("Which partner does the US State Department call strategic?" ->
    Qatar). Where the question named one of that type too ("Who is Qatar a partner of?" ->
    the US), "it" may be either, and None leaves the question's topic words to decide."""
    things = [n for n in items if n.type != "person"]
    if kind == "place":
        things = [n for n in things if n.type in PLACE_TYPES]
    for n in things:
        if quotables.common(n.id):
            continue
        nouns = KIND_NOUNS.get(n.type)
        if nouns:
            return nouns[0] if language == "en" else nouns[1]
        return quotables.short_form(n.id, language) or n.text
    asked_types = {a.type for a in asked}
    for n in things:
        if n.type not in asked_types:
            return quotables.short_form(n.id, language) or n.text
    return None


def nth_referent(n: int, items: Sequence[Named], quotables: Quotables, language: str) -> str | None:
    """The search words for "the n-th one": the n-th name of the kind the list starts with."""
    if not items:
        return None
    same = [x for x in items if x.type == items[0].type]
    if len(same) < 2 or n > len(same):
        return None
    pick = same[n - 1] if n > 0 else same[-1]
    return quotables.short_form(pick.id, language) or pick.text


def short_name(name: str, quotables: Quotables, language: str) -> str:
    """``name`` as the corpus spells it shortest, when it is one known entity."""
    found = named(name)
    if len(found) == 1 and found[0].type == "person":
        return quotables.short_form(found[0].id, language) or name
    return name


def shorten_names(text: str, quotables: Quotables, language: str) -> str:
    """``text`` with each person named in full written as the corpus spells them shortest,
    when that spelling is part of the full one ("الشيخ تميم بن حمد آل ثاني" -> "آل ثاني")."""
    out, last = [], 0
    for f in sorted(mentions(text), key=lambda f: f.start):
        if BY_ID[f.value].type != "person" or f.start < last:
            continue
        short = quotables.short_form(f.value, "ar" if _is_ar(f.text) else "en")
        if not short or len(short) >= len(f.text):
            continue
        full = {normalize(w) for w in _WORDS.findall(f.text)}
        if not all(normalize(w) in full for w in _WORDS.findall(short)):
            continue  # "Emir of Qatar" is not shortened to "Al Thani"
        start = f.start
        if text[max(0, start - 2) : start] == "ال":  # "الشيخ": the article goes with the title
            start -= 2
        out += [text[last:start], short]
        last = f.end
    return "".join(out) + text[last:] if out else text


_WORDS = re.compile(r"\w+")


def _is_ar(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


def contrast(question: str, context: Sequence[str]) -> tuple[str, ...]:
    """The earlier topic words for a follow-up that only names another entity ("And for
    Britain?", "وبالنسبة لبريطانيا؟"): it asks the earlier question of that entity, so the
    first entity of its type the earlier topic named (usually the subject), with any name
    containing it ("وزارة الخارجية الأمريكية"), is left out. Otherwise ``context`` as given."""
    new = named(question)
    if len(new) != 1 or not context:
        return tuple(context)
    topic = " ".join(context)
    facts = mentions(topic)
    same = sorted(
        (f for f in facts if BY_ID[f.value].type == new[0].type and f.value != new[0].id),
        key=lambda f: f.start,
    )
    if not same:
        return tuple(context)
    f = same[0]
    a, b = f.start, f.end
    for g in facts:  # the widest name containing it
        if g.start <= f.start and f.end <= g.end:
            a, b = min(a, g.start), max(b, g.end)
    kept, pos = [], 0
    for w in context:
        start = topic.index(w, pos)
        pos = start + len(w)
        if pos <= a or start >= b:
            kept.append(w)
    return tuple(kept)
