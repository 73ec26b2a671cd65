"""Approximate dense search for large indexes: which FAISS index a build gets, and the
summary of the dense score distribution that abstention reads.

Below :data:`ANN_MIN_ROWS` vector rows a build keeps the exact flat scan (``IndexFlatIP``):
every score is exact, and ranking scores every passage (retrieve.py). From that size on the
build gets inverted lists over 8-bit scalar-quantised vectors (``IndexIVFScalarQuantizer``,
"IVF{cells},SQ8", the vectors themselves quantised, not their residuals): k-means cells
(:func:`ivf_cells`, about ``4 * sqrt(rows)``), and a question scans the rows of the
:func:`ivf_probes` cells nearest to it. The 8-bit codes are also kept row by row
(``dense-codes.npy`` beside ``dense.faiss``, memory-mapped; :func:`row_codes`), because
ranking scores candidate rows that come from the lexical and sparse heads too, and the
inverted lists hold the codes by cell. About 392 bytes a row in memory (codes and row id in
the lists) and 384 on disk for the row-major copy, instead of 1,536.

Ranking then works on a candidate set (the ANN head, the lexical head, their section
neighbours; learned-sparse scores only for those), and the distribution abstention needs
(top, mean, spread of every passage's dense score) is estimated: the top from the
candidates, mean and spread from a fixed random sample of passages scored from their codes.
The figures behind these constants (recall@10 against the exact scan, memory a row, search
time) are in docs/retrieval.md, "Scale", and come from scripts/bench_ann.py. Builds of index
format 6 held an HNSW graph over 8-bit vectors (``IndexHNSWSQ``); they still load and rank
(their codes are read from the graph's storage, :func:`sq8_codes`) until the next build.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .arrays import release

if TYPE_CHECKING:
    import faiss

#: Rows from which a build gets an approximate (IVF) index instead of the exact scan.
ANN_MIN_ROWS = 50_000
#: k-means cells of the inverted lists: about this many times the square root of the rows.
IVF_CELLS_PER_SQRT = 4
#: FAISS's k-means wants at least 39 training rows a cell; fewer cells on small indexes.
IVF_ROWS_PER_CELL = 39
#: Most cells an index gets (the centroids are scanned whole by every question).
IVF_MAX_CELLS = 65_536
#: Fewest cells a question scans ...
IVF_MIN_PROBES = 48
#: ... and at least this share of them (1/64: 63 of 4,000 cells at 1M rows).
IVF_PROBE_SHARE = 64
#: Dense rows the ANN search returns as ranking candidates.
DENSE_CANDIDATES = 200
#: Passages from the lexical (BM25) head added to the candidates.
LEXICAL_CANDIDATES = 100
#: A candidate's section neighbours are scored too (for its context score) when the
#: section has at most this many passages; larger ones contribute their candidates only.
GROUP_CAP = 64
#: Passages scored exactly for the mean and spread of the dense distribution.
STATS_SAMPLE = 4096
#: Rows the quantiser and the k-means cells are trained on (a strided sample).
SQ_TRAIN_ROWS = 200_000
#: Rows added to a FAISS index at a time while it is built.
ADD_BLOCK = 65_536
#: The graph of index format 6 (HNSW over 8-bit vectors): still read, and built on request
#: (scripts/bench_ann.py compares it), but no build of format 7 gets it.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128

FLAT = "flat"
IVF_SQ8 = "ivf-sq8"
HNSW_SQ8 = "hnsw-sq8"


def index_kind(rows: int, min_rows: int = ANN_MIN_ROWS) -> str:
    """The kind of dense index a build of ``rows`` vectors gets."""
    return IVF_SQ8 if rows >= min_rows and rows > 0 else FLAT


def ivf_cells(rows: int) -> int:
    """The k-means cells of an IVF index over ``rows`` vectors: ``4 * sqrt(rows)``, at most
    one per :data:`IVF_ROWS_PER_CELL` rows (so small forced indexes train), at least 1."""
    cells = round(IVF_CELLS_PER_SQRT * math.sqrt(max(rows, 0)))
    return int(max(1, min(cells, rows // IVF_ROWS_PER_CELL, IVF_MAX_CELLS)))


def ivf_probes(cells: int) -> int:
    """The cells a question scans in an index of ``cells``: ``max(48, cells / 64)``, at most
    all of them (docs/retrieval.md: recall@10 >= 0.95 measured at 100k and 1M rows)."""
    return int(min(cells, max(IVF_MIN_PROBES, math.ceil(cells / IVF_PROBE_SHARE))))


def describe(kind: str, rows: int) -> dict | None:
    """What the manifest records of an index kind over ``rows`` vectors (None for the exact
    scan, which adds nothing, so the ids of exact builds are unchanged)."""
    if kind == FLAT:
        return None
    if kind == IVF_SQ8:
        return {"kind": kind, "cells": ivf_cells(rows)}
    return {"kind": kind, "M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}


def _train_sample(vectors: np.ndarray) -> np.ndarray:
    """``vectors[::step]``, at most about :data:`SQ_TRAIN_ROWS` rows, read a block at a time
    (``vectors`` may be a mapped file of a build: see :func:`new_index`)."""
    step = max(1, len(vectors) // SQ_TRAIN_ROWS)
    sample = []
    for s in range(0, len(vectors), ADD_BLOCK):
        sample.append(np.array(vectors[s + (-s) % step : s + ADD_BLOCK : step], np.float32))
        release(vectors)
    return np.ascontiguousarray(np.concatenate(sample))


def new_index(vectors: np.ndarray, kind: str) -> faiss.Index:
    """A FAISS index of ``kind`` holding ``vectors`` (L2-normalised rows)."""
    import faiss  # here, not at the top: settings.py reads this module's constants

    dim = vectors.shape[1]
    if kind == FLAT:
        index = faiss.IndexFlatIP(dim)
    elif kind == IVF_SQ8:
        if not len(vectors):
            raise ValueError("an IVF index needs vectors to train its cells on")
        cells = ivf_cells(len(vectors))
        # The vectors themselves are quantised (by_residual False), not their distance to
        # the cell's centroid: a row's code then means the same whatever its cell, so the
        # row-major copy (row_codes) scores any row from one decoding table.
        index = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dim),
            dim,
            cells,
            faiss.ScalarQuantizer.QT_8bit,
            faiss.METRIC_INNER_PRODUCT,
            False,
        )
        # Cells are at most rows / 39 already (ivf_cells); below 39 rows (a forced tiny index)
        # the one cell needs no warning that k-means has few points.
        index.cp.min_points_per_centroid = 1
        sample = _train_sample(vectors)
        index.train(sample)
        del sample
        index.nprobe = ivf_probes(cells)
    elif kind == HNSW_SQ8:
        index = faiss.IndexHNSWSQ(
            dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT
        )
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        if len(vectors):
            index.train(_train_sample(vectors))
    else:
        raise ValueError(f"unknown dense index kind {kind!r}")
    # Block by block: ``vectors`` may be a memory-mapped file of a build (assemble.py), and
    # only a block of it is then in memory at a time.
    for s in range(0, len(vectors), ADD_BLOCK):
        index.add(np.ascontiguousarray(vectors[s : s + ADD_BLOCK], dtype=np.float32))
        release(vectors)
    return index


def kind_of(index: faiss.Index) -> str:
    """The kind of a FAISS index read back from disk (the file describes itself)."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        return IVF_SQ8
    return HNSW_SQ8 if isinstance(index, faiss.IndexHNSW) else FLAT


def set_search_breadth(index: faiss.Index) -> None:
    """Set how wide ``index`` searches from the code's constants, not from the file."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        index.nprobe = ivf_probes(int(index.nlist))
    elif isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = HNSW_EF_SEARCH


def _decoding(sq: faiss.ScalarQuantizer, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """``(scale, offset)`` of an 8-bit quantiser: a stored vector is ``offset + scale * code``.

    FAISS's 8-bit quantiser (``QT_8bit``) decodes dimension ``i`` as
    ``vmin[i] + (code + 0.5) / 255 * vdiff[i]``, with ``vmin`` and ``vdiff`` its trained ranges.
    """
    import faiss

    trained = faiss.vector_to_array(sq.trained).astype(np.float32)
    vmin, vdiff = trained[:dim], trained[dim:]
    scale = vdiff / np.float32(255)
    return scale, vmin + np.float32(0.5) * scale


def ivf_decoding(index: faiss.Index) -> tuple[np.ndarray, np.ndarray] | None:
    """``(scale, offset)`` decoding the codes of an IVF index over 8-bit vectors (the row-major
    ones of :func:`row_codes`); None for any other kind of index."""
    import faiss

    if (
        not isinstance(index, faiss.IndexIVFScalarQuantizer)
        or index.sq.qtype != faiss.ScalarQuantizer.QT_8bit
        or index.by_residual
        or index.code_size != index.d
    ):
        return None
    return _decoding(index.sq, index.d)


def row_codes(index: faiss.Index, vectors: np.ndarray, out: np.ndarray) -> None:
    """Write into ``out`` (rows x dim uint8, may be a mapped file) the 8-bit code of every row
    of ``vectors`` as the IVF ``index`` stores it, a block at a time."""
    for s in range(0, len(vectors), ADD_BLOCK):
        block = np.ascontiguousarray(vectors[s : s + ADD_BLOCK], dtype=np.float32)
        out[s : s + len(block)] = index.sq.compute_codes(block)
        release(vectors)
        release(out)


def sq8_codes(index: faiss.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The stored codes of an HNSW index over 8-bit vectors (index format 6), to score rows
    without FAISS: ``(codes, scale, offset)`` with ``codes`` a (rows, dim) uint8 view of the
    index's own memory (valid while the index lives) and a stored vector being
    ``offset + scale * code``; None for any other kind of index."""
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
    if rows:
        codes = faiss.rev_swig_ptr(storage.codes.data(), rows * dim).reshape(rows, dim)
    else:
        codes = np.zeros((0, dim), np.uint8)
    return (codes, *_decoding(storage.sq, dim))


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
