"""Ranking passages for a question: dense (multilingual vectors), lexical (BM25), or both.

The core takes vectors and an index and returns hits; it never loads a model itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from .corpus import Passage
from .embed import Embedder
from .index import LoadedIndex
from .lexical import BM25, tokenize

#: Weight of the lexical side in hybrid fusion, and how its evidence is discounted when the
#: query's words are missing from the collection (see ``fuse``).
LEXICAL_WEIGHT = 0.08
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")


def dense_text(question: str) -> str:
    """The question as the model sees it: NFKC, without Arabic diacritics and tatweel.

    Diacritics and tatweel split Arabic words into rare sub-word pieces, while the corpus is
    written without them; the stored text is unchanged, this is only the query's copy.
    """
    return _DIACRITICS.sub("", unicodedata.normalize("NFKC", question))


@dataclass(frozen=True)
class Hit:
    """A ranked passage with the scores that ranked it."""

    passage: Passage
    score: float  # the fused score used for ranking
    dense: float  # best cosine of any of the passage's views
    lexical: float  # BM25 scaled to [0, 1] over this query's results


def fuse(dense: np.ndarray, lexical: np.ndarray, coverage: float,
         weight: float = LEXICAL_WEIGHT) -> np.ndarray:
    """Dense scores plus lexical evidence weighted by how much of the query it matched.

    A query whose words the collection does not contain (an English question over Arabic
    sentences) gets ``coverage`` near 0, so lexical noise cannot outvote the dense side.
    """
    top = float(lexical.max()) if lexical.size else 0.0
    if top <= 0.0 or coverage <= 0.0:
        return dense.copy()
    return dense + weight * coverage * (lexical / top)


class Retriever:
    """Ranks the passages of a loaded index for a question."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, mode: str = "hybrid"):
        if mode not in ("hybrid", "dense", "lexical"):
            raise ValueError(f"unknown retriever {mode!r}: use hybrid, dense or lexical")
        self.index = index
        self.embedder = embedder
        self.mode = mode
        self.bm25 = BM25(index.tokens)
        self._row_passage = np.array([r.passage for r in index.rows], np.int64)

    def dense_scores(self, query_vec: np.ndarray) -> np.ndarray:
        """Per-passage cosine: the best over the passage's views (source, translation)."""
        scores, rows = self.index.vectors.search(query_vec.reshape(1, -1), self.index.vectors.count)
        out = np.full(len(self.index.passages), -1.0, np.float32)
        np.maximum.at(out, self._row_passage[rows[0]], scores[0])
        return out

    def search(self, question: str, k: int = 3, query_vec: np.ndarray | None = None) -> list[Hit]:
        """The ``k`` best passages for ``question``, best first."""
        n = len(self.index.passages)
        if n == 0:
            return []
        if query_vec is None and self.mode != "lexical":
            query_vec = self.embedder.encode_queries([dense_text(question)])[0]
        dense = self.dense_scores(query_vec) if query_vec is not None else np.zeros(n, np.float32)
        qtok = tokenize(question)
        lexical = self.bm25.scores(qtok)
        top = float(lexical.max()) if lexical.size else 0.0
        lex_unit = lexical / top if top > 0 else lexical
        if self.mode == "dense":
            fused = dense
        elif self.mode == "lexical":
            fused = lex_unit
        else:
            fused = fuse(dense, lexical, self.bm25.coverage(qtok))
        order = np.argsort(-fused, kind="stable")[:k]
        return [Hit(self.index.passages[i], float(fused[i]), float(dense[i]), float(lex_unit[i]))
                for i in order]
