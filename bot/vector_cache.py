"""A file cache of encoded vectors for the in-memory benchmark indexes of ``bot eval --squad``.

A pool of 13,000 sentences takes many minutes to encode on two cores; the benchmark rebuilds
its index on every run, so the vectors of each data file are kept in one ``.npz`` named by the
encoder's identity (model fingerprint and dimension, sparse head and token recipe) and the
file's sha256.
They are handed back to the product's own build (``index.encode_rows``) as :class:`Previous`
vectors by row key, exactly as an incremental ``bot index`` build reuses its live build, so a
cached run ranks from the same vectors a fresh one would compute. A changed file, model or
recipe has another name, so a stale cache is never read. Vectors are found by row key (the
text), so a slice of a file reuses the whole file's and the reverse.

:func:`prefill` encodes what is missing file by file (each file stored when done) through
:func:`counting_encoder`, the local encoding step run batch by batch so that a progress bar
sees all the work.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .corpus import Passage
from .embed import Embedder, token_fingerprint
from .encoding import BATCH, Encoded, EncodeItem, encode_locally
from .index import Built, Previous, _key, encode_rows
from .late import Packed

Progress = Callable[[int, int], object]
#: The index format whose vectors the cache holds: 5, when token vectors came to be taken
#: from the pass that encodes the view. Later formats changed only how an index stores
#: them (6: a row-major copy of the sparse vectors), so their caches stay valid.
VECTORS_FORMAT = 5


def cache_file(folder: Path, embedder: Embedder, source: str) -> Path:
    """Where the vectors of the data with sha256 ``source`` are kept for ``embedder``."""
    return Path(folder) / f"squad-vectors-{_ident(embedder)}-{source[:24]}.npz"


def cache_files(folder: Path, embedder: Embedder) -> list[Path]:
    """Every cache file of ``embedder`` in ``folder`` (vectors are found by row key, so a
    slice of a file reuses the vectors of the whole file and the reverse)."""
    return sorted(Path(folder).glob(f"squad-vectors-{_ident(embedder)}-*.npz"))


def _ident(embedder: Embedder) -> str:
    ident = "\x00".join(
        [
            embedder.fingerprint,
            str(embedder.dim),
            str(embedder.features.sparse),
            str(token_fingerprint(embedder)),
            f"format{VECTORS_FORMAT}",  # how token vectors are taken and stored
        ]
    )
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def read(path: Path, into: Previous) -> set[str]:
    """Add the vectors stored in ``path`` to ``into``; return their row keys (none when the
    file is missing or unreadable: the vectors are then simply encoded again)."""
    try:
        with np.load(path) as z:
            keys = [str(k) for k in z["keys"]]
            dense = z["dense"]
            for j, k in enumerate(keys):
                into.dense[k] = dense[j]
            if "sparse_indptr" in z:
                ptr, ix, val = z["sparse_indptr"], z["sparse_indices"], z["sparse_values"]
                for j, k in enumerate(keys):
                    into.sparse[k] = (ix[ptr[j] : ptr[j + 1]], val[ptr[j] : ptr[j + 1]])
            if "late_offsets" in z:
                off, codes, scales = z["late_offsets"], z["late_codes"], z["late_scales"]
                for j, k in enumerate(keys):
                    into.late[k] = Packed(codes[off[j] : off[j + 1]], scales[off[j] : off[j + 1]])
    except (OSError, ValueError, KeyError):
        return set()
    return set(keys)


def write(path: Path, built: Built, rows: range) -> None:
    """Store the vectors of ``built``'s rows whose passage is in ``rows`` (one data file's
    passages) in ``path``, atomically (a killed run leaves no half-written cache)."""
    sel = [j for j, r in enumerate(built.rows) if r.passage in rows]
    arrays: dict[str, np.ndarray] = {
        "keys": np.array([built.rows[j].key for j in sel]),
        "dense": built.vectors[sel],
    }
    if built.sparse is not None:
        parts = [built.sparse.row(j) for j in sel]
        arrays["sparse_indptr"] = np.concatenate([[0], np.cumsum([len(ix) for ix, _ in parts])])
        arrays["sparse_indices"] = np.concatenate([ix for ix, _ in parts] or [np.zeros(0)])
        arrays["sparse_values"] = np.concatenate([v for _, v in parts] or [np.zeros(0)])
    if built.late is not None:
        rows = [built.late.row(j) for j in sel]
        arrays["late_offsets"] = np.concatenate([[0], np.cumsum([len(t.scales) for t in rows])])
        dim = built.vectors.shape[1]
        arrays["late_codes"] = np.concatenate(
            [t.codes for t in rows] or [np.zeros((0, dim), np.int8)]
        )
        arrays["late_scales"] = np.concatenate(
            [t.scales for t in rows] or [np.zeros(0, np.float16)]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def prefill(
    folder: Path,
    embedder: Embedder,
    parts: Sequence[tuple[str, int]],
    passages: list[Passage],
    views: list[list[tuple[str, str]]],
    progress: Progress | None = None,
) -> Previous:
    """Every cached vector of ``embedder`` in ``folder``, after encoding (and storing) the
    data files of ``parts`` (``(sha256, passages)`` in order) that are not all there yet."""
    prev = Previous()
    known: set[str] = set()
    for path in cache_files(folder, embedder):
        known |= read(path, prev)
    # File by file: each file's vectors are stored as soon as they are encoded, so a killed
    # run keeps what it finished and a run over other files reuses them.
    start = 0
    for source, n in parts:
        if any(_key(embedder, views[i][0][1]) not in known for i in range(start, start + n)):
            part, _ = encode_rows(
                embedder,
                passages[start : start + n],
                views[start : start + n],
                prev,
                encode=counting_encoder(embedder, progress),
            )
            path = cache_file(folder, embedder, source)
            write(path, part, range(n))
            known |= read(path, prev)
        start += n
    return prev


def counting_encoder(embedder: Embedder, progress: Progress | None):
    """The local encoding step (one pass a text: dense, sparse and the sentence's token
    vectors), run batch by batch so that ``progress`` sees the work."""
    local = encode_locally(embedder)

    def encode(items: list[EncodeItem], _progress) -> Encoded:
        out = Encoded([None] * len(items), [None] * len(items), [None] * len(items))
        todo = [j for j, it in enumerate(items) if it.dense or it.sparse or it.tokens]
        for s in range(0, len(todo), BATCH):
            chunk = todo[s : s + BATCH]
            got = local([items[j] for j in chunk], None)
            for r, j in enumerate(chunk):
                out.dense[j], out.sparse[j] = got.dense[r], got.sparse[r]
                out.tokens[j] = got.tokens[r]
            if progress:
                progress(min(s + BATCH, len(todo)), len(todo))
        return out

    return encode
