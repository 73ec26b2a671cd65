"""Late interaction: the model's per-token vectors, matched token by token (MaxSim).

The pooled sentence vector averages every token of a sentence into one point, so a sentence
that answers in one clause and talks of something else in the rest is diluted. Late
interaction keeps the model's contextual token vectors and scores a passage by how well each
question token finds its best partner in it::

    maxsim(q, p) = mean over question tokens t of  max over passage tokens u of  cos(t, u)

The token vectors come from the same forward pass as the dense vectors (the same model, no
training), so this signal is free at question time, and at index time too: a sentence's
token vectors are its own tokens' states in the pass that encodes it with its title. It is
used to rerank the head of the hybrid ranking (retrieve.py): measured on XQuAD-R it moves
English questions over Arabic sentences from R@1 0.639 to 0.671 and leaves Arabic questions
unchanged (docs/retrieval.md).

Stored as int8 with one float16 scale per token (386 bytes a token instead of 768 in
float16, with the same R@1; docs/retrieval.md "Scale"), in plain ``.npy`` files that load
memory-mapped: a process touches only the rows it reranks. A build writes them block by block
(:class:`LateWriter`), so it never holds more than a block's token vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .arrays import GrowingNpy, load_array

#: The files of a stored :class:`LateIndex`, inside a build folder.
FILES = ("late-codes.npy", "late-scales.npy", "late-offsets.npy")


#: Whether numpy's BLAS is limited to the calling thread (:func:`single_thread_blas`).
_blas_single = False


def single_thread_blas() -> None:
    """Limit numpy's BLAS to one thread for the rest of the process, so that MaxSim is a
    BLAS product (twice as fast as einsum) without BLAS threads that compete with the
    model's for the cores. The question path (service.Sanad) sets it; a process that
    needs multi-threaded BLAS for its own work does not build a Sanad."""
    global _blas_single
    if not _blas_single:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
        _blas_single = True


@dataclass(frozen=True)
class Packed:
    """One row's token vectors as stored: int8 codes and a scale per token."""

    codes: np.ndarray  # (tokens, dim) int8
    scales: np.ndarray  # (tokens,) float16: a token is codes * scale


def pack(tokens: np.ndarray) -> Packed:
    """``tokens`` (float rows) as int8 codes with one scale per token (max-abs / 127)."""
    x = np.asarray(tokens, np.float32)
    scales = (np.abs(x).max(axis=1) / 127 if len(x) else np.zeros(0, np.float32)).astype(np.float16)
    safe = np.maximum(scales.astype(np.float32), np.float32(1e-8))[:, None]
    codes = np.clip(np.rint(x / safe), -127, 127).astype(np.int8)
    return Packed(codes, scales)


def unpack(row: Packed) -> np.ndarray:
    """The float32 token vectors a :class:`Packed` row stands for."""
    return row.codes.astype(np.float32) * row.scales.astype(np.float32)[:, None]


class LateIndex:
    """Token vectors of every row, concatenated (int8 with a float16 scale per token) with
    row offsets.

    Rows are the same rows as the dense index (one per passage view); a row's token vectors
    are L2-normalised before packing, so a dot product is a cosine.
    """

    def __init__(self, codes: np.ndarray, scales: np.ndarray, offsets: np.ndarray):
        self.codes = codes  # may be memory-mapped (load)
        self.scales = scales
        self.offsets = np.asarray(offsets, np.int64)

    @classmethod
    def build(cls, rows: list[Packed | np.ndarray], dim: int) -> LateIndex:
        """An index holding one token matrix per row (a row may have no tokens); float rows
        are packed (:func:`pack`), packed ones kept as they are."""
        packed = [r if isinstance(r, Packed) else pack(r) for r in rows]
        offsets = np.zeros(len(packed) + 1, np.int64)
        offsets[1:] = np.cumsum([len(r.scales) for r in packed])
        if not offsets[-1]:
            return cls(np.zeros((0, dim), np.int8), np.zeros(0, np.float16), offsets)
        return cls(
            np.concatenate([r.codes for r in packed]).astype(np.int8, copy=False),
            np.concatenate([r.scales for r in packed]).astype(np.float16, copy=False),
            offsets,
        )

    @property
    def count(self) -> int:
        """Number of rows."""
        return len(self.offsets) - 1

    @property
    def nbytes(self) -> int:
        """Bytes the stored vectors take (codes, scales and offsets)."""
        return int(self.codes.nbytes + self.scales.nbytes + self.offsets.nbytes)

    def row(self, i: int) -> Packed:
        """The token vectors of row ``i``, as stored."""
        a, b = self.offsets[i], self.offsets[i + 1]
        return Packed(np.asarray(self.codes[a:b]), np.asarray(self.scales[a:b]))

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """MaxSim of the query token vectors against each of ``rows`` (0 for an empty side)."""
        out = np.zeros(len(rows), np.float32)
        if len(query) == 0 or len(rows) == 0:
            return out
        rows = np.asarray(rows, np.int64)
        firsts, counts = self.offsets[rows], self.offsets[rows + 1] - self.offsets[rows]
        keep = np.flatnonzero(counts)
        if not len(keep):
            return out
        # The kept rows' tokens in one gather (a slice per row costs more on a few rows).
        counts = counts[keep]
        ends = np.cumsum(counts)
        starts = ends - counts
        at = np.repeat(firsts[keep] - starts, counts) + np.arange(int(ends[-1]))
        codes, scales = self.codes[at], self.scales[at]
        q, t = query.astype(np.float32), codes.astype(np.float32)
        if not _blas_single:
            # A BLAS matmul wakes OpenBLAS's thread pool, whose spinning threads then fight
            # the model's own threads for the cores and made every question ~3x slower
            # (measured: ask 112 ms vs 34 ms): ``@`` only once BLAS runs on the calling
            # thread alone (:func:`single_thread_blas`, which the question path sets).
            sims = np.einsum("qd,td->qt", q, t)
            sims *= scales.astype(np.float32)[None, :]
            best = np.maximum.reduceat(sims, starts, axis=1)  # (query tokens, kept rows)
        else:
            # (tokens, query tokens): the product in this orientation costs two thirds of
            # ``q @ t.T`` and its numbers are the same (the same dot products).
            sims = t @ q.T
            sims *= scales.astype(np.float32)[:, None]
            best = np.ascontiguousarray(np.maximum.reduceat(sims, starts, axis=0).T)
        # The mean over a contiguous column of query tokens, in their order, in both cases.
        out[keep] = best.mean(axis=0)
        return out

    def save(self, folder: Path) -> None:
        """Write into ``folder`` (the files :data:`FILES`)."""
        for name, array in zip(FILES, (self.codes, self.scales, self.offsets), strict=True):
            np.save(folder / name, np.ascontiguousarray(array))

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> LateIndex:
        """Read from ``folder``; with ``mmap`` large codes stay on disk until a row is read
        (arrays.py)."""
        codes, scales, offsets = (load_array(folder / name, mmap) for name in FILES)
        if codes.dtype != np.int8 or codes.ndim != 2 or len(scales) != len(codes):
            raise ValueError("late-interaction files are inconsistent")
        return cls(codes, scales, np.asarray(offsets))


class LateWriter:
    """Writes the files of a :class:`LateIndex` into a folder row block by row block, the same
    bytes as :meth:`LateIndex.save` of the whole index, holding only the row offsets."""

    def __init__(self, folder: Path, dim: int):
        self.dim = dim
        self._codes = GrowingNpy(folder / FILES[0], np.int8, (dim,))
        self._scales = GrowingNpy(folder / FILES[1], np.float16)
        self._folder = folder
        self._sizes: list[np.ndarray] = []

    def add(self, rows: list[Packed | np.ndarray]) -> None:
        """Append rows (float rows are packed, :func:`pack`)."""
        packed = [r if isinstance(r, Packed) else pack(r) for r in rows]
        kept = [r for r in packed if len(r.scales)]
        if kept:
            self._codes.append(np.concatenate([r.codes for r in kept]))
            self._scales.append(np.concatenate([r.scales for r in kept]))
        self._sizes.append(np.array([len(r.scales) for r in packed], np.int64))

    def close(self) -> None:
        """Finish the files (the offsets are written last)."""
        self._codes.close()
        self._scales.close()
        sizes = np.concatenate(self._sizes) if self._sizes else np.zeros(0, np.int64)
        offsets = np.zeros(len(sizes) + 1, np.int64)
        offsets[1:] = np.cumsum(sizes)
        np.save(self._folder / FILES[2], offsets)
