"""Claim verdicts: ``supported``, ``contradicted`` or ``not_enough_info``, with the evidence.

The claim is encoded once. Every passage gets a *relatedness* score,
``score = dense + SAME_LANGUAGE_COVERAGE * coverage`` (cosine of claim and passage, best of
the passage's views, plus the share of the claim's content words in the passage; the closest
passages are found with ``COVERAGE_WEIGHT``). The closest
passages, and any the client cited or quoted, are compared with the claim (compare.py):
which of its numbers, dates, ranks, names and negations the passage states, contradicts,
or does not mention. A passage's **stance**:

* ``contradicts`` — it contradicts some part of the claim and ``score >= RELATED_AT``
  (compared through the token alignment: ``score >= ALIGNED_RELATED_AT`` or it states
  ``ANCHORS`` other facts of the claim);
* ``supports`` — it contradicts nothing, states every fact of the claim, and
  ``support_score >= SUPPORTED_AT`` (the score with the coverage at ``COVERAGE_WEIGHT``);
* ``neutral`` otherwise.

The **verdict**: ``contradicted`` when a passage contradicts the claim and no supporting
passage is more related than it by more than ``MARGIN`` (a false claim judged supported is the
costliest mistake, so a near tie goes to the contradiction); else ``supported`` when a
passage supports it; else ``not_enough_info``. The constants were fitted on the "tune" split
of tests/data/claims.jsonl (docs/quality.md, "Claim verdicts").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .align import Alignment, align
from .compare import Comparison, Match, Text, View, compare
from .corpus import Document, Passage
from .index import passage_tokens, passage_views, token_text
from .late import unpack
from .lexical import tokenize
from .query import Query
from .quotes import QuoteCheck, check_quote
from .retrieve import Retriever

#: Weight of the coverage in the score that ranks the candidate passages, and in the score of
#: a passage compared through the token alignment.
COVERAGE_WEIGHT = 0.08
#: Weight of the coverage in the score of a passage compared in the claim's language: the
#: share of the claim's words a passage holds tells a paraphrase with other values from a
#: sentence on another matter better than the cosine alone (fitted with the thresholds on the
#: tune splits of tests/data/claims.jsonl, "tune" and "tune-c"; docs/quality.md).
SAME_LANGUAGE_COVERAGE = 0.16
#: Added to the score of a passage compared through the token alignment: a claim and a
#: sentence in two languages have lower cosines than a claim and its own language's text
#: (fitted on the tune splits of tests/data/claims_xl.jsonl and of claims.jsonl checked across
#: languages; docs/quality.md).
ALIGNED_SHIFT = 0.04
#: Relatedness a contradiction needs in the claim's language (with ``SAME_LANGUAGE_COVERAGE``;
#: fitted on the tune splits "tune" and "tune-c" of tests/data/claims.jsonl).
RELATED_AT = 0.91
#: ``RELATED_AT`` for a passage compared through the alignment (the shift included): across
#: languages a contradiction is seen on a value or name the alignment places, and the claim's
#: other facts found in the same passage say it is about the same thing (tune splits of
#: tests/data/claims_xl.jsonl and of claims.jsonl checked across languages; docs/quality.md).
ALIGNED_RELATED_AT = 0.87
SUPPORTED_AT = 0.88
#: Facts of the claim a passage compared through the alignment states for a contradiction in
#: it to count whatever its score (tune splits; docs/quality.md).
ANCHORS = 2
MARGIN = 0.0
#: Earlier passages whose names a passage may refer back to ("the base", "its graduates").
CONTEXT = 1
#: Passages either side whose unlisted names an Arabic claim may transliterate (known_names).
NAMES_AROUND = 20
#: Passages compared besides the cited and quoted ones.
CANDIDATES = 5
VERDICTS = ("supported", "contradicted", "not_enough_info")
STANCES = ("supports", "contradicts", "neutral")


@dataclass(frozen=True)
class QuoteRef:
    """A quotation a client says is at ``[start, end)`` of a document."""

    doc_id: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Evidence:
    """One passage and what it says about the claim."""

    passage: Passage
    stance: str
    score: float
    dense: float
    coverage: float
    comparison: Comparison
    cited: bool = False

    @property
    def support_score(self) -> float:
        """The score support is judged on: the coverage at its ranking weight. Holding more
        of the claim's words makes a passage more surely *about* the claim (what a
        contradiction needs), not more surely *saying* it; at the higher weight, claims that
        add an unstated detail to a passage's names crossed ``SUPPORTED_AT``."""
        if self.comparison.aligned:
            return self.score
        return self.score - (SAME_LANGUAGE_COVERAGE - COVERAGE_WEIGHT) * self.coverage

    def to_dict(self) -> dict[str, Any]:
        """The public evidence object."""
        p, c = self.passage, self.comparison
        return {
            "id": p.id,
            "doc_id": p.doc_id,
            "text": p.text,
            "translation": p.translation,
            "start": p.start,
            "end": p.end,
            "stance": self.stance,
            "supports": [m.to_dict() for m in c.supports],
            "contradicts": [m.to_dict() for m in c.contradicts],
            "missing": [
                {"kind": f.kind, "claim": {"start": f.start, "end": f.end, "text": f.text}}
                for f in c.missing
            ],
            "score": round(self.score, 4),
            "dense": round(self.dense, 4),
            "coverage": round(self.coverage, 4),
            "cited": self.cited,
        }


@dataclass(frozen=True)
class CitationResult:
    """One cited passage id: does it exist, and its stance if it does."""

    id: str
    exists: bool
    stance: str | None
    message: str


@dataclass(frozen=True)
class QuoteResult:
    """One quote: the integrity check and the passages where the quote really is."""

    check: QuoteCheck
    passages: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The public quote object."""
        q = self.check
        return {
            "doc_id": q.doc_id,
            "start": q.start,
            "end": q.end,
            "quote": q.quote,
            "exists": q.exists,
            "exact": q.exact,
            "normalized": q.normalized,
            "source_text": q.source_text,
            "message": q.message,
            "found": q.found,
            "found_start": q.found_start,
            "found_end": q.found_end,
            "found_text": q.found_text,
            "differences": list(q.differences),
            "passages": list(self.passages),
        }


@dataclass(frozen=True)
class ClaimReport:
    """What ``Sanad.verify`` returns; ``to_dict`` is the JSON of POST /v1/verify."""

    claim: str
    verdict: str
    explanation: str
    evidence: tuple[Evidence, ...]
    citations: tuple[CitationResult, ...] = ()
    quotes: tuple[QuoteResult, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The public JSON object."""
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "explanation": self.explanation,
            "evidence": [e.to_dict() for e in self.evidence],
            "citations": [c.__dict__ for c in self.citations],
            "quotes": [q.to_dict() for q in self.quotes],
            "thresholds": dict(self.thresholds),
        }


def stance(
    score: float,
    comparison: Comparison,
    related_at: float = RELATED_AT,
    supported_at: float = SUPPORTED_AT,
    aligned_related_at: float = ALIGNED_RELATED_AT,
    support_score: float | None = None,
) -> str:
    """A passage's stance on the claim from its score and its comparison (support is judged
    on ``support_score`` when given: see ``Evidence.support_score``)."""
    if comparison.aligned:
        related_at = aligned_related_at
        # Across languages the cosine of a claim and its passage varies more than the
        # passage's relevance: a passage stating ANCHORS other facts of the claim (names,
        # values) is about what the claim is about, whatever its cosine.
        if comparison.contradicts and _anchors(comparison) >= ANCHORS:
            return "contradicts"
    if comparison.contradicts and score >= related_at:
        return "contradicts"
    sure = score if support_score is None else support_score
    if not comparison.contradicts and not comparison.missing and sure >= supported_at:
        return "supports"
    return "neutral"


def _anchors(comparison: Comparison) -> int:
    """How many distinct facts of the claim (names, values) the passage states."""
    return len({m.claim[:2] for m in comparison.supports if m.kind not in ("term", "negation")})


def verdict_of(evidence: Sequence[Evidence], margin: float = MARGIN) -> str:
    """The claim's verdict from its judged passages (see the module docstring)."""
    contra = [e.score for e in evidence if e.stance == "contradicts"]
    support = [e.score for e in evidence if e.stance == "supports"]
    if contra and (not support or max(contra) >= max(support) - margin):
        return "contradicted"
    return "supported" if support else "not_enough_info"


def explain(verdict: str, evidence: Sequence[Evidence]) -> str:
    """One sentence saying what decided the verdict."""
    if verdict == "contradicted":
        e = max((e for e in evidence if e.stance == "contradicts"), key=lambda e: e.score)
        return f"{e.passage.id} contradicts the claim: {e.comparison.contradicts[0].reason}"
    if verdict == "supported":
        e = next(e for e in evidence if e.stance == "supports")
        return f"{e.passage.id} states the claim"
    if evidence and evidence[0].comparison.missing:
        f = evidence[0].comparison.missing[0]
        return (
            f"no passage states or contradicts the claim's {f.kind} {f.text!r}; the closest "
            f"is {evidence[0].passage.id}"
        )
    return "no passage is close enough to the claim to support or contradict it"


class Verifier:
    """Judges claims against the passages of a loaded index (built once per index)."""

    def __init__(self, retriever: Retriever, docs: Mapping[str, Document] | None = None):
        index = retriever.index
        self.index = index
        self.retriever = retriever
        self.docs = dict(docs or {})
        self._views: dict[int, list[View]] = {}
        self._context: dict[int, frozenset[str]] = {}
        self._spans: dict[int, list[tuple[int, int]] | None] = {}
        self._known: dict[int, tuple[str, ...]] = {}
        self._source_row: dict[int, int] | None = None

    def dense(self, claim: str) -> np.ndarray:
        """Per-passage cosine of the claim (one encoding): the best over each passage's views."""
        # The question path's seam: the same token cap, model pass and index scan as a question.
        return self.retriever.dense_scores(self.retriever.encode_query(claim).dense)

    def views(self, i: int) -> list[View]:
        """The analysed source sentence and translation of passage ``i`` (cached)."""
        if i not in self._views:
            p = self.index.passages[i]
            doc = self.docs.get(p.doc_id)
            lang = doc.language if doc is not None else None
            out = [View("source", p.start, Text.of(p.text, lang))]
            if p.translation:
                out.append(View("translation", 0, Text.of(p.translation, "en")))
            self._views[i] = out
        return self._views[i]

    def context(self, i: int) -> frozenset[str]:
        """Entity ids named in the ``CONTEXT`` passages before passage ``i`` (same document
        and section), which passage ``i`` may refer back to."""
        if i not in self._context:
            p, names = self.index.passages[i], set()
            for j in range(max(0, i - CONTEXT), i):
                q = self.index.passages[j]
                if q.doc_id == p.doc_id and q.section == p.section:
                    # People are left out: "he" may be anyone, a base or academy is not.
                    names |= {
                        f.value
                        for v in self.views(j)
                        for f in v.text.mentions
                        if f.slot != "person"
                    }
            self._context[i] = frozenset(names)
        return self._context[i]

    def known_names(self, i: int) -> tuple[str, ...]:
        """The names outside the entity list written in the ``NAMES_AROUND`` passages either
        side of passage ``i`` in its document (cached): an Arabic claim's transliteration of
        one of them is a name even where passage ``i`` does not write it."""
        if i not in self._known:
            p, ps = self.index.passages[i], self.index.passages
            around = range(max(0, i - NAMES_AROUND), min(len(ps), i + NAMES_AROUND + 1))
            self._known[i] = tuple(
                dict.fromkeys(
                    f.text
                    for j in around
                    if ps[j].doc_id == p.doc_id
                    for f in self.views(j)[0].text.facts
                    if f.kind == "name" and f.slot == "unknown"
                )
            )
        return self._known[i]

    def _passage_spans(self, i: int) -> list[tuple[int, int]] | None:
        """Spans in passage ``i``'s text of its stored source token vectors (cached)."""
        if i not in self._spans:
            p = self.index.passages[i]
            doc = self.docs.get(p.doc_id)
            token_spans = getattr(self.retriever.embedder, "token_spans", None)
            out = None
            if doc is not None and token_spans is not None:
                view = passage_views(p, doc)[0][1]
                at = len(view) - len(token_text(p, "source"))
                out = [(a - at, b - at) for a, b in token_spans(view, "passage", at)]
            self._spans[i] = out
        return self._spans[i]

    def alignment(self, claim: str, query: Query | None, i: int) -> Alignment | None:
        """The claim's tokens aligned with passage ``i``'s source sentence (align.py), from
        the token vectors of the claim's encoding and those the index stores; None when
        either side has none."""
        late = self.index.late
        token_spans = getattr(self.retriever.embedder, "token_spans", None)
        if query is None or query.tokens is None or late is None or token_spans is None:
            return None
        if self._source_row is None:
            self._source_row = {
                r.passage: j for j, r in enumerate(self.index.rows) if r.view == "source"
            }
        row, spans = self._source_row.get(i), self._passage_spans(i)
        if row is None or spans is None:
            return None
        return align(
            claim,
            query.tokens,
            token_spans(query.text, "query"),
            self.index.passages[i].text,
            unpack(late.row(row)),
            spans,
        )

    def judge(
        self,
        claim: Text,
        claim_tokens: set[str],
        i: int,
        dense: float,
        cited: bool = False,
        query: Query | None = None,
    ) -> Evidence:
        """Passage ``i``'s evidence on the claim; a passage with no view in the claim's
        language is compared through the token alignment (``query``: the claim's encoding)."""
        # The passage's tokens are made again here (one sentence) rather than kept for all.
        held = set(passage_tokens(self.index.passages[i]))
        cov = len(claim_tokens & held) / len(claim_tokens) if claim_tokens else 0.0
        views = self.views(i)
        if all(v.text.lang != claim.lang for v in views):
            al = self.alignment(claim.text, query, i)
            if al is not None:
                views = [
                    View(v.where, v.offset, v.text, al) if v.where == "source" else v for v in views
                ]
        known = self.known_names(i) if views[0].align is not None and claim.lang == "ar" else ()
        comparison = compare(claim, views, self.context(i), known)
        if views[0].align is not None and comparison.coverage is not None:
            cov = comparison.coverage  # the words the alignment finds, not shared spellings
        score = dense + (
            COVERAGE_WEIGHT * cov + ALIGNED_SHIFT
            if comparison.aligned
            else SAME_LANGUAGE_COVERAGE * cov
        )
        ev = Evidence(self.index.passages[i], "neutral", score, dense, cov, comparison, cited)
        return replace(ev, stance=stance(score, comparison, support_score=ev.support_score))

    def candidates(
        self, claim: str, cited: Sequence[int] = (), k: int = CANDIDATES
    ) -> list[Evidence]:
        """The cited passages and the ``k`` closest ones, judged, most related first."""
        query = self.retriever.encode_query(claim)
        query_vec = query.dense
        dense = self.retriever.dense_scores(query_vec)
        text, tokens = Text.of(claim), set(tokenize(claim))
        # Coverage of every passage from the postings of the claim's tokens: the passages
        # holding none of them cover nothing.
        coverage = np.zeros(len(dense), np.float64)
        if tokens:
            docs, held = self.index.lexical.matches(tokens)
            coverage[docs] = held / len(tokens)
        score = dense + COVERAGE_WEIGHT * coverage
        closest = [int(i) for i in np.argsort(-score, kind="stable")[:k]]
        order = list(dict.fromkeys(list(cited) + closest))
        if self.retriever.approximate:  # only the ANN head was scored: score the judged ones
            dense = dense.copy()
            dense[order] = self.retriever.dense_of(query_vec, np.array(order, np.int64))
        judged = [self.judge(text, tokens, i, float(dense[i]), i in cited, query) for i in order]
        return sorted(judged, key=lambda e: -e.score)

    def verify(
        self, claim: str, cite: Sequence[str] = (), quotes: Sequence[QuoteRef] = (), top_k: int = 3
    ) -> ClaimReport:
        """The verdict on ``claim``, its evidence, and the checks of the cites and quotes."""
        cited = [i for i in map(self.index.position, cite) if i is not None]
        qresults = []
        for q in quotes:
            check = check_quote(self.docs.get(q.doc_id), q.doc_id, q.start, q.end, q.quote)
            s, e = (
                (check.found_start, check.found_end)
                if check.found_start is not None
                else (q.start, q.end)
            )
            ps = self.index.passages  # the quoted document's passages only, not the index's
            at = [i for i in self.index.passages_of(q.doc_id) if ps[i].start < e and s < ps[i].end]
            qresults.append(QuoteResult(check, tuple(ps[i].id for i in at)))
            cited += at
        judged = self.candidates(claim, cited, max(CANDIDATES, top_k))
        verdict = verdict_of(judged)
        deciding = {"contradicted": "contradicts", "supported": "supports"}.get(verdict)
        shown = [e for e in judged if e.stance == deciding or e.cited]
        shown += [e for e in judged if e not in shown][: max(0, top_k - len(shown))]
        shown.sort(key=lambda e: (e.stance != deciding, -e.score))
        by_id = {e.passage.id: e for e in judged}
        cites = tuple(
            CitationResult(c, True, by_id[c].stance, "passage found")
            if c in by_id
            else CitationResult(
                c,
                False,
                None,
                f"no passage {c!r}: ids look like <doc-id>:<n>, see GET /v1/documents/{{doc_id}}",
            )
            for c in cite
        )
        return ClaimReport(
            claim,
            verdict,
            explain(verdict, judged),
            tuple(shown),
            cites,
            tuple(qresults),
            {
                "related": RELATED_AT,
                "aligned_related": ALIGNED_RELATED_AT,
                "supported": SUPPORTED_AT,
                "margin": MARGIN,
                "aligned_shift": ALIGNED_SHIFT,
            },
        )


def as_quote(q: QuoteRef | Mapping[str, Any]) -> QuoteRef:
    """A :class:`QuoteRef` from itself or a mapping with doc_id, start, end, quote."""
    return (
        q
        if isinstance(q, QuoteRef)
        else QuoteRef(q["doc_id"], int(q["start"]), int(q["end"]), q["quote"])
    )


__all__ = [
    "ClaimReport",
    "Evidence",
    "Match",
    "QuoteRef",
    "Verifier",
    "as_quote",
    "check_quote",
    "stance",
    "verdict_of",
]
