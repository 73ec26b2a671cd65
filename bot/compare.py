"""Compare a claim with one passage: which parts it supports, which it contradicts.

Pure functions over :mod:`bot.claims` facts. A passage is seen through its *views*: the
original sentence and, when there is one, its aligned English translation. Values are
compared in every view (a number, a month, a rank or an entity id is the same in both
languages); content words only in the view written in the claim's language.

Rules, per claim fact:

* **number, date, ordinal** — the passage clause that shares most with the claim (its *best
  clause*) decides: the same value there supports; a different value of the same slot there
  (a count for a count, a year for a year, a month for a month, a rank for a rank)
  contradicts. Otherwise the same value anywhere in the passage supports; a value the passage
  does not state is *missing* (the passage is silent about it).
* **name** — the same entity anywhere in the passage supports. An entity the passage does not
  name, where the passage names another entity *of the same type* that the claim does not
  (another person, country, academy, base, organisation, aircraft), contradicts: a swap.
  Otherwise it is missing.
* **negation** — a claim that negates what the passage's best clause states positively, or
  the reverse, contradicts; both negative supports.
* **place, branch, rank, relation** — a capital the claim puts something *in* ("talks in
  Doha") is a place of its own where the passage puts it *at* another place (an academy, a
  base, another city), not its country; a service branch the passage does not name, where it
  names another of the same country ("US Navy" for "US Army"), is another organisation; a
  rank claimed outright against the passage's "one of" it ("the first" for "one of the
  first") contradicts (the reverse supports); "before"/"after" («قبل»/«بعد») the same anchor
  word are opposite relations. Each in the view written in the claim's language, the place
  in every view (phrasing.py's lists).

A passage with no view in the claim's language (an Arabic sentence without a translation
against an English claim, or the reverse) is compared through a token :class:`Alignment`
(align.py) when the verifier has one: the best clause is the one the claim's tokens find
themselves in best; a claim value is compared with that clause's values of its slot first,
then with the passage fact its tokens link to; a name with the passage name it links to (the
same name when their consonant skeletons agree, else a swap), and an Arabic claim word
spelling a name the document writes nearby is a name too; the content words linked with a
cosine of at least ``LINK_AT`` and the facts found give the coverage. Spans found so carry
``via: "alignment"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .align import Alignment, Link, same_name, skeleton
from .claims import Fact, Word, clauses, facts, fold, mentions, words
from .entities import CAPITALS
from .lexical import tokenize
from .normalize import question_language
from .phrasing import branches, pole, temporal_relations
from .roles import swapped

#: Cosine at which a claim word's best passage token counts as the passage saying it (fitted
#: on the tune split of tests/data/claims_xl.jsonl; docs/quality.md).
LINK_AT = 0.82
#: Lowest cosine of a link that places a claim value or name on a passage fact.
PLACE_AT = 0.72
#: Lowest cosine of a (mutual) link on which a different value contradicts, of the claim
#: clause in the passage clause where a different value of the same slot contradicts, and of
#: a count's noun in that clause (tune splits; docs/quality.md).
VALUE_AT = 0.78


@dataclass(frozen=True)
class Text:
    """A text analysed once: its facts, content words and clauses."""

    text: str
    lang: str
    facts: tuple[Fact, ...]
    words: tuple[Word, ...]
    clauses: tuple[tuple[int, int], ...]
    mentions: tuple[Fact, ...] = ()  # every entity spelling, nested ones included

    @classmethod
    def of(cls, text: str, lang: str | None = None) -> Text:
        """Analyse ``text`` (language from its script unless given)."""
        fs = facts(text)
        return cls(
            text,
            lang or question_language(text),
            tuple(fs),
            tuple(words(text, [f for f in fs if f.kind != "negation"])),
            tuple(clauses(text)),
            tuple(mentions(text)),
        )


@dataclass(frozen=True)
class View:
    """One text of a passage: ``where`` is "source" (offsets shift by the passage's start in
    its document) or "translation" (offsets into the translation string)."""

    where: str
    offset: int
    text: Text
    align: Alignment | None = None  # the claim's tokens against this view's, across languages


@dataclass(frozen=True)
class Match:
    """One part of the claim and the passage text it was compared with."""

    kind: str  # number | date | ordinal | name | negation | role | antonym | term
    claim: tuple[int, int, str]
    passage: tuple[int, int, str, str]  # start, end, text, "source" | "translation"
    reason: str
    via: str = "text"  # "text" | "translation" | "alignment": how the passage span was found

    def to_dict(self) -> dict:
        """The public SPAN object."""
        c, p = self.claim, self.passage
        via = "translation" if p[3] == "translation" and self.via == "text" else self.via
        return {
            "kind": self.kind,
            "claim": {"start": c[0], "end": c[1], "text": c[2]},
            "passage": {"start": p[0], "end": p[1], "text": p[2], "in": p[3]},
            "reason": self.reason,
            "via": via,
        }


@dataclass(frozen=True)
class Comparison:
    """What one passage says about a claim."""

    supports: tuple[Match, ...]
    contradicts: tuple[Match, ...]
    missing: tuple[Fact, ...]  # claim facts the passage neither states nor contradicts
    coverage: float | None  # share of the claim's content words in the passage (same language)
    aligned: bool = False  # compared through the token alignment (no view in the claim's language)


def _pspan(view: View, start: int, end: int) -> tuple[int, int, str, str]:
    return (start + view.offset, end + view.offset, view.text.text[start:end], view.where)


def _cspan(claim: Text, start: int, end: int) -> tuple[int, int, str]:
    return (start, end, claim.text[start:end])


def _inside(f: Fact | Word, span: tuple[int, int]) -> bool:
    return span[0] <= f.start and f.end <= span[1]


def _share(claim: Text, span: tuple[int, int], view: View, clause: tuple[int, int]) -> int:
    """How many content words and fact values of the claim's ``span`` the view's ``clause``
    shares."""
    stems = {s for w in claim.words if _inside(w, span) for s in w.stems}
    values = {(f.kind, f.value) for f in claim.facts if _inside(f, span)}
    t = view.text
    return sum(1 for w in t.words if _inside(w, clause) and w.stems & stems) + sum(
        1 for f in t.facts if _inside(f, clause) and (f.kind, f.value) in values
    )


def best_clause(
    claim: Text, view: View, near: Fact | None = None, memo: dict | None = None
) -> tuple[int, int]:
    """The clause of ``view`` sharing most with the claim clause around ``near`` (ties and
    no overlap: most with the whole claim, then, for a value, a clause holding a value of its
    slot: the year of "relations began in 1972" rather than the clause naming the two
    countries). ``memo`` caches it per claim clause and view: a long claim has many facts in
    few clauses."""
    whole = (0, len(claim.text))
    part = next((c for c in claim.clauses if near and _inside(near, c)), whole)
    slot = (near.kind, near.slot) if near and near.kind in ("number", "date", "ordinal") else None
    key = (id(view), part, slot)
    if memo is None or key not in memo:
        al = _aligned(claim, view)
        best = max(
            view.text.clauses,
            key=lambda c: (
                (al.clause_score(part, c), al.clause_score(whole, c))
                if al
                else (
                    _share(claim, part, view, c),
                    _share(claim, whole, view, c),
                    slot is not None
                    and any((g.kind, g.slot) == slot and _inside(g, c) for g in view.text.facts),
                )
            ),
        )
        if memo is None:
            return best
        memo[key] = best
    return memo[key]


def _claim_clause(claim: Text, f: Fact) -> tuple[int, int]:
    """The claim clause holding fact ``f`` (the whole claim when none does)."""
    return next((c for c in claim.clauses if _inside(f, c)), (0, len(claim.text)))


def _aligned(claim: Text, view: View) -> Alignment | None:
    """The view's alignment when the view is in another language than the claim."""
    return view.align if view.text.lang != claim.lang else None


def _placed(claim: Text, f: Fact, view: View) -> tuple[Link, list[Fact]] | None:
    """Where the alignment puts claim fact ``f`` in ``view``, and the view's facts there."""
    al = _aligned(claim, view)
    link = al.link(f.start, f.end) if al else None
    if link is None or link.score < PLACE_AT:
        return None
    return link, [g for g in view.text.facts if g.start < link.end and link.start < g.end]


def _comparable(f: Fact, g: Fact) -> bool:
    # Counts of different things are not compared ("three agreements" vs "two countries");
    # a label ("No. 12 Squadron") is no count of the word after it.
    return (
        f.kind != g.kind
        or f.slot != g.slot
        or f.slot == "label"
        or not f.unit
        or not g.unit
        or bool(f.unit & g.unit)
    )


def _unit_found(claim: Text, f: Fact, view: View, clause: tuple[int, int]) -> bool:
    """Across languages, whether the noun a claim count counts ("3 million *inhabitants*")
    finds itself in the passage clause: units of two languages share no spelling, and a count
    of another thing is no contradiction."""
    al = _aligned(claim, view)
    if al is None or f.kind != "number" or not f.unit:
        return True
    word = next((w for w in claim.words if w.start >= f.end and w.stems & f.unit), None)
    if word is None:
        return True
    link = al.link(word.start, word.end, clause)
    return link is not None and link.mutual and link.score >= VALUE_AT


def _value_match(claim: Text, f: Fact, views: list[View], memo: dict) -> Match | Fact:
    cs = _cspan(claim, f.start, f.end)
    for v in views:  # the facts the alignment links the claim's fact to
        if _aligned(claim, v) is None:
            continue
        clause = best_clause(claim, v, f, memo)
        placed = _placed(claim, f, v)
        # Units are words of two languages here: the alignment placing the value on the
        # passage's value (both ways) stands for the same unit.
        there = [
            g
            for g in (placed[1] if placed else [])
            if g.kind == f.kind and g.slot == f.slot and (placed[0].mutual or _comparable(f, g))
        ]
        same = [g for g in there if g.value == f.value]
        # The clause the claim finds itself in best decides before a link elsewhere: "talks
        # in July" against "appointed in July, and held talks in December" is the talks'
        # month, though "July" links to "July".
        # Units are words of two languages: whether the count's noun is there is asked of the
        # alignment (_unit_found), not of the spelling.
        own = [
            g for g in v.text.facts if g.kind == f.kind and g.slot == f.slot and _inside(g, clause)
        ]
        same_own = [g for g in own if g.value == f.value]
        if same_own or (same and not own):
            g = (same_own or same)[0]
            return Match(
                f.kind, cs, _pspan(v, g.start, g.end), f"same {f.slot}: {g.value}", "alignment"
            )
        if (
            own
            and _aligned(claim, v).clause_score(_claim_clause(claim, f), clause) >= VALUE_AT
            and _unit_found(claim, f, v, clause)
        ):
            return _aligned_differs(f, cs, v, own[0])
        # A different value elsewhere contradicts only where the link is strong and mutual:
        # a year links to any year, and a weak link is a value of another event.
        if same:
            return f  # the value linked elsewhere, another in a clause matched weakly: unsure
        differ = [g for g in there if g.value != f.value]
        if (
            differ
            and placed[0].mutual
            and placed[0].score >= VALUE_AT
            and _unit_found(claim, f, v, clause)
        ):
            return _aligned_differs(f, cs, v, differ[0])
    for v in views:  # the view in the claim's language first
        if _aligned(claim, v):
            continue  # placed by the alignment above, not by a clause's values
        clause = best_clause(claim, v, f, memo)
        there = [
            g
            for g in v.text.facts
            if _as(f, g) is not None and _inside(g, clause) and _comparable(f, g)
        ]
        same = [g for g in there if _as(f, g) == f.value and not _opposite(f, g)]
        if same:
            g = same[0]
            return Match(f.kind, cs, _pspan(v, g.start, g.end), f"same {f.slot}: {_as(f, g)}")
        if there:
            g = next((g for g in there if _opposite(f, g)), there[0])
            return Match(
                f.kind,
                cs,
                _pspan(v, g.start, g.end),
                f"{f.slot} differs: the claim says {f.bound}{f.value}, the passage "
                f"{g.bound}{_as(f, g)}",
            )
    for v in views:
        for g in v.text.facts:
            if _as(f, g) == f.value and not _opposite(f, g) and _comparable(f, g):
                return Match(f.kind, cs, _pspan(v, g.start, g.end), f"same {f.slot}: {f.value}")
    for v in views:  # the same value bounded the other way, anywhere: "less than a decade"
        for g in v.text.facts:
            if _as(f, g) == f.value and _opposite(f, g) and _comparable(f, g):
                return Match(
                    f.kind,
                    cs,
                    _pspan(v, g.start, g.end),
                    f"{f.slot} differs: the claim says {f.bound}{f.value}, the passage "
                    f"{g.bound}{g.value}",
                )
    return f


def _opposite(f: Fact, g: Fact) -> bool:
    """More than against less than ("less than a decade" vs "more than a decade"); a claim's
    rank outright against the passage's "one of" that rank ("the first" vs "one of the
    first": the passage does not say which one; the reverse is implied, so it is the same)."""
    return {f.bound, g.bound} == {"<", ">"} or (g.bound == "among" and f.bound != "among")


def _as(f: Fact, g: Fact) -> str | None:
    """Passage fact ``g``'s value in claim fact ``f``'s slot (a year read as its decade for
    "in the 1970s"), or None when they are not comparable."""
    if g.kind != f.kind:
        return None
    if g.slot == f.slot:
        return g.value
    if (f.slot, g.slot) == ("decade", "year"):
        return str(int(g.value) // 10 * 10)
    return None


def _name_match(
    claim: Text, f: Fact, views: list[View], context: frozenset[str]
) -> Match | Fact | None:
    cs = _cspan(claim, f.start, f.end)
    names = [(v, g) for v in views for g in v.text.facts if g.kind == "name"]
    mentions = [(v, g) for v in views for g in v.text.mentions]
    if _city(f) and _located(claim.text, f):
        # "talks in Doha" against "talks at Sandhurst": the city is a place of its own
        # there, not its country, which the passage may name in another role.
        claimed = {g.value for g in claim.facts if g.kind == "name"}
        for v, g in names:
            if (
                g.value not in claimed
                and (g.slot in ("academy", "base") or _city(g))
                and _located(v.text.text, g)
            ):
                return Match(
                    "name",
                    cs,
                    _pspan(v, g.start, g.end),
                    f"another place: the passage names {g.text!r} where the claim names {f.text!r}",
                )
    for view, g in names + mentions:
        if g.value == f.value:
            return Match("name", cs, _pspan(view, g.start, g.end), f"same {g.slot}")
    if f.value in context:
        return None  # named just before ("the base" after "Al Udeid Air Base")
    for v in views:
        aligned = _aligned_name(claim, f, v, cs)
        if aligned is not None:
            return aligned
    if f.slot != "unknown":
        claimed = {g.value for g in claim.facts if g.kind == "name"}
        for v, g in names:
            if g.slot == f.slot and g.value not in claimed:
                return Match(
                    "name",
                    cs,
                    _pspan(v, g.start, g.end),
                    f"another {f.slot}: the passage names {g.text!r} where the claim "
                    f"names {f.text!r}",
                )
    return f


#: A locative preposition just before a place: "in", "at", «في», «ب» (folded; the article
#: of an Arabic name is outside its span).
_LOCATIVE = re.compile(r"(?:\b(?:in|at)(?: the)?\s+|(?<!\w)(?:في\s+(?:ال)?|[وف]?بال?))$")


def _city(f: Fact) -> bool:
    """A name spelt as a capital city ("Doha", «الدوحة»), not as its country."""
    spelt = f.text if f.text.isascii() else fold(f.text)[0]  # Arabic on the folded text
    return f.slot == "country" and bool(CAPITALS.search(spelt))


def _located(text: str, f: Fact) -> bool:
    """Whether ``f`` follows a locative preposition in ``text`` ("in Doha", «في الدوحة»)."""
    return bool(_LOCATIVE.search(fold(text[max(0, f.start - 12) : f.start])[0]))


def _aligned_differs(f: Fact, cs: tuple, view: View, g: Fact) -> Match:
    """A claim value contradicted by the passage value ``g`` the alignment placed it against."""
    return Match(
        f.kind,
        cs,
        _pspan(view, g.start, g.end),
        f"{f.slot} differs: the claim says {f.value}, the passage {g.value}",
        "alignment",
    )


def _aligned_name(claim: Text, f: Fact, view: View, cs: tuple) -> Match | None:
    """A claim name the alignment links to a passage name (or a passage word spelt like it):
    the same name supports; a different name of a comparable type contradicts."""
    placed = _placed(claim, f, view)
    if placed is None or not placed[0].mutual:
        return None
    link, there = placed
    for g in there:
        # Two listed entities are compared by id (the typed swap below); the alignment is
        # for names outside the list, on either side.
        if g.kind != "name" or "unknown" not in (f.slot, g.slot):
            continue
        same = same_name(f.text, g.text)
        if same:
            return Match("name", cs, _pspan(view, g.start, g.end), "same name", "alignment")
        if same is False and g.value not in {h.value for h in claim.facts if h.kind == "name"}:
            return Match(
                "name",
                cs,
                _pspan(view, g.start, g.end),
                f"another name: the passage names {g.text!r} where the claim names {f.text!r}",
                "alignment",
            )
    if same_name(f.text, view.text.text[link.start : link.end]):
        return Match("name", cs, _pspan(view, link.start, link.end), "same name", "alignment")
    return None


def _named_words(claim: Text, view: View, known: Sequence[str]) -> list[tuple[int, Word]]:
    """The Arabic claim's words spelling a name the document writes elsewhere (``known``:
    the unlisted names of the sentences around the passage) but this passage does not:
    "إديسون" when the document names Edison. With their word positions in the claim."""
    here = [g.text for g in view.text.facts if g.kind == "name"]
    out = []
    for n, w in enumerate(claim.words):
        if not _namelike(w.text) or any(same_name(w.text, h) for h in here):
            continue
        if any(same_name(w.text, k) for k in known):
            out.append((n, w))
    return out


def _passage_names(
    claim: Text, views: list[View], known: Sequence[str] = ()
) -> tuple[list[Match], list[Match], list[Fact]]:
    """For a claim whose names cannot be seen (Arabic has no capitals), the names outside the
    entity list in the passage's best clause. One the claim spells supports; one whose
    claim word (linked both ways) is a name spelt otherwise contradicts; any other is a name
    the claim may have swapped unseen, so it blocks support (returned as unstated)."""
    sup: list[Match] = []
    con: list[Match] = []
    unstated: list[Fact] = []
    for view in views:
        al = _aligned(claim, view)
        if al is None or claim.lang != "ar":
            continue
        clause = best_clause(claim, view)
        seen = [(f.start, f.end) for f in claim.facts if f.kind == "name"]
        named = _named_words(claim, view, known) if known else []
        for g in view.text.facts:
            # Listed entities are found in both scripts by the list: only the others here.
            if g.kind != "name" or g.slot != "unknown" or not _inside(g, clause):
                continue
            ps = _pspan(view, g.start, g.end)
            spelt = next((w for w in claim.words if same_name(w.text, g.text)), None)
            if spelt is not None:
                cs = _cspan(claim, spelt.start, spelt.end)
                sup.append(Match("name", cs, ps, "same name", "alignment"))
                continue
            back = al.back(g.start, g.end)
            a, b = (back.start, back.end) if back else (0, len(claim.text.rstrip()))
            if any(s < b and a < e for s, e in seen):
                continue  # a listed name of the claim's: compared by entity id already
            word = claim.text[a:b]
            # A name of the document the claim writes where this passage names another one:
            # the passage name's best claim word is that name or next to it (its slot).
            at = [n for n, w in enumerate(claim.words) if w.start < b and a < w.end]
            swap = next(
                (
                    w
                    for n, w in named
                    if at and abs(n - at[0]) <= 1 and not same_name(w.text, g.text)
                ),
                None,
            )
            if back and back.score >= PLACE_AT and swap is not None:
                con.append(
                    Match(
                        "name",
                        _cspan(claim, swap.start, swap.end),
                        ps,
                        f"another name: the passage names {g.text!r} where the claim names "
                        f"{swap.text!r}",
                        "alignment",
                    )
                )
                continue
            if back and back.mutual and back.score >= PLACE_AT and _namelike(word):
                if same_name(word, g.text) is False:
                    con.append(
                        Match(
                            "name",
                            _cspan(claim, a, b),
                            ps,
                            f"another name: the passage names {g.text!r} where the claim has "
                            f"{word!r}",
                            "alignment",
                        )
                    )
                    continue
            unstated.append(Fact("name", "unknown", f"unstated:{g.text}", a, b, word))
    return sup, con, unstated


def _namelike(word: str) -> bool:
    """An Arabic word that may be a foreign name: not a stop word, and a skeleton of at least
    three consonants."""
    return bool(tokenize(word)) and len(skeleton(word)) >= 3


def _negation(claim: Text, views: list[View], memo: dict) -> Match | None:
    cneg = [f for f in claim.facts if f.kind == "negation"]
    view = views[0]
    span = best_clause(claim, view, cneg[0] if cneg else None, memo)
    pneg = [g for g in view.text.facts if g.kind == "negation" and _inside(g, span)]
    if cneg and pneg:
        return Match(
            "negation",
            _cspan(claim, cneg[0].start, cneg[0].end),
            _pspan(view, pneg[0].start, pneg[0].end),
            "both negative",
        )
    if cneg:
        return Match(
            "negation",
            _cspan(claim, cneg[0].start, cneg[0].end),
            _pspan(view, *span),
            "the claim negates what the passage states",
        )
    if pneg:
        return Match(
            "negation",
            _cspan(claim, 0, len(claim.text.rstrip())),
            _pspan(view, pneg[0].start, pneg[0].end),
            "the passage negates what the claim states",
        )
    return None


def _roles(claim: Text, view: View) -> Match | None:
    """Two parties of the claim in each other's roles (roles.py), in the view written in
    the claim's language."""
    if view.text.lang != claim.lang:
        return None
    swap = swapped(claim, view.text, best_clause(claim, view))
    if swap is None:
        return None
    c, p = swap.claim, swap.passage
    return Match(
        "role",
        _cspan(claim, c.start, c.end),
        _pspan(view, p.start, p.end),
        f"swapped roles: the passage has {p.text!r} where the claim has {c.text!r} "
        f"({swap.predicate!r})",
    )


def _opposite_words(claim: Text, view: View) -> Match | None:
    """A claim word of one pole of an evaluation ("minor", «ثانوي») where the passage's best
    clause has only the other ("main", «رئيسي»): phrasing.py's list, in the claim's language."""
    if view.text.lang != claim.lang:
        return None
    clause = best_clause(claim, view)
    there = [(p, pole(p.stems)) for p in view.text.words if _inside(p, clause)]
    for w in claim.words:
        mine = pole(w.stems)
        if mine is None or any(q == mine for _, q in there):
            continue
        hit = next((p for p, q in there if q == 1 - mine), None)
        if hit is not None:
            return Match(
                "antonym",
                _cspan(claim, w.start, w.end),
                _pspan(view, hit.start, hit.end),
                f"opposite words: the claim says {w.text!r}, the passage {hit.text!r}",
            )
    return None


def _folded_spans(text: str, found: list[tuple]) -> list[tuple[int, int, object]]:
    """Folded-text spans (start, end, tag) mapped to the original text."""
    _, idx = fold(text)
    return [(idx[a], idx[b - 1] + 1, tag) for a, b, tag in found]


def _anchor(t: Text, end: int) -> Word | None:
    """The first content word of ``t`` after ``end`` ("appointment" in "after his
    appointment"), if it is within a few characters (a possessive or article between)."""
    w = next((w for w in t.words if w.start >= end), None)
    return w if w is not None and len(t.text[end : w.start].split()) <= 2 else None


def _relations(claim: Text, view: View) -> Match | None:
    """ "before" where the passage's best clause says "after" the same anchor, or the reverse
    («قبل تعيينه» against «بعد تعيينه»), in the view written in the claim's language."""
    if view.text.lang != claim.lang:
        return None
    clause = best_clause(claim, view)
    there = [
        (a, b, side, _anchor(view.text, b))
        for a, b, side in _folded_spans(view.text.text, temporal_relations(fold(view.text.text)[0]))
        if clause[0] <= a and b <= clause[1]
    ]
    for a, b, side in _folded_spans(claim.text, temporal_relations(fold(claim.text)[0])):
        mine = _anchor(claim, b)
        if mine is None:
            continue
        on = [(pa, pb, ps) for pa, pb, ps, w in there if w is not None and w.stems & mine.stems]
        if on and all(ps != side for _, _, ps in on):
            pa, pb, _ = on[0]
            return Match(
                "antonym",
                _cspan(claim, a, b),
                _pspan(view, pa, pb),
                f"opposite relation: the claim says {claim.text[a:b]!r} "
                f"{mine.text!r}, the passage {view.text.text[pa:pb]!r}",
            )
    return None


def _country_near(t: Text, a: int, b: int) -> str | None:
    """The country named right before or after the span ``[a, b)`` ("US" of "US Navy",
    «الأميركية» of «البحرية الأميركية»), if any."""
    return next(
        (
            f.value
            for f in t.facts
            if f.kind == "name" and f.slot == "country" and f.end >= a - 3 and f.start <= b + 3
        ),
        None,
    )


def _branches(claim: Text, view: View) -> Match | None:
    """A service branch of the claim ("US Navy", «البحرية الأميركية») where the passage's best
    clause names only another one ("US Army", «الجيش الأميركي»): another organisation."""
    if view.text.lang != claim.lang:
        return None
    mine = _folded_spans(claim.text, branches(fold(claim.text)[0]))
    if not mine:
        return None
    # The whole passage, not its best clause: a branch is named once in a sentence
    # ("US Army soldiers and aircraft"), often outside the clause the claim matches best.
    there = _folded_spans(view.text.text, branches(fold(view.text.text)[0]))
    named = {br for _, _, br in there}
    for a, b, br in mine:
        # Another branch of the same country ("US Navy" for "US Army"); the Qatari air force
        # is another organisation than the US Army, but one the passage may not mention.
        land = _country_near(claim, a, b)
        other = None
        for pa, pb, pbr in there:
            near = _country_near(view.text, pa, pb)
            if pbr != br and (land is None or near is None or land == near):
                other = (pa, pb)
                break
        if br not in named and other is not None:
            return Match(
                "name",
                _cspan(claim, a, b),
                _pspan(view, *other),
                f"another organisation: the passage names {view.text.text[other[0] : other[1]]!r} "
                f"where the claim names {claim.text[a:b]!r}",
            )
    return None


def _terms(claim: Text, view: View) -> tuple[list[Match], float | None]:
    al = _aligned(claim, view)
    if al is not None and claim.words:
        out = []
        for w in claim.words:
            link = al.link(w.start, w.end)
            if link is not None and link.score >= LINK_AT:
                out.append(
                    Match(
                        "term",
                        _cspan(claim, w.start, w.end),
                        _pspan(view, link.start, link.end),
                        f"aligned word ({link.score:.2f})",
                        "alignment",
                    )
                )
        return out, len(out) / len(claim.words)
    if view.text.lang != claim.lang or not claim.words:
        return [], None
    out = []
    for w in claim.words:
        hit = next((p for p in view.text.words if p.stems & w.stems), None)
        if hit:
            out.append(
                Match(
                    "term",
                    _cspan(claim, w.start, w.end),
                    _pspan(view, hit.start, hit.end),
                    "same word",
                )
            )
    return out, len(out) / len(claim.words)


def compare(
    claim: Text,
    views: list[View],
    context: frozenset[str] = frozenset(),
    known: Sequence[str] = (),
) -> Comparison:
    """Compare ``claim`` with a passage seen through ``views`` (the claim's language first
    when the passage has a view in it). ``context``: entity ids named in the sentences just
    before the passage, which it may refer back to ("the base", "its graduates")."""
    views = sorted(views, key=lambda v: v.text.lang != claim.lang)
    memo: dict = {}
    supports: list[Match] = []
    contradicts: list[Match] = []
    missing: list[Fact] = []
    for f in claim.facts:
        if f.kind == "negation":
            continue
        m = (
            _name_match(claim, f, views, context)
            if f.kind == "name"
            else _value_match(claim, f, views, memo)
        )
        if m is None:
            continue
        if isinstance(m, Fact):
            missing.append(m)
        elif m.reason.startswith(("same", "both")):
            supports.append(m)
        else:
            contradicts.append(m)
    neg = _negation(claim, views, memo)
    if neg is not None:
        (supports if neg.reason == "both negative" else contradicts).append(neg)
    for found in (
        _roles(claim, views[0]),
        _opposite_words(claim, views[0]),
        _relations(claim, views[0]),
        _branches(claim, views[0]),
    ):
        if found is not None:
            contradicts.append(found)
    more, against, unstated = _passage_names(claim, views, known)
    supports += more
    contradicts += against
    missing += unstated
    terms, coverage = _terms(claim, views[0])
    aligned = _aligned(claim, views[0]) is not None
    if aligned:
        # Across languages the facts found count with the words found: "Emir of Qatar" and
        # "Sandhurst" found are most of "The Emir of Qatar graduated from Sandhurst".
        compared = [f for f in claim.facts if f.kind != "negation"]
        found = {(m.claim[0], m.claim[1]) for m in supports if m.kind != "negation"}
        held = sum((f.start, f.end) in found for f in compared)
        total = len(claim.words) + len(compared)
        coverage = (len(terms) + held) / total if total else coverage
    return Comparison(
        tuple(supports + terms), tuple(contradicts), tuple(missing), coverage, aligned
    )
