"""The encoding step of an index build: the rows that need vectors -> their vectors.

``build_index`` (index.py) decides which rows need encoding (new or changed texts; the others
reuse the live build's vectors) and assembles the results; this step only encodes. It is a
plain function so that the same build runs its encoding here (:func:`encode_locally`) or on a
Ray cluster (ray_build.py) with everything else shared.

:func:`encode_resumable` runs it chunk by chunk and keeps each finished chunk's vectors in a
work folder, so a build that is killed resumes from the chunks it finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embed import Embedder, SparseVector
from .late import LateIndex, Packed, pack


@dataclass(frozen=True)
class EncodeItem:
    """One row a build must encode, and which of its vectors are not reused."""

    text: str  # the dense (and sparse) text of the row: ``passage_views``
    token_text: str  # the text whose token vectors are stored: ``token_text``
    dense: bool
    sparse: bool
    tokens: bool


@dataclass
class Encoded:
    """The vectors of a list of :class:`EncodeItem`, aligned with it (None where not asked).

    Token vectors are float16 matrices as the model gives them, or :class:`~bot.late.Packed`
    once :func:`encode_resumable` has packed them for storage."""

    dense: list[np.ndarray | None]
    sparse: list[SparseVector | None]
    tokens: list[np.ndarray | Packed | None]


#: The encoding step of a build: items (and a progress callback) -> their vectors. Local
#: (:func:`encode_locally`) or on a Ray cluster (ray_build.py); everything else is shared.
Encode = Callable[[list[EncodeItem], "Callable[[int], object] | None"], Encoded]

#: Texts per model call when encoding locally.
BATCH = 64
#: Texts per checkpointed chunk of a build (:func:`encode_resumable`): a kill loses at most
#: this much work, and each chunk costs one small file write.
CHUNK = 2048


def token_start(item: EncodeItem) -> int | None:
    """Where ``item.token_text`` starts in ``item.text`` when it ends it (the sentence after
    its title and section), so one pass gives both; None when it needs a pass of its own."""
    if item.text.endswith(item.token_text):
        return len(item.text) - len(item.token_text)
    return None


def encode_locally(embedder: Embedder) -> Encode:
    """The encoding step that runs ``embedder`` in this process, in batches of :data:`BATCH`.

    One model pass of a row's text gives its dense and sparse vectors and, sliced from the
    same pass, the token vectors of its sentence (``token_text``, which ends the text). A
    token text that does not end its text gets a pass of its own.
    """

    def encode(items: list[EncodeItem], progress: Callable[[int], object] | None) -> Encoded:
        out = Encoded([None] * len(items), [None] * len(items), [None] * len(items))
        starts = [token_start(it) for it in items]
        for s in range(0, len(items), BATCH):
            batch = range(s, min(s + BATCH, len(items)))
            chunk = [j for j in batch if _one_pass(items[j], starts[j])]
            if chunk:
                enc = embedder.encode(
                    [items[j].text for j in chunk],
                    "passage",
                    token_from=[starts[j] or 0 for j in chunk],
                )
                for r, j in enumerate(chunk):
                    if items[j].dense:
                        out.dense[j] = enc.dense[r]
                    if items[j].sparse and enc.sparse is not None:
                        out.sparse[j] = enc.sparse[r]
                    if items[j].tokens and starts[j] is not None:
                        assert enc.tokens is not None, "asked for token vectors the embedder lacks"
                        out.tokens[j] = enc.tokens[r]
            # A token text that does not end its text: a pass of its own.
            alone = [j for j in batch if items[j].tokens and starts[j] is None]
            if alone:
                tokens = embedder.encode([items[j].token_text for j in alone], "passage").tokens
                assert tokens is not None, "asked for token vectors the embedder lacks"
                for j, v in zip(alone, tokens, strict=True):
                    out.tokens[j] = v
            if progress:
                progress(len(batch))
        return out

    return encode


def _one_pass(item: EncodeItem, start: int | None) -> bool:
    """Whether one pass over ``item.text`` gives everything ``item`` asks for."""
    return item.dense or item.sparse or (item.tokens and start is not None)


def encode_resumable(
    items: list[EncodeItem],
    encode: Encode,
    dim: int,
    progress: Callable[[int], object] | None = None,
    folder: Path | None = None,
    chunk: int | None = None,
) -> Encoded:
    """``encode`` over ``items`` chunk by chunk, token vectors packed for storage.

    With a ``folder``, each finished chunk's vectors are written there, named by a hash of
    the chunk's items, and a chunk found there is read back instead of encoded: a build
    killed midway resumes from its finished chunks (the caller removes the folder once the
    build is in place). ``progress`` is told the texts of each chunk, read back or encoded.
    """
    out = Encoded([None] * len(items), [None] * len(items), [None] * len(items))
    chunk = chunk or CHUNK
    for s in range(0, len(items), chunk):
        part = items[s : s + chunk]
        got = encode_chunk(part, encode, dim, progress, folder)
        out.dense[s : s + len(part)] = got.dense
        out.sparse[s : s + len(part)] = got.sparse
        out.tokens[s : s + len(part)] = got.tokens
    return out


def encode_chunk(
    part: list[EncodeItem],
    encode: Encode,
    dim: int,
    progress: Callable[[int], object] | None = None,
    folder: Path | None = None,
) -> Encoded:
    """One chunk of :func:`encode_resumable`: read back from ``folder`` when a finished copy
    is there, else encoded (token vectors packed) and, with a ``folder``, kept there."""
    path = folder / f"chunk-{_chunk_key(part)}.npz" if folder is not None else None
    got = _read_chunk(path, part) if path is not None else None
    if got is not None:
        if progress:
            progress(len(part))
        return got
    got = encode(part, progress)
    got.tokens = [pack(t) if isinstance(t, np.ndarray) else t for t in got.tokens]
    if path is not None:
        _write_chunk(path, part, got, dim)
    return got


def _chunk_key(items: list[EncodeItem]) -> str:
    body = json.dumps([[i.text, i.token_text, i.dense, i.sparse, i.tokens] for i in items])
    return hashlib.sha256(body.encode()).hexdigest()[:20]


def _write_chunk(path: Path, items: list[EncodeItem], enc: Encoded, dim: int) -> None:
    empty = (np.zeros(0, np.int32), np.zeros(0, np.float32))
    sparse = [v if v is not None else empty for v in enc.sparse]
    late = LateIndex.build(
        [t if t is not None else np.zeros((0, dim), np.float16) for t in enc.tokens], dim
    )
    dense = np.stack([v if v is not None else np.zeros(dim, np.float32) for v in enc.dense]).astype(
        np.float32
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:  # written whole, then renamed: a kill leaves no half chunk
        np.savez(
            f,
            dense=dense,
            sparse_indptr=np.cumsum([0] + [len(ix) for ix, _ in sparse]),
            sparse_ix=np.concatenate([np.asarray(ix, np.int32) for ix, _ in sparse]),
            sparse_w=np.concatenate([np.asarray(w, np.float32) for _, w in sparse]),
            codes=late.codes,
            scales=late.scales,
            offsets=late.offsets,
        )
    os.replace(tmp, path)


def _read_chunk(path: Path, items: list[EncodeItem]) -> Encoded | None:
    """A chunk written by :func:`_write_chunk`, or None when it is missing or damaged."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as z:
            dense, indptr = z["dense"], z["sparse_indptr"]
            ix, w = z["sparse_ix"], z["sparse_w"]
            late = LateIndex(z["codes"], z["scales"], z["offsets"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if len(dense) != len(items) or late.count != len(items) or len(indptr) != len(items) + 1:
        return None
    return Encoded(
        [dense[j] if it.dense else None for j, it in enumerate(items)],
        [
            (ix[indptr[j] : indptr[j + 1]], w[indptr[j] : indptr[j + 1]]) if it.sparse else None
            for j, it in enumerate(items)
        ],
        [late.row(j) if it.tokens else None for j, it in enumerate(items)],
    )
