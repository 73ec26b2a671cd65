"""Who does what to whom: a claim that swaps the roles of two named parties.

"Sheikh Tamim invited King Charles III" names the same people as the article's "King Charles
III invited the Emir of Qatar", with the same verb, and every name and value matches; only
the roles differ. Within one language (the claim against the passage's view in it), for a
content word both texts share (the *predicate*) the **agent** is the name just before it
(English, and Arabic subject-first) or, in Arabic verb-first order, the first name after it;
the **patient** is the next other name after it. The roles are swapped when the claim's agent
is the passage's patient of the same predicate, or its patient the passage's agent.

Left alone (no swap read): a passive ("was invited by", «من قبل», «تم»), names joined by
"and"/و/with/مع/between/بين, and names of places or things (only people, countries and
organisations act).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from .claims import Fact, Word

#: Entity types that act: the agent or patient of a predicate.
ACTORS = frozenset({"person", "country", "organisation"})
#: Words allowed between a name and its predicate ("Biden *officially* designated", «دعا
#: *ال*ملك»).
_GAP = 1
_PASSIVE_EN = re.compile(r"\b(?:was|were|is|are|been|being|be|got)\s+(?:\w+ly\s+)?$")
_BY_EN = re.compile(r"^\s*(?:\w+\s+){0,3}?by\b")
_PASSIVE_AR = re.compile(r"(?:من قبل|من جانب|على يد|بقرار من|(?<!\w)تمت?(?!\w))")
_JOIN = re.compile(r"(?<!\w)(?:and|with|between|or|و|مع|بين|او)(?!\w)|^\s*و|[,،&]")
_TOKEN = re.compile(r"\w+")
#: An Arabic word with the article, or after "the": a noun or adjective, not a verb.
_DEFINITE = re.compile(r"^[وفب]?(?:ال|لل)")


class Analysed(Protocol):
    """A text with its facts and content words (compare.Text)."""

    text: str
    lang: str
    facts: tuple[Fact, ...]
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Swap:
    """The claim's party in the passage's other role, for one shared predicate."""

    claim: Fact  # the claim's name whose role differs
    passage: Fact  # the passage's name in the role the claim gives it
    predicate: str


def _gap(text: str, a: int, b: int) -> int:
    return len(_TOKEN.findall(text[a:b]))


def _roles(
    t: Analysed, p: Word, span: tuple[int, int], names: list[Fact]
) -> tuple[Fact, Fact] | None:
    """(agent, patient) of predicate ``p`` in ``t`` within ``span``, or None: the agent right
    before ``p`` (or, in Arabic, right after it), the patient the first other name right after
    (the agent's own further names, "the Emir of Qatar, Sheikh Tamim", skipped). ``names``:
    the actors' names in ``span``, in text order."""
    if len(p.text) < 3 or _DEFINITE.match(p.text):
        return None  # "'s", a clitic, or a noun with the article (الرئيس): no predicate
    head = t.text[max(span[0], p.start - 40) : p.start]
    if _PASSIVE_EN.search(head) or re.search(r"\b(?:the|a|an)\s+$", head):
        return None
    if _BY_EN.match(t.text[p.end : min(span[1], p.end + 60)]):
        return None
    before = [f for f in names if f.end <= p.start][-1:]
    after = [f for f in names if f.start >= p.end]
    if before and _gap(t.text, before[0].end, p.start) <= _GAP:
        agent, at = before[0], p.end
    elif t.lang == "ar" and after and _gap(t.text, p.end, after[0].start) <= _GAP:
        agent, at = after[0], after[0].end
        after = after[1:]
    else:
        return None
    for f in after:
        if _gap(t.text, at, f.start) > _GAP + 1:
            return None
        if f.value == agent.value:
            at = f.end
            continue
        if _JOIN.search(t.text[at : f.start]):
            return None  # "Qatar and the US", «قطر والولايات المتحدة»: a pair, not two roles
        return agent, f
    return None


def _actors(t: Analysed, span: tuple[int, int]) -> list[Fact] | None:
    """The names that act in ``span``, or None when the span is passive (no roles read)."""
    if _PASSIVE_AR.search(t.text[span[0] : span[1]]):
        return None
    return [
        f
        for f in t.facts
        if f.kind == "name" and f.slot in ACTORS and span[0] <= f.start and f.end <= span[1]
    ]


def swapped(
    claim: Analysed, passage: Analysed, clause: tuple[int, int] | None = None
) -> Swap | None:
    """The first shared predicate whose agent and patient the claim swaps, if any."""
    if claim.lang != passage.lang:
        return None
    span = clause or (0, len(passage.text))
    whole = (0, len(claim.text))
    mine_names, their_names = _actors(claim, whole), _actors(passage, span)
    if not mine_names or not their_names or len(mine_names) < 2:
        return None
    shared = [p for p in passage.words if span[0] <= p.start < span[1]]
    theirs_of: dict[int, tuple[Fact, Fact] | None] = {}
    for cw in claim.words:
        pws = [pw for pw in shared if pw.stems & cw.stems]
        if not pws:
            continue
        mine = _roles(claim, cw, whole, mine_names)
        if mine is None:
            continue
        for pw in pws:
            if pw.start not in theirs_of:
                theirs_of[pw.start] = _roles(passage, pw, span, their_names)
            theirs = theirs_of[pw.start]
            if theirs is None:
                continue
            (ca, cp), (pa, pp) = mine, theirs
            if ca.value == pp.value and ca.value != pa.value:
                return Swap(ca, pa, cw.text)
            if cp.value == pa.value and cp.value != pp.value:
                return Swap(cp, pp, cw.text)
    return None
