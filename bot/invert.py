"""Inverting row-major lists on disk, block by block: (row -> keys, values) into
key -> (rows, values), the layout of the lexical postings (postings.py) and of the learned-sparse
index (sparse.py).

A build appends each row's keys and values to two work files as the rows come
(:class:`RowLists`), counting the entries of each key; :meth:`RowLists.invert` then places each
block of entries at its key's place in the output files. Blocks come in row
order and keep it within a key (a stable sort), so rows are ascending within every key, as
when the whole list is sorted at once; memory holds one block and a count per key.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .arrays import GrowingNpy

#: Entries placed at a time by :meth:`RowLists.invert`.
BLOCK = 4_000_000


class RowLists:
    """Rows of (key, value) entries appended to work files, to be inverted by key."""

    def __init__(self, work: Path, name: str, value_dtype):
        self.value_dtype = np.dtype(value_dtype)
        self._paths = (work / f"{name}-keys.i32", work / f"{name}-values.bin")
        self._files = [path.open("wb") for path in self._paths]
        self._counts = np.zeros(0, np.int64)
        self._sizes: list[np.ndarray] = []

    def add(self, keys: list[np.ndarray], values: list[np.ndarray]) -> None:
        """Append rows: row i holds ``keys[i]`` (ints >= 0) with ``values[i]``."""
        sizes = np.array([len(k) for k in keys], np.int64)
        if not keys:
            return self.add_flat(sizes, np.zeros(0, np.int32), np.zeros(0))
        self.add_flat(sizes, np.concatenate(keys), np.concatenate(values))

    def add_flat(self, sizes: np.ndarray, keys: np.ndarray, values: np.ndarray) -> None:
        """Append rows given flat: row i holds the next ``sizes[i]`` of ``keys`` and
        ``values``."""
        self._sizes.append(np.asarray(sizes, np.int64))
        k = np.asarray(keys, np.int32)
        if len(k):
            found = np.bincount(k.astype(np.int64))
            if len(found) > len(self._counts):
                grow = np.zeros(len(found) - len(self._counts), np.int64)
                self._counts = np.concatenate([self._counts, grow])
            self._counts[: len(found)] += found
        self._files[0].write(k.tobytes())
        self._files[1].write(np.asarray(values).astype(self.value_dtype).tobytes())

    @property
    def rows(self) -> int:
        """Rows appended so far."""
        return sum(len(s) for s in self._sizes)

    def row_major(
        self, pad: int, key_dtype, keys_path: Path, values_path: Path, block: int | None = None
    ) -> None:
        """Write the rows appended so far as two ``.npy`` arrays of shape (rows, width), width
        the most entries a row has: keys (``key_dtype``, padded with ``pad``) and values
        (padded with 0), in row order; a block of rows at a time."""
        for f in self._files:
            f.flush()
        sizes = np.concatenate(self._sizes) if self._sizes else np.zeros(0, np.int64)
        width = int(sizes.max()) if len(sizes) else 0
        keys_out = GrowingNpy(keys_path, key_dtype, (width,))
        values_out = GrowingNpy(values_path, self.value_dtype, (width,))
        step = max(1, (block or BLOCK) // max(width, 1))
        with self._paths[0].open("rb") as fk, self._paths[1].open("rb") as fv:
            for r in range(0, len(sizes), step):
                sz = sizes[r : r + step]
                n = int(sz.sum())
                k = np.fromfile(fk, np.int32, n)
                v = np.fromfile(fv, self.value_dtype, n)
                kb = np.full((len(sz), width), pad, key_dtype)
                vb = np.zeros((len(sz), width), self.value_dtype)
                row_of = np.repeat(np.arange(len(sz)), sz)
                at = np.arange(n) - np.repeat(np.cumsum(sz) - sz, sz)
                kb[row_of, at] = k
                vb[row_of, at] = v
                keys_out.append(kb)
                values_out.append(vb)
        keys_out.close()
        values_out.close()

    def invert(
        self,
        keys: int,
        rows_path: Path,
        values_path: Path,
        rank: np.ndarray | None = None,
        block: int | None = None,
    ) -> np.ndarray:
        """Write the inverted lists of ``keys`` keys: key t's rows (int32, ascending) and values
        at ``indptr[t]:indptr[t+1]`` of ``rows_path`` and ``values_path`` (``.npy``); return
        ``indptr``. ``rank`` renumbers the appended keys first (output key = rank[key]).
        The work files are removed."""
        block = block or BLOCK
        for f in self._files:
            f.close()
        sizes = np.concatenate(self._sizes) if self._sizes else np.zeros(0, np.int64)
        row_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        counts = np.zeros(keys, np.int64)
        seen = self._counts[:keys] if rank is None else None
        if rank is None:
            counts[: len(seen)] = seen
        else:
            np.add.at(counts, rank[: len(self._counts)], self._counts)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        total = int(indptr[-1])
        if not total:  # numpy cannot map an empty array
            np.save(rows_path, np.zeros(0, np.int32))
            np.save(values_path, np.zeros(0, self.value_dtype))
            for path in self._paths:
                path.unlink()
            return indptr
        # The output files are written with pwrite, not through a memory map: a block's
        # postings land all over the files (every key has some), and mapped pages would count
        # in the build's RSS until released.
        offsets = []
        for path, dtype in ((rows_path, np.int32), (values_path, self.value_dtype)):
            out = np.lib.format.open_memmap(path, "w+", dtype, (total,))  # header, length
            offsets.append(out.offset)
            del out
        cursor = indptr[:-1].copy()
        width = self.value_dtype.itemsize
        fr, fo = os.open(rows_path, os.O_WRONLY), os.open(values_path, os.O_WRONLY)
        try:
            with self._paths[0].open("rb") as fk, self._paths[1].open("rb") as fv:
                for a in range(0, total, block):
                    k = np.fromfile(fk, np.int32, min(block, total - a)).astype(np.int64)
                    v = np.fromfile(fv, self.value_dtype, len(k))
                    if rank is not None:
                        k = rank[k]
                    row = np.searchsorted(row_ptr, np.arange(a, a + len(k)), side="right") - 1
                    order = np.argsort(k, kind="stable")
                    k = k[order]
                    rows = row[order].astype(np.int32)
                    v = v[order]
                    starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
                    ends = np.append(starts[1:], len(k))
                    runs = zip(starts.tolist(), ends.tolist(), k[starts].tolist(), strict=True)
                    for s, e, key in runs:
                        at = int(cursor[key])
                        os.pwrite(fr, rows[s:e].tobytes(), offsets[0] + 4 * at)
                        os.pwrite(fo, v[s:e].tobytes(), offsets[1] + width * at)
                        cursor[key] = at + e - s
        finally:
            os.close(fr)
            os.close(fo)
        for path in self._paths:
            path.unlink()
        return indptr
