"""Reading the index's numpy files: memory-mapped when large, in memory when small.

A memory-mapped array costs RSS only for the pages a question touches, which is what lets an
archive's postings and token vectors stay on disk. But every slice of a ``np.memmap`` is a
Python-level object with its own bookkeeping; on a small index (the seed article: kilobytes)
that bookkeeping was most of the time a question spent in sparse scoring. Files under
:data:`MMAP_MIN_BYTES` are therefore read into memory, where their pages would be anyway.
"""

from __future__ import annotations

import io
import mmap
from pathlib import Path

import numpy as np

#: Files at least this large are memory-mapped; smaller ones are read whole.
MMAP_MIN_BYTES = 32 << 20


def load_array(path: Path, mmap: bool = True) -> np.ndarray:
    """The array in the ``.npy`` file ``path``: memory-mapped (read-only) when ``mmap`` and
    the file holds at least :data:`MMAP_MIN_BYTES`, else read into memory."""
    large = mmap and path.stat().st_size >= MMAP_MIN_BYTES
    return np.load(path, mmap_mode="r" if large else None, allow_pickle=False)


def release(array: np.ndarray) -> None:
    """Give back the pages of a memory-mapped ``array`` that this process has touched (they
    stay in the file; a later read maps them again). A no-op for an array in memory: a build
    reading or writing a large file block by block calls it after each block, so its RSS does
    not grow with the file."""
    while isinstance(array, np.ndarray) and not isinstance(array, np.memmap):
        array = array.base  # a view of a memory map keeps it as its base
    mm = getattr(array, "_mmap", None)
    if mm is None:
        return
    if isinstance(array, np.memmap) and array.mode in ("r+", "w+"):
        array.flush()
    try:
        mm.madvise(mmap.MADV_DONTNEED)
    except (AttributeError, OSError, ValueError):  # not on this platform: only RSS is at stake
        pass


class GrowingNpy:
    """A ``.npy`` file written block by block, its length known only when it is closed.

    The header is written first for the largest length numpy reserves room for, and rewritten
    with the real length at the end (numpy pads a header so its shape can grow in place); the
    file is then the same, byte for byte, as ``np.save`` of the concatenated blocks.
    """

    def __init__(self, path: Path, dtype, tail: tuple[int, ...] = ()):
        self.path = path
        self.dtype = np.dtype(dtype)
        self.tail = tuple(tail)
        self.rows = 0
        self._file = path.open("wb")
        self._size = len(self._header(10**18))
        self._file.write(self._header(10**18))

    def _header(self, rows: int) -> bytes:
        out = io.BytesIO()
        d = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False}
        np.lib.format.write_array_header_1_0(out, {**d, "shape": (rows, *self.tail)})
        return out.getvalue()

    def append(self, block: np.ndarray) -> None:
        """Add rows (``block`` has the file's dtype after conversion and its row shape)."""
        block = np.ascontiguousarray(block, self.dtype)
        if block.shape[1:] != self.tail:
            raise ValueError(f"rows of shape {block.shape[1:]} in a file of rows {self.tail}")
        self._file.write(block.tobytes())
        self.rows += len(block)

    def close(self) -> None:
        """Write the real length into the header and close the file."""
        header = self._header(self.rows)
        if len(header) != self._size:  # cannot happen with numpy's padding; never half-write
            raise ValueError(f"{self.path.name}: the header cannot be rewritten in place")
        self._file.seek(0)
        self._file.write(header)
        self._file.close()
