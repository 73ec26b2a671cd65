"""Approximate dense search for large indexes: which FAISS index a build gets, and the
summary of the dense score distribution that abstention reads.

Below :data:`ANN_MIN_ROWS` vector rows a build keeps the exact flat scan (``IndexFlatIP``):
every score is exact, and ranking scores every passage (retrieve.py). From that size on the
build gets an HNSW graph over 8-bit scalar-quantised vectors (``IndexHNSWSQ``): about 640
bytes a row instead of 1,536, and a search that visits a few thousand rows instead of all
of them. Ranking then works on a candidate set (the ANN head, the lexical head, their section
neighbours; learned-sparse scores only for those), and the distribution abstention needs
(top, mean, spread of every passage's dense score) is estimated: the top from the
candidates, mean and spread from a fixed random sample of passages scored exactly. The
figures behind these constants (recall@10 against the exact scan, memory a row, search time)
are in docs/retrieval.md, "Scale", and come from scripts/bench_ann.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import faiss

#: Rows from which a build gets an approximate (HNSW) index instead of the exact scan.
ANN_MIN_ROWS = 50_000
#: HNSW links per node; the graph costs about ``2 * M * 4`` bytes a row.
HNSW_M = 32
#: Breadth of the neighbour search while the graph is built.
HNSW_EF_CONSTRUCTION = 80
#: Breadth of the search at query time (FAISS searches at least ``k`` wide anyway).
HNSW_EF_SEARCH = 128
#: Dense rows the ANN search returns as ranking candidates.
DENSE_CANDIDATES = 200
#: Passages from the lexical (BM25) head added to the candidates.
LEXICAL_CANDIDATES = 100
#: A candidate's section neighbours are scored too (for its context score) when the
#: section has at most this many passages; larger ones contribute their candidates only.
GROUP_CAP = 64
#: Passages scored exactly for the mean and spread of the dense distribution.
STATS_SAMPLE = 4096
#: Rows the scalar quantiser is trained on (its ranges: a minimum and maximum a dimension).
SQ_TRAIN_ROWS = 200_000

FLAT = "flat"
HNSW_SQ8 = "hnsw-sq8"


def index_kind(rows: int, min_rows: int = ANN_MIN_ROWS) -> str:
    """The kind of dense index a build of ``rows`` vectors gets."""
    return HNSW_SQ8 if rows >= min_rows and rows > 0 else FLAT


def describe(kind: str) -> dict | None:
    """What the manifest records of an index kind (None for the exact scan, which adds
    nothing, so the ids of exact builds are unchanged)."""
    if kind == FLAT:
        return None
    return {"kind": kind, "M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}


def new_index(vectors: np.ndarray, kind: str) -> faiss.Index:
    """A FAISS index of ``kind`` holding ``vectors`` (L2-normalised rows)."""
    import faiss  # here, not at the top: settings.py reads this module's constants

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if kind == FLAT:
        index = faiss.IndexFlatIP(dim)
    elif kind == HNSW_SQ8:
        index = faiss.IndexHNSWSQ(
            dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT
        )
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        if len(vectors):
            step = max(1, len(vectors) // SQ_TRAIN_ROWS)
            index.train(vectors[::step])
    else:
        raise ValueError(f"unknown dense index kind {kind!r}")
    if len(vectors):
        index.add(vectors)
    return index


def kind_of(index: faiss.Index) -> str:
    """The kind of a FAISS index read back from disk (the file describes itself)."""
    import faiss

    return HNSW_SQ8 if isinstance(index, faiss.IndexHNSW) else FLAT


def sq8_codes(index: faiss.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The stored codes of an HNSW index over 8-bit vectors, to score rows without FAISS:
    ``(codes, scale, offset)`` with ``codes`` a (rows, dim) uint8 view of the index's own
    memory (valid while the index lives) and a stored vector being
    ``offset + scale * code``; None for any other kind of index.

    FAISS's 8-bit quantiser (``QT_8bit``) decodes dimension ``i`` as
    ``vmin[i] + (code + 0.5) / 255 * vdiff[i]``, with ``vmin`` and ``vdiff`` its trained ranges.
    """
    import faiss

    if not isinstance(index, faiss.IndexHNSW):
        return None
    storage = faiss.downcast_index(index.storage)
    if (
        not isinstance(storage, faiss.IndexScalarQuantizer)
        or storage.sq.qtype != faiss.ScalarQuantizer.QT_8bit
        or storage.code_size != index.d
    ):
        return None
    dim, rows = index.d, int(storage.ntotal)
    trained = faiss.vector_to_array(storage.sq.trained).astype(np.float32)
    vmin, vdiff = trained[:dim], trained[dim:]
    scale = vdiff / np.float32(255)
    if rows:
        codes = faiss.rev_swig_ptr(storage.codes.data(), rows * dim).reshape(rows, dim)
    else:
        codes = np.zeros((0, dim), np.uint8)
    return codes, scale, vmin + np.float32(0.5) * scale


@dataclass(frozen=True)
class DenseStats:
    """What abstention reads of the dense scores of every passage: the best, the mean and
    the standard deviation (exact, or estimated at scale; ``exact`` says which)."""

    count: int
    top: float
    mean: float
    std: float
    exact: bool = True

    @classmethod
    def of(cls, scores: np.ndarray) -> DenseStats:
        """The exact statistics of ``scores`` (every passage's)."""
        if scores.size == 0:
            return cls(0, 0.0, 0.0, 0.0)
        return cls(int(scores.size), float(scores.max()), float(scores.mean()), float(scores.std()))


def stats_sample(n: int, size: int = STATS_SAMPLE, seed: int = 0) -> np.ndarray:
    """A fixed random sample of ``size`` passage positions out of ``n`` (all when fewer),
    sorted; the same for every question, so estimates do not jitter between them."""
    if n <= size:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False)).astype(np.int64)
