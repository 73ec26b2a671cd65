"""The encoding step of an index build: the rows that need vectors -> their vectors.

``build_index`` (index.py) decides which rows need encoding (new or changed texts; the others
reuse the live build's vectors) and assembles the results; this step only encodes. It is a
plain function so that the same build runs its encoding here (:func:`encode_locally`) or on a
Ray cluster (ray_build.py) with everything else shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .embed import Embedder, SparseVector


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
    """The vectors of a list of :class:`EncodeItem`, aligned with it (None where not asked)."""

    dense: list[np.ndarray | None]
    sparse: list[SparseVector | None]
    tokens: list[np.ndarray | None]


#: The encoding step of a build: items (and a progress callback) -> their vectors. Local
#: (:func:`encode_locally`) or on a Ray cluster (ray_build.py); everything else is shared.
Encode = Callable[[list[EncodeItem], "Callable[[int], object] | None"], Encoded]

#: Texts per model call when encoding locally.
BATCH = 64


def encode_locally(embedder: Embedder) -> Encode:
    """The encoding step that runs ``embedder`` in this process, in batches of :data:`BATCH`.

    One model pass of a row's text gives its dense and sparse vectors; its token vectors come
    from the pass over ``token_text`` (the sentence alone), as late interaction stores them.
    """

    def encode(items: list[EncodeItem], progress: Callable[[int], object] | None) -> Encoded:
        out = Encoded([None] * len(items), [None] * len(items), [None] * len(items))
        todo = [j for j, it in enumerate(items) if it.dense or it.sparse]
        for s in range(0, len(todo), BATCH):
            chunk = todo[s : s + BATCH]
            enc = embedder.encode([items[j].text for j in chunk], "passage")
            for r, j in enumerate(chunk):
                if items[j].dense:
                    out.dense[j] = enc.dense[r]
                if items[j].sparse and enc.sparse is not None:
                    out.sparse[j] = enc.sparse[r]
            if progress:
                progress(len(chunk))
        todo = [j for j, it in enumerate(items) if it.tokens]
        for s in range(0, len(todo), BATCH):
            chunk = todo[s : s + BATCH]
            tokens = embedder.encode([items[j].token_text for j in chunk], "passage").tokens
            assert tokens is not None, "an item asked for token vectors the embedder lacks"
            for j, v in zip(chunk, tokens, strict=True):
                out.tokens[j] = v
        return out

    return encode
