"""Token alignment across languages from the model's own token vectors.

An English claim against an Arabic sentence with no aligned translation (or an Arabic claim
against an English one) shares no words with it, so the claim's facts cannot be placed in the
sentence by spelling. The model can place them: the contextual token vectors the index
already stores for every sentence (late.py) and those of the claim (the same forward pass
that encodes it) put a word and its translation close together. Each claim token is linked
to its most similar passage token (max-similarity); a link is *mutual* when that passage
token's most similar claim token is the same one (the usual filter of similarity-based word
aligners). Token spans are mapped back to code-point offsets of the verbatim texts, so an
aligned span is cited like any other.

Pure functions over arrays; the verifier (verify.py) gathers the vectors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .normalize import _DIACRITICS, dense_text

Span = tuple[int, int]
_WORD = re.compile(r"\w+")


def model_offsets(text: str) -> list[int] | None:
    """For each character of ``dense_text(text)`` (what the model reads) the index of the
    character of ``text`` it came from, plus a final ``len(text)``; None when the text does
    not fold character by character (then no alignment is attempted)."""
    out: list[int] = []
    for i, ch in enumerate(text):
        out.extend([i] * len(_DIACRITICS.sub("", unicodedata.normalize("NFKC", ch))))
    if len(out) != len(dense_text(text)):
        return None
    out.append(len(text))
    return out


def to_original(spans: Sequence[Span], offsets: list[int]) -> list[Span]:
    """Token spans over the model's text as code-point spans of the original text."""
    last = len(offsets) - 1
    out = []
    for a, b in spans:
        a, b = min(a, last), min(b, last)
        start = offsets[a]
        end = offsets[b - 1] + 1 if b > a else start
        out.append((start, end))
    return out


@dataclass(frozen=True)
class Link:
    """Where a claim span lands in the passage."""

    start: int  # code-point span of the passage word(s)
    end: int
    score: float  # cosine of the best linked token pair
    mutual: bool  # the passage token's best claim token is inside the claim span


@dataclass(frozen=True)
class Alignment:
    """Claim tokens against passage tokens: spans in each verbatim text and their cosines."""

    claim_text: str
    passage_text: str
    claim_spans: tuple[Span, ...]
    passage_spans: tuple[Span, ...]
    sims: np.ndarray  # (claim tokens, passage tokens)

    def _claim_tokens(self, a: int, b: int) -> list[int]:
        return [i for i, (s, e) in enumerate(self.claim_spans) if s < b and a < e and e > s]

    def _passage_tokens(self, a: int, b: int) -> list[int]:
        return [j for j, (s, e) in enumerate(self.passage_spans) if s < b and a < e and e > s]

    def link(self, a: int, b: int, within: Span | None = None) -> Link | None:
        """The passage word the claim span ``[a, b)`` aligns to best (inside ``within`` when
        given), or None when the span has no token or the passage none there."""
        rows = self._claim_tokens(a, b)
        cols = self._passage_tokens(*within) if within else list(range(len(self.passage_spans)))
        cols = [j for j in cols if self.passage_spans[j][1] > self.passage_spans[j][0]]
        if not rows or not cols:
            return None
        block = self.sims[np.ix_(rows, cols)]
        r, c = np.unravel_index(int(np.argmax(block)), block.shape)
        j = cols[int(c)]
        mutual = int(np.argmax(self.sims[:, j])) in rows
        s, e = _word(self.passage_text, *self.passage_spans[j])
        return Link(s, e, float(block[r, c]), mutual)

    def back(self, a: int, b: int) -> Link | None:
        """The claim word the passage span ``[a, b)`` aligns to best (the reverse of
        :meth:`link`; ``mutual``: that claim token's best passage token is in the span)."""
        cols = self._passage_tokens(a, b)
        if not cols or not len(self.claim_spans):
            return None
        block = self.sims[:, cols]
        i, c = np.unravel_index(int(np.argmax(block)), block.shape)
        mutual = int(np.argmax(self.sims[i])) in cols
        s, e = _word(self.claim_text, *self.claim_spans[int(i)])
        return Link(s, e, float(block[i, c]), mutual)

    def clause_score(self, claim: Span, passage: Span) -> float:
        """How well the claim's ``claim`` span finds itself in the passage's ``passage`` span:
        the mean over its tokens of their best cosine there (MaxSim restricted to a clause)."""
        rows = self._claim_tokens(*claim)
        cols = self._passage_tokens(*passage)
        if not rows or not cols:
            return 0.0
        return float(self.sims[np.ix_(rows, cols)].max(axis=1).mean())


def _word(text: str, a: int, b: int) -> Span:
    """``[a, b)`` widened to the whole word(s) of ``text`` it touches."""
    for m in _WORD.finditer(text):
        if m.start() <= a < m.end():
            a = m.start()
        if m.start() < b <= m.end():
            b = m.end()
    return a, b


def align(
    claim_text: str,
    claim_vectors: np.ndarray,
    claim_spans: Sequence[Span],
    passage_text: str,
    passage_vectors: np.ndarray,
    passage_spans: Sequence[Span],
) -> Alignment | None:
    """The alignment of a claim with a passage, from unit token vectors and their spans over
    the *model's* texts (``dense_text``) of each; None when the spans and vectors disagree
    (another tokenizer, a truncated row) or a text does not map back."""
    if len(claim_vectors) != len(claim_spans) or len(passage_vectors) != len(passage_spans):
        return None
    c_off, p_off = model_offsets(claim_text), model_offsets(passage_text)
    if c_off is None or p_off is None or not len(claim_spans) or not len(passage_spans):
        return None
    # einsum, not ``@``: see late.py (BLAS threads fight the model's threads for the cores).
    sims = np.einsum(
        "qd,td->qt", np.asarray(claim_vectors, np.float32), np.asarray(passage_vectors, np.float32)
    )
    return Alignment(
        claim_text,
        passage_text,
        tuple(to_original(claim_spans, c_off)),
        tuple(to_original(passage_spans, p_off)),
        sims,
    )


# -- Is an aligned name the same name? ----------------------------------------------------
# The model links a claim's name to the passage word in the same slot whether or not it is the
# same name ("وستنغهاوس" and "Edison" as well as "إديسون" and "Edison"), so sameness is decided
# by spelling: both names reduced to a consonant skeleton in one alphabet (vowels, long-vowel
# letters, h and w dropped; letters Arabic writes alike merged: c/k/q, s/sh/ch/z, p/b, v/f, g/j).
_AR_SKELETON = str.maketrans(
    {
        "ب": "b", "ت": "t", "ط": "t", "ث": "t", "د": "d", "ض": "d", "ذ": "d", "ج": "j",
        "غ": "j", "ك": "k", "ق": "k", "خ": "k", "س": "s", "ص": "s", "ش": "s", "ز": "s",
        "ظ": "s", "ف": "f", "ڤ": "f", "ل": "l", "م": "m", "ن": "n", "ر": "r",
    }
)  # fmt: skip
_EN_DIGRAPHS = (("ch", "s"), ("sh", "s"), ("th", "t"), ("ph", "f"), ("ck", "k"), ("x", "ks"))
_EN_SKELETON = str.maketrans({"c": "k", "q": "k", "g": "j", "z": "s", "p": "b", "v": "f", "j": "j"})
_ARABIC = re.compile("[\u0600-\u06ff]")
_ARTICLE = re.compile(r"^[وفبلك]?ال(?=\w{3})")


@lru_cache(maxsize=1 << 14)
def skeleton(name: str) -> str:
    """The consonant skeleton of a name in either script ("Edison", "إديسون" -> "dsn")."""
    name = re.sub(r"['’]s\b", "", name)
    if _ARABIC.search(name):
        words = [_ARTICLE.sub("", w) for w in dense_text(name).split()]
        out = "".join(w.translate(_AR_SKELETON) for w in words)
        return "".join(c for c in out if c in "btdjksflmnr")
    out = name.casefold()
    for a, b in _EN_DIGRAPHS:
        out = out.replace(a, b)
    return "".join(c for c in out.translate(_EN_SKELETON) if c in "btdjksflmnr")


@lru_cache(maxsize=1 << 14)
def same_name(a: str, b: str) -> bool | None:
    """Whether two spellings (possibly in different scripts) are one name: True, False, or
    None when a skeleton is too short to tell. Whole names are compared ("New York" and
    "نيويورك"), then word by word ("Guglielmo Marconi" and "ماركوني")."""
    x, y = skeleton(a), skeleton(b)
    if len(x) < 2 or len(y) < 2:
        return None
    if _alike(x, y):
        return True
    xs = [w for w in map(skeleton, a.split()) if len(w) >= 3]
    ys = [w for w in map(skeleton, b.split()) if len(w) >= 3]
    return any(_alike(u, v) for u in xs for v in ys)


def _alike(x: str, y: str) -> bool:
    """Equal skeletons, or of four consonants or more one letter apart (a transliteration's
    variant letter)."""
    return x == y or (min(len(x), len(y)) >= 4 and _edits(x, y) <= 1)


def _edits(x: str, y: str) -> int:
    prev = list(range(len(y) + 1))
    for i, a in enumerate(x, 1):
        cur = [i]
        for j, b in enumerate(y, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b)))
        prev = cur
    return prev[-1]
