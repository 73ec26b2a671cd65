"""Late interaction: the model's per-token vectors, matched token by token (MaxSim).

The pooled sentence vector averages every token of a sentence into one point, so a sentence
that answers in one clause and talks of something else in the rest is diluted. Late
interaction keeps the model's contextual token vectors and scores a passage by how well each
question token finds its best partner in it::

    maxsim(q, p) = mean over question tokens t of  max over passage tokens u of  cos(t, u)

The token vectors come from the same forward pass as the dense vectors (the same model, no
training), so this signal is free at question time and costs one extra encode of each
sentence at index time. It is used to rerank the head of the hybrid ranking (retrieve.py):
measured on XQuAD-R it moves English questions over Arabic sentences from R@1 0.639 to 0.671
and leaves Arabic questions unchanged (docs/retrieval.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class LateIndex:
    """Token vectors of every row, concatenated (float16) with row offsets.

    Rows are the same rows as the dense index (one per passage view); a row's token vectors
    are L2-normalised, so a dot product is a cosine.
    """

    def __init__(self, vectors: np.ndarray, offsets: np.ndarray):
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float16)
        self.offsets = offsets.astype(np.int64)

    @classmethod
    def build(cls, rows: list[np.ndarray], dim: int) -> LateIndex:
        """An index holding one token matrix per row (a row may have no tokens)."""
        offsets = np.zeros(len(rows) + 1, np.int64)
        offsets[1:] = np.cumsum([len(r) for r in rows])
        vectors = (
            np.concatenate(rows).astype(np.float16)
            if offsets[-1]
            else np.zeros((0, dim), np.float16)
        )
        return cls(vectors, offsets)

    @property
    def count(self) -> int:
        """Number of rows."""
        return len(self.offsets) - 1

    def row(self, i: int) -> np.ndarray:
        """The token vectors of row ``i``."""
        return self.vectors[self.offsets[i] : self.offsets[i + 1]]

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """MaxSim of the query token vectors against each of ``rows`` (0 for an empty side)."""
        out = np.zeros(len(rows), np.float32)
        if len(query) == 0 or len(rows) == 0:
            return out
        spans = [(self.offsets[r], self.offsets[r + 1]) for r in rows]
        keep = [j for j, (a, b) in enumerate(spans) if b > a]
        if not keep:
            return out
        tokens = np.concatenate([self.vectors[spans[j][0] : spans[j][1]] for j in keep])
        starts = np.cumsum([0] + [spans[j][1] - spans[j][0] for j in keep[:-1]])
        # einsum, not ``@``: a BLAS matmul wakes OpenBLAS's thread pool, whose spinning threads
        # then fight the model's own threads for the cores and made every question ~3x slower
        # (measured: ask 112 ms vs 34 ms). The product is small enough without BLAS.
        sims = np.einsum("qd,td->qt", query.astype(np.float32), tokens.astype(np.float32))
        best = np.maximum.reduceat(sims, starts, axis=1)  # (query tokens, kept rows)
        out[keep] = best.mean(axis=0)
        return out

    def save(self, path: Path) -> None:
        """Write to ``path`` (an ``.npz``)."""
        with path.open("wb") as f:
            np.savez(f, vectors=self.vectors, offsets=self.offsets)

    @classmethod
    def load(cls, path: Path) -> LateIndex:
        """Read from ``path``."""
        with np.load(path) as z:
            return cls(z["vectors"], z["offsets"])
