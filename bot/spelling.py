"""Near spellings: is a question word a misspelling of some corpus word?

The rule (used by answerability.py for ``coverage``): a token of five letters or more is
close to a corpus token with the same first letter, at most one letter longer or shorter, when
``difflib.SequenceMatcher(...).ratio() >= 0.85``. Shorter words differ in meaning with one
letter.

Comparing a question word with every corpus word of its shape costs as much as the vocabulary
grows: at archive scale, a bucket holds tens of thousands of words. So each bucket also keeps a
small letter histogram per word (letters hashed into ``SLOTS`` counts). ``quick_ratio`` — the
ratio bound from the letters two words share, whatever their order — is computed at once with
numpy for every word of the token's first letter and a length one letter off at most (one slice
of its bucket, whose words are sorted by length); only the words whose bound reaches the
threshold are compared exactly. Hashing letters together can only raise the shared count, so
the bound never drops a word the exact comparison would keep: the decisions are those of
comparing every word.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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
    """The corpus words of one first letter, shortest first, with their lengths and letter
    histograms (the words of one length are a slice)."""

    __slots__ = ("words", "lengths", "sizes", "hist")

    def __init__(self, words: list[str]):
        self.words = sorted(words, key=len)
        self.lengths = [len(w) for w in self.words]
        self.sizes = np.array(self.lengths, np.int64)
        self.hist = np.stack([_histogram(w) for w in self.words])


class NearSpellings:
    """Corpus words bucketed by first letter (by length within), asked "is this a near
    spelling?"."""

    def __init__(self, vocabulary: Iterable[str]):
        letters: dict[str, list[str]] = {}
        for t in vocabulary:
            if len(t) >= MIN_LENGTH - 1:  # five-letter tokens meet four-letter words too
                letters.setdefault(t[:1], []).append(t)
        self._buckets = {k: _Bucket(v) for k, v in letters.items()}

    def close(self, token: str) -> bool:
        """True when ``token`` (five letters or more, not a number) is a near spelling of a
        corpus word of its shape."""
        if len(token) < MIN_LENGTH or token.isdigit():
            return False
        bucket = self._buckets.get(token[:1])
        if bucket is None:
            return False
        # The words one letter shorter, as long, or one letter longer: one slice.
        lo = bisect_left(bucket.lengths, len(token) - 1)
        hi = bisect_right(bucket.lengths, len(token) + 1)
        if lo == hi:
            return False
        shared = np.minimum(bucket.hist[lo:hi], _histogram(token)).sum(axis=1, dtype=np.int32)
        # quick_ratio's bound: 2 * shared / (len(a) + len(b)).
        bound = THRESHOLD * (bucket.sizes[lo:hi] + len(token)) - 1e-9
        matcher = SequenceMatcher(None, token, "")  # the order of the exact rule: (token, word)
        for i in np.flatnonzero(2 * shared >= bound):
            matcher.set_seq2(bucket.words[lo + i])
            if matcher.ratio() >= THRESHOLD:
                return True
        return False
