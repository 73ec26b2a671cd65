"""Reading the index's numpy files: memory-mapped when large, in memory when small.

A memory-mapped array costs RSS only for the pages a question touches, which is what lets an
archive's postings and token vectors stay on disk. But every slice of a ``np.memmap`` is a
Python-level object with its own bookkeeping; on a small index (the seed article: kilobytes)
that bookkeeping was most of the time a question spent in sparse scoring. Files under
:data:`MMAP_MIN_BYTES` are therefore read into memory, where their pages would be anyway.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Files at least this large are memory-mapped; smaller ones are read whole.
MMAP_MIN_BYTES = 32 << 20


def load_array(path: Path, mmap: bool = True) -> np.ndarray:
    """The array in the ``.npy`` file ``path``: memory-mapped (read-only) when ``mmap`` and
    the file holds at least :data:`MMAP_MIN_BYTES`, else read into memory."""
    large = mmap and path.stat().st_size >= MMAP_MIN_BYTES
    return np.load(path, mmap_mode="r" if large else None, allow_pickle=False)
