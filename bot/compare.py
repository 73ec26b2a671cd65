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
"""

from __future__ import annotations

from dataclasses import dataclass

from .claims import Fact, Word, clauses, facts, mentions, words
from .normalize import question_language


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


@dataclass(frozen=True)
class Match:
    """One part of the claim and the passage text it was compared with."""

    kind: str  # number | date | ordinal | name | negation | term
    claim: tuple[int, int, str]
    passage: tuple[int, int, str, str]  # start, end, text, "source" | "translation"
    reason: str

    def to_dict(self) -> dict:
        """The public SPAN object."""
        c, p = self.claim, self.passage
        return {
            "kind": self.kind,
            "claim": {"start": c[0], "end": c[1], "text": c[2]},
            "passage": {"start": p[0], "end": p[1], "text": p[2], "in": p[3]},
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Comparison:
    """What one passage says about a claim."""

    supports: tuple[Match, ...]
    contradicts: tuple[Match, ...]
    missing: tuple[Fact, ...]  # claim facts the passage neither states nor contradicts
    coverage: float | None  # share of the claim's content words in the passage (same language)


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
    no overlap: most with the whole claim). ``memo`` caches it per claim clause and view:
    a long claim has many facts in few clauses."""
    whole = (0, len(claim.text))
    part = next((c for c in claim.clauses if near and _inside(near, c)), whole)
    key = (id(view), part)
    if memo is None or key not in memo:
        best = max(
            view.text.clauses,
            key=lambda c: (_share(claim, part, view, c), _share(claim, whole, view, c)),
        )
        if memo is None:
            return best
        memo[key] = best
    return memo[key]


def _comparable(f: Fact, g: Fact) -> bool:
    # Counts of different things are not compared ("three agreements" vs "two countries").
    return f.kind != g.kind or f.slot != g.slot or not f.unit or not g.unit or bool(f.unit & g.unit)


def _value_match(claim: Text, f: Fact, views: list[View], memo: dict) -> Match | Fact:
    cs = _cspan(claim, f.start, f.end)
    for v in views:  # the view in the claim's language first
        clause = best_clause(claim, v, f, memo)
        there = [
            g
            for g in v.text.facts
            if g.kind == f.kind and g.slot == f.slot and _inside(g, clause) and _comparable(f, g)
        ]
        same = [g for g in there if g.value == f.value]
        if same:
            g = same[0]
            return Match(f.kind, cs, _pspan(v, g.start, g.end), f"same {f.slot}: {g.value}")
        if there:
            g = there[0]
            return Match(
                f.kind,
                cs,
                _pspan(v, g.start, g.end),
                f"{f.slot} differs: the claim says {f.value}, the passage {g.value}",
            )
    for v in views:
        for g in v.text.facts:
            if g.kind == f.kind and g.slot == f.slot and g.value == f.value:
                return Match(f.kind, cs, _pspan(v, g.start, g.end), f"same {f.slot}: {g.value}")
    return f


def _name_match(
    claim: Text, f: Fact, views: list[View], context: frozenset[str]
) -> Match | Fact | None:
    cs = _cspan(claim, f.start, f.end)
    names = [(v, g) for v in views for g in v.text.facts if g.kind == "name"]
    mentions = [(v, g) for v in views for g in v.text.mentions]
    for view, g in names + mentions:
        if g.value == f.value:
            return Match("name", cs, _pspan(view, g.start, g.end), f"same {g.slot}")
    if f.value in context:
        return None  # named just before ("the base" after "Al Udeid Air Base")
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


def _terms(claim: Text, view: View) -> tuple[list[Match], float | None]:
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


def compare(claim: Text, views: list[View], context: frozenset[str] = frozenset()) -> Comparison:
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
    terms, coverage = _terms(claim, views[0])
    return Comparison(tuple(supports + terms), tuple(contradicts), tuple(missing), coverage)
