"""Ranking passages for a question: dense (multilingual vectors), lexical (BM25), or both.

The core takes vectors and an index and returns hits; it never loads a model itself.

Hybrid ranking, per passage (a sentence)::

    score = dense + context * best_dense_in_group
          + lexical * share * (bm25_sentence + group_lexical * bm25_group)
          + sparse * learned_sparse

A *group* is the sentences of one document section (one paragraph in XQuAD-R). Its best dense
score and its BM25 let the neighbours of a sentence vouch for it (the question names a topic
two sentences earlier), while the sentence itself is still what is cited and ranked within
its group. BM25 scores are scaled to [0, 1] per query and weighted by ``share``, the *lexical
share*: the part of the query's tokens the collection contains (an English question over
Arabic sentences matches almost nothing), so lexical noise cannot outvote the dense side.
``learned_sparse`` is the dot product of the model's sparse "latent terms" vectors
(engine.py), scaled to [0, 1] per query; its features come from the multilingual model, so
it matches across scripts
where BM25 cannot, and needs no share guard.

The head of that ranking (the best ``RERANK_DEPTH`` passages) is then reranked with late
interaction (late.py): ``score += late * (1 - share) * maxsim``, where ``maxsim`` matches
the question's token vectors against the sentence's, best over the passage's views. It is the
mirror of the lexical term: word-for-word evidence from the model where BM25 cannot see it
(an English question over Arabic sentences has a share near 0), and silent where BM25
already matched the words (it only added noise there). Passages below the head keep their
order and score. The weights were chosen on XQuAD-R (tuned on one half of its
articles, checked on the other) and the seed dev set (docs/retrieval.md).

An index with an approximate dense index (bot/ann.py: from ``ANN_MIN_ROWS`` rows) is ranked
on a *candidate set* instead of every passage: the ANN head (``DENSE_CANDIDATES`` rows),
the heads of the BM25 and sparse scores, the passage of the best BM25 group, and the section
neighbours of all of them (so the context score is exact for sections of up to ``GROUP_CAP``
passages). Dense scores are computed for the candidates only, from the stored vectors; the
same formula then ranks them, with BM25 and sparse scaled by their maxima over the whole
collection, as the exact path does. Below the threshold nothing changes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from .ann import (
    DENSE_CANDIDATES,
    GROUP_CAP,
    LEXICAL_CANDIDATES,
    STATS_SAMPLE,
    DenseStats,
    stats_sample,
)
from .corpus import Passage
from .embed import CHARS_PER_TOKEN, MAX_QUERY_TOKENS, Embedder, SparseVector, token_fingerprint
from .index import LoadedIndex, VectorIndex
from .lexical import BM25, tokenize_normalized
from .normalize import dense_text, normalize
from .query import Query

__all__ = [
    "DEFAULT_WEIGHTS",
    "Hit",
    "Query",
    "Ranking",
    "Retriever",
    "Weights",
    "dense_text",
    "fuse",
    "rrf",
]

MODES = ("hybrid", "dense", "lexical", "rrf")


@dataclass(frozen=True)
class Weights:
    """How the hybrid score mixes its parts (see the module docstring)."""

    lexical: float = 0.06
    context: float = 0.3
    group_lexical: float = 0.5
    sparse: float = 0.05
    late: float = 1.0


#: Weights of the default retriever.
DEFAULT_WEIGHTS = Weights()
#: How many of the best hybrid passages late interaction reranks.
RERANK_DEPTH = 10
#: Reciprocal-rank-fusion constant of the naive ``rrf`` ablation (the usual 60).
RRF_K = 60


@dataclass(frozen=True)
class Hit:
    """A ranked passage with the scores that ranked it."""

    passage: Passage
    score: float  # the fused score used for ranking
    dense: float  # best cosine of any of the passage's own views (not its context)
    lexical: float  # BM25 of the sentence scaled to [0, 1] over this query's results
    context: float = 0.0  # best dense score in the passage's group (section or paragraph)
    late: float = 0.0  # late-interaction MaxSim (0 when the passage was not reranked)


def unit(x: np.ndarray) -> np.ndarray:
    """``x`` divided by its maximum; all zeros when nothing scored above zero."""
    top = float(x.max()) if x.size else 0.0
    return x / top if top > 0 else np.zeros_like(x)


def group_max(scores: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """For every passage, the highest score in its group."""
    best = np.full(n_groups, -np.inf, np.float32)
    np.maximum.at(best, groups, scores)
    return best[groups]


def fuse(
    dense: np.ndarray,
    lexical: np.ndarray,
    share: float,
    context: np.ndarray | None = None,
    group_lexical: np.ndarray | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    sparse: np.ndarray | None = None,
) -> np.ndarray:
    """The hybrid score (module docstring) from per-passage arrays; BM25 and sparse are raw."""
    fused = dense.astype(np.float32, copy=True)
    if sparse is not None and weights.sparse:
        fused += weights.sparse * unit(sparse)
    if context is not None and weights.context:
        fused += weights.context * context
    if share > 0.0 and weights.lexical:
        lex = unit(lexical)
        if group_lexical is not None and weights.group_lexical:
            lex = lex + weights.group_lexical * unit(group_lexical)
        fused += weights.lexical * share * lex
    return fused


def rrf(*scores: np.ndarray, k: int = RRF_K) -> np.ndarray:
    """Naive reciprocal-rank fusion of score arrays (kept as a measured baseline)."""
    out = np.zeros(scores[0].shape, np.float64)
    for s in scores:
        ranks = np.empty(s.shape, np.int64)
        ranks[np.argsort(-s, kind="stable")] = np.arange(1, s.size + 1)
        out += 1.0 / (k + ranks)
    return out


def spans(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``starts[i], starts[i] + 1, ..., starts[i] + counts[i] - 1`` for every ``i``, one after
    another (the aranges concatenated, without a Python loop)."""
    counts = np.asarray(counts, np.int64)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(np.asarray(starts, np.int64), counts) + offsets


def passage_groups(passages: list[Passage]) -> np.ndarray:
    """Group number of each passage: consecutive passages sharing document and section."""
    groups = np.zeros(len(passages), np.int64)
    g = -1
    prev: tuple[str, str | None] | None = None
    for i, p in enumerate(passages):
        key = (p.doc_id, p.section)
        if key != prev:
            g, prev = g + 1, key
        groups[i] = g
    return groups


@dataclass(frozen=True)
class Ranking:
    """The ranked passages for one question, with every per-passage score that abstention,
    follow-ups and verification read, so none of them scans the index again."""

    query: Query
    hits: list[Hit]
    # Every passage's dense score (best over its views), in index order; None when ranked
    # on candidates (an approximate index), where ``stats`` estimates what abstention needs.
    dense: np.ndarray | None
    idf: Mapping[str, float]  # the collection's lexical IDF (answerability's coverage)
    stats: DenseStats = DenseStats(0, 0.0, 0.0, 0.0)  # of ``dense`` (exact) or estimated


@dataclass(frozen=True)
class Matches:
    """What a query matches in postings: item ids (ascending) and their scores; every other
    item scores 0. The candidate path's form of a full score array."""

    ids: np.ndarray
    scores: np.ndarray

    @classmethod
    def of(cls, full: np.ndarray) -> Matches:
        """The nonzero entries of a full score array."""
        ids = np.flatnonzero(full)
        return cls(ids, full[ids])

    @property
    def top(self) -> float:
        """The highest score, 0 when nothing matched (as ``unit`` sees a full array)."""
        return max(float(self.scores.max()), 0.0) if self.scores.size else 0.0

    def head(self, n: int) -> np.ndarray:
        """Ids of the (at most) ``n`` best items scoring above 0."""
        keep = self.scores > 0
        ids, scores = self.ids[keep], self.scores[keep]
        if len(ids) > n:
            ids = ids[np.argpartition(-scores, n - 1)[:n]]
        return ids

    def unit_at(self, where: np.ndarray) -> np.ndarray:
        """The scores of ``where`` divided by :attr:`top` (``unit`` of the full array), 0 for
        items not matched."""
        out = np.zeros(len(where), np.float32)
        top = self.top
        if not len(self.ids) or top <= 0:
            return out
        pos = np.minimum(np.searchsorted(self.ids, where), len(self.ids) - 1)
        hit = self.ids[pos] == where
        out[hit] = self.scores[pos[hit]] / top
        return out


class Retriever:
    """Ranks the passages of a loaded index for a question."""

    def __init__(
        self,
        index: LoadedIndex,
        embedder: Embedder,
        mode: str = "hybrid",
        weights: Weights = DEFAULT_WEIGHTS,
    ):
        if mode not in MODES:
            raise ValueError(f"unknown retriever {mode!r}: use {', '.join(MODES)}")
        self.index = index
        self.embedder = embedder
        self.mode = mode
        self.weights = weights
        features = embedder.features
        # The sparse signal needs the same encoder on both sides: an index built by another
        # one (or without one) is ranked without it. Likewise token vectors: only those of
        # this model are comparable with its questions.
        self.uses_sparse = (
            index.sparse is not None
            and features.sparse is not None
            and index.manifest.get("sparse") == features.sparse
        )
        self.uses_tokens = (
            index.late is not None
            and features.tokens is not None
            and index.manifest.get("late") == token_fingerprint(embedder)
        )
        self.bm25 = BM25(index.lexical)
        self.groups = passage_groups(index.passages)
        self.n_groups = int(self.groups.max()) + 1 if len(self.groups) else 0
        # A group's tokens are its sentences' tokens together: its postings are theirs merged.
        self.group_bm25 = BM25(index.lexical.grouped(self.groups, self.n_groups))
        self._row_passage = np.array([r.passage for r in index.rows], np.int64)
        # Each passage's rows: rows[_row_order[_row_start[p]:_row_start[p + 1]]] (_rows_of).
        self._row_order = np.argsort(self._row_passage, kind="stable")
        self._row_start = np.searchsorted(
            self._row_passage[self._row_order], np.arange(len(index.passages) + 1)
        )
        # An approximate index is ranked on candidates (module docstring) and its vectors
        # are not copied out; an exact one held in this process (FAISS) is scored here in
        # one pass; an outside store (Milvus) is searched where it lives.
        self.approximate = isinstance(index.vectors, VectorIndex) and index.vectors.approximate
        self._dense_rows = (
            index.vectors.vectors()
            if isinstance(index.vectors, VectorIndex)
            and index.vectors.count
            and not self.approximate
            else None
        )
        if self.approximate:
            self._prepare_candidates()

    def _prepare_candidates(self) -> None:
        """Lookups of the candidate path: each group's passages, and the stored vectors of
        the fixed sample that estimates the dense distribution."""
        n = len(self.index.passages)
        self._group_start = np.searchsorted(self.groups, np.arange(self.n_groups + 1))
        self._sample = stats_sample(n, STATS_SAMPLE)
        rows, owner = self._rows_of(self._sample)
        self._sample_vectors = self.index.vectors.rows(rows)
        self._sample_owner = owner

    def _rows_of(self, passages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The vector rows of ``passages`` and, for each row, its position in ``passages``."""
        starts, ends = self._row_start[passages], self._row_start[passages + 1]
        counts = ends - starts
        owner = np.repeat(np.arange(len(passages)), counts)
        return self._row_order[spans(starts, counts)], owner

    @staticmethod
    def _best_per_owner(scores: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
        out = np.full(n, -1.0, np.float32)
        np.maximum.at(out, owner, scores.astype(np.float32))
        return out

    def dense_of(self, query_vec: np.ndarray, passages: np.ndarray) -> np.ndarray:
        """Dense score (best over views) of each of ``passages``, from the stored vectors."""
        passages = np.asarray(passages, np.int64)
        if self._dense_rows is not None:
            return self.dense_scores(query_vec)[passages]
        rows, owner = self._rows_of(passages)
        scores = self.index.vectors.scores_of(query_vec, rows)
        return self._best_per_owner(scores, owner, len(passages))

    def dense_candidates(self, query_vec: np.ndarray, k: int | None = None) -> np.ndarray:
        """Positions of the passages of the ``k`` (default ``DENSE_CANDIDATES``) best dense
        rows (approximate search)."""
        _, rows = self.index.vectors.search(query_vec.reshape(1, -1), k or DENSE_CANDIDATES)
        return np.unique(self._row_passage[rows[0][rows[0] >= 0]])

    def dense_stats(self, query_vec: np.ndarray, top: float) -> DenseStats:
        """The dense distribution at scale: ``top`` (the best candidate's score), mean and
        standard deviation of the fixed sample's scores (not exact: ``exact`` is False)."""
        scores = np.einsum("rd,d->r", self._sample_vectors, query_vec.astype(np.float32))
        sample = self._best_per_owner(scores, self._sample_owner, len(self._sample))
        return DenseStats(
            len(self.index.passages),
            max(top, float(sample.max())),
            float(sample.mean()),
            float(sample.std()),
            exact=False,
        )

    def dense_scores(self, query_vec: np.ndarray) -> np.ndarray:
        """Per-passage cosine: the best over the passage's views (source, translation).

        On an approximate index only the ANN candidates are scored; the others stay at -1
        (score those a caller needs with :meth:`dense_of`)."""
        out = np.full(len(self.index.passages), -1.0, np.float32)
        if self.approximate:
            cand = self.dense_candidates(query_vec)
            out[cand] = self.dense_of(query_vec, cand)
            return out
        if self._dense_rows is not None:
            # einsum, not ``@``: see late.py (BLAS threads fight the model's for the cores).
            scores = np.einsum("rd,d->r", self._dense_rows, query_vec.astype(np.float32))
            np.maximum.at(out, self._row_passage, scores)
            return out
        if not self.index.vectors.count:
            return out
        # An outside store (Milvus) is searched where it lives. One that caps top-k (Milvus:
        # 16384 rows) returns only the best rows; the others score at most the last one
        # returned, which stands in for them (docs/deploy.md).
        scores, rows = self.index.vectors.search(query_vec.reshape(1, -1), self.index.vectors.count)
        capped = 0 < rows.shape[1] < self.index.vectors.count
        if capped:
            out[:] = scores[0, -1]
        np.maximum.at(out, self._row_passage[rows[0]], scores[0])
        return out

    def sparse_scores(self, query: SparseVector) -> np.ndarray:
        """Per-passage learned-sparse dot product: the best over the passage's views."""
        assert self.index.sparse is not None
        out = np.zeros(len(self.index.passages), np.float32)
        np.maximum.at(out, self._row_passage, self.index.sparse.scores(query))
        return out

    @property
    def reranks(self) -> bool:
        """Whether searches rerank their head with late interaction."""
        return self.mode == "hybrid" and self.uses_tokens and self.weights.late > 0

    def query_text(self, question: str) -> str:
        """What the model and the lexical side read of ``question``: ``dense_text``, cut at
        the token cap (embed.MAX_QUERY_TOKENS). NFKC comes first and the rest of the work on
        at most the characters the cap can use: one character may expand eighteen-fold."""
        folded = unicodedata.normalize("NFKC", question)[: MAX_QUERY_TOKENS * CHARS_PER_TOKEN]
        return self.embedder.cap(dense_text(folded))

    def encode_queries(self, questions: list[str], capped: bool = False) -> list[Query]:
        """Each question encoded once (one model pass for the batch): the text the model
        reads (:meth:`query_text`; already so when ``capped``), its vectors, and its lexical
        tokens and share."""
        texts = list(questions) if capped else [self.query_text(q) for q in questions]
        enc = self.embedder.encode(texts, "query")
        out = []
        for j, text in enumerate(texts):
            norm = normalize(text)
            lexical = tuple(tokenize_normalized(norm))
            out.append(
                Query(
                    text,
                    norm,
                    lexical,
                    self.bm25.share(lexical),
                    enc.dense[j],
                    enc.tokens[j] if enc.tokens is not None else None,
                    enc.sparse[j] if enc.sparse is not None else None,
                )
            )
        return out

    def encode_query(self, question: str, capped: bool = False) -> Query:
        """One question encoded once (see :meth:`encode_queries`)."""
        return self.encode_queries([question], capped)[0]

    def late_scores(self, query_tokens: np.ndarray, passages: np.ndarray) -> np.ndarray:
        """Late-interaction MaxSim of each of ``passages``: the best over its views."""
        assert self.index.late is not None
        if self.approximate:  # the passages' own rows, not a pass over every row
            rows, owner = self._rows_of(np.asarray(passages, np.int64))
            out = np.full(len(passages), -np.inf, np.float32)
            np.maximum.at(out, owner, self.index.late.scores(query_tokens, rows))
            return out
        # The passages' rows in ascending order (the order the product has always read them).
        rows, owner = self._rows_of(np.asarray(passages, np.int64))
        order = np.argsort(rows, kind="stable")
        out = np.full(len(passages), -np.inf, np.float32)
        np.maximum.at(out, owner[order], self.index.late.scores(query_tokens, rows[order]))
        return out

    def search(self, question: str, k: int = 3) -> list[Hit]:
        """The ``k`` best passages for ``question``, best first."""
        return self.rank(self.encode_query(question), k).hits

    def rank(self, query: Query, k: int = 3) -> Ranking:
        """The ``k`` best passages for an encoded question, with every passage's dense score
        (on an approximate index: ranked on candidates, with estimated dense statistics)."""
        n = len(self.index.passages)
        if n == 0:
            return Ranking(query, [], np.zeros(0, np.float32), self.bm25.idf)
        if self.approximate and query.dense is not None:
            return self._rank_candidates(query, k)
        dense = (
            self.dense_scores(query.dense) if query.dense is not None else np.zeros(n, np.float32)
        )
        qtok = query.lexical
        share = query.lexical_share
        lexical = self.bm25.scores(qtok)
        context = group_max(dense, self.groups, self.n_groups)
        if self.mode == "dense":
            fused = dense
        elif self.mode == "lexical":
            fused = unit(lexical)
        elif self.mode == "rrf":
            fused = rrf(dense, lexical)
        else:
            weights = self.weights
            if query.numeric:
                # A question of only numbers ("1972"): the model has little to go on, an exact
                # match of the number is the evidence, so it must be able to decide.
                weights = replace(weights, lexical=1.0)
            sparse = None
            if self.uses_sparse and weights.sparse and query.sparse is not None:
                sparse = self.sparse_scores(query.sparse)
            fused = fuse(
                dense,
                lexical,
                share,
                context,
                self.group_bm25.scores(qtok)[self.groups],
                weights,
                sparse,
            )
        order = np.argsort(-fused, kind="stable")
        late = np.zeros(n, np.float32)
        weight = self.weights.late * (1.0 - share)
        if self.reranks and query.tokens is not None and weight > 0:
            head = order[:RERANK_DEPTH]
            late[head] = self.late_scores(query.tokens, head)
            fused = fused + weight * late
            head = head[np.argsort(-fused[head], kind="stable")]
            order = np.concatenate([head, order[RERANK_DEPTH:]])
        lex_unit = unit(lexical)
        hits = [
            Hit(
                self.index.passages[i],
                float(fused[i]),
                float(dense[i]),
                float(lex_unit[i]),
                float(context[i]),
                float(late[i]),
            )
            for i in order[:k]
        ]
        return Ranking(query, hits, dense, self.bm25.idf, DenseStats.of(dense))

    def candidates(
        self,
        query: Query,
        lexical: Matches,
        group_lexical: Matches,
    ) -> np.ndarray:
        """The passages an approximate index ranks for ``query`` (module docstring), sorted:
        the dense head, the lexical head (``lexical``: the passages the query's words match)
        and the best group of ``group_lexical``, with the passages of small groups."""
        parts = [self.dense_candidates(query.dense), lexical.head(LEXICAL_CANDIDATES)]
        if group_lexical.top > 0:  # its maximum scales the group term
            best = int(group_lexical.ids[int(np.argmax(group_lexical.scores))])
            parts.append(self._group_start[[best]])
        cand = np.unique(np.concatenate(parts))
        groups = np.unique(self.groups[cand])
        sizes = self._group_start[groups + 1] - self._group_start[groups]
        small = sizes <= GROUP_CAP
        members = spans(self._group_start[groups[small]], sizes[small])
        return np.unique(np.concatenate([cand, members]))

    def sparse_of(self, query: SparseVector, passages: np.ndarray) -> np.ndarray:
        """Learned-sparse dot product of each of ``passages``: the best over its views (0
        when none shares a feature), from the postings of the query's features only."""
        assert self.index.sparse is not None
        rows, owner = self._rows_of(np.asarray(passages, np.int64))
        order = np.argsort(rows, kind="stable")
        scores = np.empty(len(rows), np.float32)
        scores[order] = self.index.sparse.scores_of(query, rows[order])
        best = np.zeros(len(passages), np.float32)
        np.maximum.at(best, owner, scores)
        return best

    def _rank_candidates(self, query: Query, k: int) -> Ranking:
        """:meth:`rank` on the candidate set of an approximate index: lexical and group
        scores come from the postings of the question's words, learned-sparse scores from the
        postings of its features looked up for the candidates only, so a question costs in
        proportion to what it matches, not to the collection."""
        qtok, share = query.lexical, query.lexical_share
        weights = self.weights
        if query.numeric:  # as in rank()
            weights = replace(weights, lexical=1.0)
        lexical_all = Matches(*self.bm25.candidates(qtok))
        group_lexical = Matches(*self.group_bm25.candidates(qtok))
        cand = self.candidates(query, lexical_all, group_lexical)
        sparse = None
        if (
            self.mode == "hybrid"
            and self.uses_sparse
            and weights.sparse
            and query.sparse is not None
        ):
            # The model's sparse features are not rare words: a question's postings cover most
            # of an archive (~1.4 M at 100k rows, ~18 ms), so at scale the learned-sparse term
            # is scored for the candidates only and scaled by its best candidate.
            sparse = unit(self.sparse_of(query.sparse, cand))
        dense = self.dense_of(query.dense, cand)
        local_group = np.searchsorted(np.unique(self.groups[cand]), self.groups[cand])
        context = group_max(dense, local_group, int(local_group.max()) + 1)
        lexical = lexical_all.unit_at(cand)  # scaled over the collection
        if self.mode == "dense":
            fused = dense
        elif self.mode == "lexical":
            fused = lexical
        elif self.mode == "rrf":
            fused = rrf(dense, lexical)
        else:
            fused = fuse(
                dense,
                lexical,
                share,
                context,
                group_lexical.unit_at(self.groups[cand]),
                weights,
                sparse,
            )
        order = np.argsort(-fused, kind="stable")
        late = np.zeros(len(cand), np.float32)
        weight = self.weights.late * (1.0 - share)
        if self.reranks and query.tokens is not None and weight > 0:
            head = order[:RERANK_DEPTH]
            late[head] = self.late_scores(query.tokens, cand[head])
            fused = fused + weight * late
            head = head[np.argsort(-fused[head], kind="stable")]
            order = np.concatenate([head, order[RERANK_DEPTH:]])
        hits = [
            Hit(
                self.index.passages[cand[i]],
                float(fused[i]),
                float(dense[i]),
                float(lexical[i]),
                float(context[i]),
                float(late[i]),
            )
            for i in order[:k]
        ]
        top = float(dense.max()) if dense.size else -1.0
        return Ranking(query, hits, None, self.bm25.idf, self.dense_stats(query.dense, top))
