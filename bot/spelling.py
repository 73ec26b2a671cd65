"""Near spellings: is a question word a misspelling of some corpus word?

The rule (used by answerability.py for ``coverage``): a token of five letters or more is
close to a corpus token with the same first letter, at most one letter longer or shorter, when
``difflib.SequenceMatcher(...).ratio() >= 0.85``. Shorter words differ in meaning with one
letter.

Comparing a question word with every corpus word of its shape costs as much as the vocabulary
grows: at archive scale, a bucket holds tens of thousands of words. So each bucket also keeps a
small letter histogram per word (letters hashed into ``SLOTS`` counts). ``quick_ratio`` — the
ratio bound from the letters two words share, whatever their order — is computed for the whole
bucket at once with numpy; only the words whose bound reaches the threshold are compared
exactly. Hashing letters together can only raise the shared count, so the bound never drops a
word the exact comparison would keep: the decisions are those of comparing every word.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher

import numpy as np

#: Shortest word checked for near spellings.
MIN_LENGTH = 5
#: SequenceMatcher ratio a near spelling reaches.
THRESHOLD = 0.85
#: Letter-histogram slots per word (letters are hashed into them).
SLOTS = 32


def _histogram(word: str) -> np.ndarray:
    h = np.zeros(SLOTS, dtype=np.uint8)
    for ch in word:
        h[ord(ch) % SLOTS] += 1
    return h


class _Bucket:
    """The corpus words of one shape (first letter, length) and their letter histograms."""

    __slots__ = ("words", "hist")

    def __init__(self, words: list[str]):
        self.words = words
        self.hist = np.stack([_histogram(w) for w in words]) if words else None


class NearSpellings:
    """Corpus words bucketed by first letter and length, asked "is this a near spelling?"."""

    def __init__(self, vocabulary: Iterable[str]):
        shapes: dict[tuple[str, int], list[str]] = {}
        for t in vocabulary:
            if len(t) >= MIN_LENGTH - 1:  # five-letter tokens meet four-letter words too
                shapes.setdefault((t[:1], len(t)), []).append(t)
        self._buckets = {k: _Bucket(v) for k, v in shapes.items()}

    def close(self, token: str) -> bool:
        """True when ``token`` (five letters or more, not a number) is a near spelling of a
        corpus word of its shape."""
        if len(token) < MIN_LENGTH or token.isdigit():
            return False
        mine = _histogram(token)
        matcher = SequenceMatcher(None, token, "")  # the order of the exact rule: (token, word)
        for n in (len(token) - 1, len(token), len(token) + 1):
            bucket = self._buckets.get((token[:1], n))
            if bucket is None:
                continue
            shared = np.minimum(bucket.hist, mine).sum(axis=1, dtype=np.int32)
            # quick_ratio's bound: 2 * shared / (len(a) + len(b)).
            reachable = np.flatnonzero(2 * shared >= THRESHOLD * (n + len(token)) - 1e-9)
            for i in reachable:
                matcher.set_seq2(bucket.words[i])
                if matcher.ratio() >= THRESHOLD:
                    return True
        return False
