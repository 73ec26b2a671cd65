"""Writing a build's vector files block by block, as the rows are encoded.

An archive's rows do not fit in memory at once: at a million passages the token vectors alone
are ~15 GB (late.py), the learned-sparse postings ~1 GB before they are inverted, the dense
vectors 1.5 GB. So a build (index.build_index) takes the rows :data:`BLOCK` at a time, in
row order: the rows it must encode come from the encoding step (encoding.encode_chunk, which
also keeps each finished chunk for a resumed build), the others from the previous build; each
block goes straight to its files:

* dense vectors to a memory-mapped work file, handed to the vector store at the end (FAISS
  adds them block by block, ann.new_index);
* learned-sparse vectors to :class:`~bot.sparse.SparseWriter` (inverted at the end, block by
  block);
* token vectors to :class:`~bot.late.LateWriter` (appended to ``late-*.npy``).

The files are the same, byte for byte, as writing the whole build from memory
(index.Built), so the format and build ids are unchanged. What stays in memory is a block,
one number per row (offsets) and the previous build's reused vectors, if any.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from . import encoding
from .arrays import release
from .encoding import Encode, EncodeItem, encode_chunk
from .late import LateWriter
from .sparse import SparseWriter

#: Work folder inside the build folder (removed before the build is named live).
WORK = ".work"


def write_vectors(
    folder: Path,
    keys: Sequence[str],
    items: Sequence[EncodeItem],  # may make each item when asked (index._Items)
    previous,
    *,
    dim: int,
    sparse_dim: int | None,
    tokens: bool,
    encode: Encode,
    write_dense: Callable[[np.ndarray], None],
    progress: Callable[[int], object] | None = None,
    partial: Path | None = None,
    block: int | None = None,
) -> None:
    """Encode or reuse every row and write its vectors into ``folder``: ``keys[j]`` is row
    j's key in ``previous`` (index.Previous), ``items[j]`` says which of its vectors must be
    encoded. ``write_dense`` gets all dense vectors (a read-only memory map) at the end;
    sparse files go to ``folder/sparse`` when ``sparse_dim`` is given, token vectors to
    ``folder/late-*.npy`` when ``tokens``. Rows go ``block`` at a time (default: the encoding
    chunk, encoding.CHUNK, so a full build's chunks, and the names of the chunks it keeps for
    a resumed build, are those of encoding every row in one list)."""
    block = block or encoding.CHUNK
    work = folder / WORK
    work.mkdir(parents=True, exist_ok=True)
    try:
        dense_path = work / "dense.npy"
        if not items:  # numpy cannot map an empty array
            np.save(dense_path, np.zeros((0, dim), np.float32))
        dense = (
            np.load(dense_path)
            if not items
            else np.lib.format.open_memmap(dense_path, "w+", np.float32, (len(items), dim))
        )
        sparse = SparseWriter(folder / "sparse", sparse_dim, work) if sparse_dim else None
        late = LateWriter(folder, dim) if tokens else None
        for s in range(0, len(items), block):
            here = [items[j] for j in range(s, min(s + block, len(items)))]  # made once
            need = [n for n, it in enumerate(here) if it.dense or it.sparse or it.tokens]
            got = (
                encode_chunk([here[n] for n in need], encode, dim, progress, partial)
                if need
                else None
            )
            at = {n: m for m, n in enumerate(need)}

            def pick(n: int, fresh: str, old: str, asked: bool, got=got, at=at, s=s):
                return getattr(got, fresh)[at[n]] if asked else getattr(previous, old)[keys[s + n]]

            if here:
                dense[s : s + len(here)] = np.stack(
                    [pick(n, "dense", "dense", it.dense) for n, it in enumerate(here)]
                )
                release(dense)
            if sparse is not None:
                sparse.add([pick(n, "sparse", "sparse", it.sparse) for n, it in enumerate(here)])
            if late is not None:
                late.add([pick(n, "tokens", "late", it.tokens) for n, it in enumerate(here)])
        del dense
        if late is not None:
            late.close()
        if sparse is not None:
            sparse.close()
        vectors = np.load(dense_path, mmap_mode="r" if items else None)
        write_dense(vectors)
        del vectors
    finally:
        shutil.rmtree(work, ignore_errors=True)
