"""A question encoded once: everything retrieval, abstention and verification read of it.

The question is normalised, capped (embed.MAX_QUERY_TOKENS), run through the model once and
tokenised for the lexical side once; the result is this frozen value, and nothing downstream
encodes or tokenises the question again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .embed import SparseVector


@dataclass(frozen=True)
class Query:
    """One question as every part of the ranking sees it."""

    text: str  # what the model read: ``dense_text`` of the question, capped
    normalized: str  # the matching fold of ``text`` (normalize.py)
    lexical: tuple[str, ...]  # lexical tokens of ``text`` (lexical.tokenize)
    lexical_share: float  # share of the distinct lexical tokens the collection contains
    dense: np.ndarray | None  # (dim,) unit vector; None for a lexical-only retriever
    tokens: np.ndarray | None = None  # per-token vectors, when the model gives them
    sparse: SparseVector | None = None  # learned sparse vector, when the model gives it

    @property
    def numeric(self) -> bool:
        """A question of only numbers ("1972")."""
        return bool(self.lexical) and all(t.isdigit() for t in self.lexical)
