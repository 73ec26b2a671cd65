"""Deterministic stand-ins for the model, for fast unit tests. Not models."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from bot.embed import MAX_QUERY_TOKENS, DenseShortcuts, Encoding, Features, SparseVector
from bot.normalize import normalize


def cap_words(text: str, max_tokens: int = MAX_QUERY_TOKENS) -> str:
    """``text`` cut after ``max_tokens`` words."""
    words = list(re.finditer(r"\S+", text[: max_tokens * 16]))
    return text[: words[max_tokens - 1].end()] if len(words) > max_tokens else text


class HashSparse:
    """A bag-of-words sparse encoder: one feature per distinct normalised word, weight 1."""

    fingerprint = "hash-words-v1"

    def __init__(self, dim: int = 4096):
        self.dim = dim
        self.calls = 0  # texts encoded so far, so tests can see what was reused

    def encode(self, texts: list[str]) -> list[SparseVector]:
        """One sparse vector per text."""
        self.calls += len(texts)
        out = []
        for text in texts:
            ids = sorted(
                {
                    int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(), "little")
                    % self.dim
                    for w in re.findall(r"\w+", normalize(text))
                }
            )
            out.append((np.array(ids, np.int32), np.ones(len(ids), np.float32)))
        return out


class HashEmbedder(DenseShortcuts):
    """A bag-of-character-trigrams embedder; with ``tokens``, one trigram vector per word
    stands for a token vector; with ``sparse`` (a :class:`HashSparse`), sparse vectors too."""

    model_id = "test:hash-trigrams"
    fingerprint = "hash-trigrams-v1"

    def __init__(self, dim: int = 256, tokens: bool = False, sparse: HashSparse | None = None):
        self.dim = dim
        self.token_recipe = "hash-words-v1" if tokens else None
        self.sparse = sparse
        self.calls = 0  # texts encoded so far

    @property
    def features(self) -> Features:
        """What this fake produces."""
        return Features(
            self.token_recipe,
            self.sparse.fingerprint if self.sparse else None,
            self.sparse.dim if self.sparse else 0,
        )

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        t = f"  {normalize(text)}  "
        for i in range(len(t) - 2):
            digest = hashlib.blake2b(t[i : i + 3].encode(), digest_size=4).digest()
            v[int.from_bytes(digest, "little") % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def _tokens(self, text: str) -> np.ndarray:
        words = re.findall(r"\w+", normalize(text))
        if not words:
            return np.zeros((0, self.dim), np.float16)
        return np.stack([self._vec(w) for w in words]).astype(np.float16)

    def encode(self, texts: list[str], kind: str, token_from: list[int] | None = None) -> Encoding:
        """Trigram vectors, and word vectors and sparse vectors when configured (the word
        vectors of each text from ``token_from``, as the real embedders)."""
        self.calls += len(texts)
        dense = (
            np.stack([self._vec(t) for t in texts])
            if texts
            else np.zeros((0, self.dim), np.float32)
        )
        own = [t[a:] for t, a in zip(texts, token_from or [0] * len(texts), strict=True)]
        tokens = [self._tokens(t) for t in own] if self.token_recipe else None
        sparse = self.sparse.encode(list(texts)) if self.sparse else None
        return Encoding(dense, tokens, sparse)

    def cap(self, text: str, max_tokens: int = MAX_QUERY_TOKENS) -> str:
        """``text`` cut after ``max_tokens`` words."""
        return cap_words(text, max_tokens)
