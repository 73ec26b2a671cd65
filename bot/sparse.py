"""Learned sparse vectors of the index rows, inverted: feature -> (rows, weights).

Every row keeps up to 256 of the sparse head's 16,384 features (engine.py), so scoring a
question by one gather over all stored weights costs the whole index (256 numbers a row) per
question. Inverted, a question's features pick their own postings: a feature is held by
about 256/16,384 of the rows, so a question of 256 features reads about 1/64 of the
weights, and exactly the rows that can score above zero.

Weights are stored as float16 (half the memory of float32; a relative rounding of at most
2^-11, measured not to move XQuAD-R or the seed sets: docs/retrieval.md), row numbers as
int32. Files of a build (``sparse/`` in the build folder; the postings are memory-mapped)::

    meta.npy          int64 [dim, rows]
    fptr.npy          int64 (dim+1,)  postings of feature f: rows[fptr[f]:fptr[f+1]]
    rows.npy          int32 (nnz,)    row numbers, ascending within a feature
    weights.npy       float16 (nnz,)  the row's weight for that feature
    row-features.npy  uint16 (rows, width)  each row's features, padded with ``dim``
    row-weights.npy   float16 (rows, width) their weights (0 in the padding)

The row-major copy (``row-*``, format 6; ``width`` is the most features a row has: the sparse
head's top-k) is what ranking on candidates reads: the dot products of a few thousand
candidate rows with a question cost one gather of their rows, whatever the size of the
collection, where the postings of a question's features cover most of an archive.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .arrays import load_array
from .embed import SparseVector

#: How sparse weights are stored.
WEIGHT = np.float16


def feature_type(dim: int) -> type:
    """The integer type of the row-major copy's features: 16 bits when ``dim`` (the padding)
    fits, as it does for the sparse head's 16,384 features."""
    return np.uint16 if dim <= np.iinfo(np.uint16).max else np.int32


class SparseIndex:
    """Sparse vectors, one per row, inverted by feature (and a row-major copy); scored against
    a query by dot product in cost proportional to the postings of the query's features, or,
    for some rows only (:meth:`scores_of`), to those rows."""

    def __init__(
        self,
        dim: int,
        count: int,
        fptr: np.ndarray,
        rows: np.ndarray,
        weights,
        by_row: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        self.dim = dim
        self._count = count
        self.fptr = fptr
        self.rows = rows
        self.weights = weights
        # (row features, row weights), padded (module docstring); None in a build of format 5
        self.by_row = by_row
        self._csr: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def build(cls, dim: int, vectors: list[SparseVector]) -> SparseIndex:
        """An index holding ``vectors`` (one per row)."""
        indptr = np.zeros(len(vectors) + 1, np.int64)
        indptr[1:] = np.cumsum([len(ix) for ix, _ in vectors])
        indices = np.concatenate([ix for ix, _ in vectors] or [np.zeros(0, np.int32)])
        values = np.concatenate([v for _, v in vectors] or [np.zeros(0, np.float32)])
        return cls.from_rows(dim, indptr, indices, values)

    @classmethod
    def from_rows(
        cls, dim: int, indptr: np.ndarray, indices: np.ndarray, values: np.ndarray
    ) -> SparseIndex:
        """An index from the row-major (CSR) layout: row r holds
        ``indices[indptr[r]:indptr[r+1]]`` with ``values`` alike."""
        count = len(indptr) - 1
        counts = np.diff(indptr)
        row_of = np.repeat(np.arange(count, dtype=np.int32), counts)
        order = np.argsort(indices, kind="stable")  # rows stay ascending within a feature
        fptr = np.zeros(dim + 1, np.int64)
        fptr[1:] = np.cumsum(np.bincount(indices.astype(np.int64), minlength=dim))
        width = int(counts.max()) if count else 0
        features = np.full((count, width), dim, feature_type(dim))
        weights = np.zeros((count, width), WEIGHT)
        at = np.arange(len(indices)) - np.repeat(indptr[:-1], counts)
        features[row_of, at] = indices
        weights[row_of, at] = values
        return cls(
            dim, count, fptr, row_of[order], values[order].astype(WEIGHT), (features, weights)
        )

    @property
    def count(self) -> int:
        """Number of rows."""
        return self._count

    def row(self, i: int) -> SparseVector:
        """The sparse vector of row ``i`` (features ascending; for a build that reuses the
        vectors)."""
        if self.by_row is not None:
            features = np.asarray(self.by_row[0][i]).astype(np.int32)
            keep = features < self.dim
            order = np.argsort(features[keep], kind="stable")
            weights = np.asarray(self.by_row[1][i], np.float32)[keep]
            return features[keep][order], weights[order]
        if self._csr is None:  # a build of format 5: the row-major layout made on first use
            order = np.argsort(self.rows, kind="stable")  # features stay ascending in a row
            feature = np.repeat(np.arange(self.dim, dtype=np.int32), np.diff(self.fptr))
            indptr = np.zeros(self.count + 1, np.int64)
            indptr[1:] = np.cumsum(np.bincount(self.rows, minlength=self.count))
            self._csr = (indptr, feature[order], np.asarray(self.weights[order], np.float32))
        indptr, features, weights = self._csr
        a, b = indptr[i], indptr[i + 1]
        return features[a:b], weights[a:b]

    def candidates(self, query: SparseVector) -> tuple[np.ndarray, np.ndarray]:
        """(rows, dot products) of every row sharing a feature with ``query``, rows ascending."""
        rows, products = self._postings(query)
        if not len(rows):
            return rows.astype(np.int64), products
        # Counting into an array of every row, not sorting the postings (np.unique): a
        # frequent feature has postings in most rows, and sorting millions of them cost
        # ~100 ms a question at 100k rows; the sums are the same, in the same order.
        sums = np.bincount(rows, weights=products, minlength=self.count)
        touched = np.zeros(self.count, bool)
        touched[rows] = True
        ids = np.flatnonzero(touched)
        return ids.astype(np.int64), sums[ids].astype(np.float32)

    def scores_of(self, query: SparseVector, rows: np.ndarray) -> np.ndarray:
        """Dot product of ``query`` with each of ``rows`` (the candidate path of an archive):
        from the rows' own features (the row-major copy), so the cost is the rows asked for,
        not the collection. The products and their float64 sum are those of :meth:`scores`.
        A build without the copy (format 5) searches the postings of the query's features
        instead (``rows`` ascending there)."""
        rows = np.asarray(rows, np.int64)
        if not len(rows):
            return np.zeros(0, np.float32)
        if self.by_row is not None:
            return self._row_scores(query, rows)
        out = np.zeros(len(rows), np.float64)
        for f, v in zip(query[0], query[1], strict=True):
            f = int(f)
            if not 0 <= f < self.dim:
                continue
            a, b = int(self.fptr[f]), int(self.fptr[f + 1])
            if a == b:
                continue
            post = np.asarray(self.rows[a:b])
            pos = np.minimum(np.searchsorted(post, rows), b - a - 1)
            hit = post[pos] == rows
            if hit.any():
                at = a + pos[hit]
                out[hit] += np.float32(v) * np.asarray(self.weights[at], np.float32)
        return out.astype(np.float32)

    def _row_scores(self, query: SparseVector, rows: np.ndarray) -> np.ndarray:
        """:meth:`scores_of` from the row-major copy: the rows' features are gathered, those
        the query holds picked out (a lookup in a table of the query's features; the padding
        is never one), and only their weights read."""
        features, weights = self.by_row  # type: ignore[misc]
        width = features.shape[1]
        if not width:
            return np.zeros(len(rows), np.float32)
        table = np.zeros(self.dim + 1, np.float32)  # the query, dense; 0 at the padding
        qf = np.asarray(query[0], np.int64)
        ok = (qf >= 0) & (qf < self.dim)
        np.add.at(table, qf[ok], np.asarray(query[1], np.float32)[ok])
        held = np.asarray(features[rows]).reshape(-1)  # (rows * width)
        hit = np.flatnonzero(np.take(table != 0, held))
        at_row = hit // width
        at = rows[at_row] * width + (hit - at_row * width)
        products = table[held[hit]] * np.asarray(weights.reshape(-1)[at], np.float32)
        return np.bincount(at_row, weights=products, minlength=len(rows)).astype(np.float32)

    def scores(self, query: SparseVector) -> np.ndarray:
        """Dot product of ``query`` with every row (0 for rows sharing no feature)."""
        rows, products = self._postings(query)
        return np.bincount(rows, weights=products, minlength=self.count).astype(np.float32)

    def _postings(self, query: SparseVector) -> tuple[np.ndarray, np.ndarray]:
        """Every posting of the query's features: (row, query weight * row weight), read with
        one gather (a slice per feature costs more than the postings on a small index)."""
        features = np.asarray(query[0], np.int64)
        values = np.asarray(query[1], np.float32)
        ok = (features >= 0) & (features < self.dim)
        features, values = features[ok], values[ok]
        starts, ends = self.fptr[features], self.fptr[features + 1]
        counts = ends - starts
        total = int(counts.sum())
        if not total:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        at = np.repeat(starts, counts) + offsets
        rows = np.asarray(self.rows[at])
        products = np.repeat(values, counts) * np.asarray(self.weights[at], np.float32)
        return rows, products

    def save(self, folder: Path) -> None:
        """Write into ``folder`` (created)."""
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "meta.npy", np.array([self.dim, self.count], np.int64))
        np.save(folder / "fptr.npy", self.fptr)
        np.save(folder / "rows.npy", np.ascontiguousarray(self.rows, np.int32))
        np.save(folder / "weights.npy", np.ascontiguousarray(self.weights, WEIGHT))
        if self.by_row is not None:
            np.save(folder / "row-features.npy", np.ascontiguousarray(self.by_row[0]))
            np.save(folder / "row-weights.npy", np.ascontiguousarray(self.by_row[1], WEIGHT))

    @classmethod
    def load(cls, path: Path) -> SparseIndex:
        """Read a folder written by :meth:`save` (postings memory-mapped), or the row-major
        ``sparse.npz`` of an index of format 4."""
        if path.suffix == ".npz":
            with np.load(path) as z:
                return cls.from_rows(int(z["dim"]), z["indptr"], z["indices"], z["values"])
        dim, count = (int(x) for x in np.load(path / "meta.npy"))
        fptr = np.load(path / "fptr.npy")
        rows = load_array(path / "rows.npy")
        weights = load_array(path / "weights.npy")
        if len(fptr) != dim + 1 or fptr[-1] != len(rows) or len(weights) != len(rows):
            raise ValueError(f"{path.name} postings are inconsistent")
        by_row = None
        if (path / "row-features.npy").is_file():  # format 6
            by_row = (load_array(path / "row-features.npy"), load_array(path / "row-weights.npy"))
            if by_row[0].shape != by_row[1].shape or len(by_row[0]) != count:
                raise ValueError(f"{path.name} row-major copy is inconsistent")
        return cls(dim, count, fptr, rows, weights, by_row)
