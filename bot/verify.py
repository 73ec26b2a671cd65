"""Citation checking: does a cited passage exist, does a quote match it, does it support a claim?

Two separate questions are answered, and neither ever corrects the client's input:

* **Quote integrity** (:func:`check_quote`): the quoted text is compared with the document at
  the given offsets, first exactly, then after Arabic normalisation (see normalize.py:
  diacritics, tatweel, letter variants, digits). A mismatch is reported with the text that is
  really there.
* **Support** (:class:`Verifier`): how strongly a passage supports a claim, from two signals,
  ``score = dense + COVERAGE_WEIGHT * coverage``:

  - ``dense``: cosine similarity of the claim and the passage (best of its views: the Arabic
    sentence or its aligned English translation), from the index's stored vectors;
  - ``coverage``: the share of the claim's content words (stemmed, normalised; see
    lexical.py) that occur in the passage or its translation.

  ``supported`` when ``score >= SUPPORTED_AT`` and every number in the claim occurs in the
  passage; ``partial`` when ``score >= PARTIAL_AT`` (a claim that adds a detail or changes a
  number); ``unsupported`` otherwise. The weight and thresholds were fitted on
  tests/data/claims.jsonl (40 claims with gold verdicts): see docs/api.md for accuracy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .corpus import Document, Passage
from .embed import Embedder
from .index import LoadedIndex
from .lexical import tokenize
from .normalize import normalize
from .retrieve import dense_text

COVERAGE_WEIGHT = 0.08
SUPPORTED_AT = 0.924
PARTIAL_AT = 0.90
VERDICTS = ("supported", "partial", "unsupported")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True)
class QuoteCheck:
    """Whether a quote is really in the document at the offsets given."""

    doc_id: str
    start: int
    end: int
    quote: str
    exists: bool  # the document exists and the offsets lie inside it
    exact: bool  # the document's text at [start, end) equals the quote
    normalized: bool  # equal after Arabic normalisation
    source_text: str | None  # what the document really says there
    message: str


@dataclass(frozen=True)
class Support:
    """How strongly one passage supports a claim."""

    passage_id: str
    score: float
    verdict: str
    dense: float
    coverage: float
    unmatched_numbers: tuple[str, ...]  # numbers of the claim the passage does not contain


def check_quote(doc: Document | None, doc_id: str, start: int, end: int,
                quote: str) -> QuoteCheck:
    """Compare ``quote`` with ``doc.raw[start:end]``; report, never repair, a mismatch."""
    if doc is None:
        return QuoteCheck(doc_id, start, end, quote, False, False, False, None,
                          f"no document {doc_id!r}: GET /v1/documents lists the ids")
    if not 0 <= start < end <= len(doc.raw):
        return QuoteCheck(doc_id, start, end, quote, False, False, False, None,
                          f"offsets [{start}, {end}) are outside document {doc_id!r} "
                          f"(0 to {len(doc.raw)}, start < end)")
    source = doc.raw[start:end]
    if source == quote:
        return QuoteCheck(doc_id, start, end, quote, True, True, True, source,
                          "the quote matches the source exactly")
    if normalize(source) == normalize(quote):
        return QuoteCheck(doc_id, start, end, quote, True, False, True, source,
                          "the quote matches only after normalisation (diacritics, letter "
                          "variants or digits differ); source_text is the exact text")
    return QuoteCheck(doc_id, start, end, quote, True, False, False, source,
                      "the quote does not match the source at these offsets; source_text is "
                      "what the document says there")


def numbers(text: str) -> set[str]:
    """The numbers written in ``text`` (Arabic-Indic digits folded, thousands commas dropped)."""
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(normalize(text))}


def verdict_for(score: float, unmatched_numbers: tuple[str, ...] | set[str]) -> str:
    """The verdict for a support score (a claim with a number the passage lacks is partial
    at best)."""
    if score >= SUPPORTED_AT and not unmatched_numbers:
        return "supported"
    return "partial" if score >= PARTIAL_AT else "unsupported"


def judge(passage: Passage, passage_tokens: set[str], claim: str, dense: float) -> Support:
    """Support of ``claim`` by ``passage``, given the claim-passage cosine ``dense``."""
    claim_tokens = set(tokenize(claim))
    coverage = len(claim_tokens & passage_tokens) / len(claim_tokens) if claim_tokens else 0.0
    source = f"{passage.text} {passage.translation or ''}"
    unmatched = tuple(sorted(numbers(claim) - numbers(source)))
    score = dense + COVERAGE_WEIGHT * coverage
    return Support(passage.id, round(score, 4), verdict_for(score, unmatched), round(dense, 4),
                   round(coverage, 4), unmatched)


class Verifier:
    """Scores claims against the passages of a loaded index."""

    def __init__(self, index: LoadedIndex, embedder: Embedder):
        self.index = index
        self.embedder = embedder
        self.position = {p.id: i for i, p in enumerate(index.passages)}
        self._row_passage = np.array([r.passage for r in index.rows], np.int64)
        self._tokens = [set(t) for t in index.tokens]

    def dense(self, claim: str) -> np.ndarray:
        """Per-passage cosine of the claim: the best over each passage's views."""
        vec = self.embedder.encode_queries([dense_text(claim)])[0]
        scores, rows = self.index.vectors.search(vec.reshape(1, -1), self.index.vectors.count)
        out = np.full(len(self.index.passages), -1.0, np.float32)
        np.maximum.at(out, self._row_passage[rows[0]], scores[0])
        return out

    def support(self, claim: str, passage_ids: list[str]) -> list[Support]:
        """Support of the claim by each passage (ids must exist: see ``position``)."""
        dense = self.dense(claim)
        return [self._judge(claim, self.position[pid], dense) for pid in passage_ids]

    def best(self, claim: str, k: int = 3) -> list[Support]:
        """The ``k`` passages that support the claim best, best first."""
        dense = self.dense(claim)
        judged = [self._judge(claim, i, dense) for i in range(len(self.index.passages))]
        return sorted(judged, key=lambda s: -s.score)[:k]

    def _judge(self, claim: str, i: int, dense: np.ndarray) -> Support:
        return judge(self.index.passages[i], self._tokens[i], claim, float(dense[i]))


def overlapping(passages: list[Passage], doc_id: str, start: int, end: int) -> list[str]:
    """Ids of the passages of ``doc_id`` that overlap ``[start, end)``."""
    return [p.id for p in passages if p.doc_id == doc_id and p.start < end and start < p.end]
