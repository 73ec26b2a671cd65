"""Lexical matching: Arabic-aware tokens and a small BM25 index.

Tokens are normalised (see normalize.py), split on non-word characters, stripped of common
function words, and stemmed with Snowball (Arabic for Arabic-script tokens, English for Latin).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .normalize import normalize

_TOKEN = re.compile(r"\w+")
_ARABIC = re.compile("[\u0600-\u06ff]")
_STOP_AR = frozenset(normalize(w) for w in """
في من الى إلى على عن مع هذا هذه ذلك تلك التي الذي الذين ما ماذا من متى اين أين كيف كم لماذا هل
و او أو ثم ان أن إن كان كانت يكون قد لقد لا لم لن ليس هو هي هم هن انا نحن انت بين كل بعض اي أي
عند عندما حتى اذا إذا لكن بل ايضا أيضا وهو وهي وقد وفي ومن وعلى به بها له لها فيه فيها منه منها
ايش إيش شو وين فين ليش ليه امتى إمتى كام اللي إللي مين منو شنو هاد هادا ده دي دا عشان علشان
""".split())
_STOP_EN = frozenset("""
a an the of to in on at by for from with and or but is are was were be been being do does did
what which who whom whose when where why how that this these those it its as into than then there
their they them he she his her we our you your i me my not no yes can could would should will
about after before over under between through during there here has have had
""".split())


@lru_cache(maxsize=2)
def _stemmer(lang: str):
    import Stemmer

    return Stemmer.Stemmer(lang)


def tokenize(text: str) -> list[str]:
    """Normalised, stemmed content tokens of ``text`` (numbers kept as they are)."""
    out = []
    for tok in _TOKEN.findall(normalize(text)):
        if tok in _STOP_AR or tok in _STOP_EN:
            continue
        if tok.isdigit():
            out.append(tok)
        elif _ARABIC.search(tok):
            out.append(_stemmer("arabic").stemWord(tok))
        else:
            out.append(_stemmer("english").stemWord(tok))
    return [t for t in out if t]


@dataclass
class BM25:
    """Okapi BM25 over pre-tokenised documents (k1, b as in the literature)."""

    docs: list[list[str]]
    k1: float = 1.2
    b: float = 0.75

    def __post_init__(self) -> None:
        self.tf = [Counter(d) for d in self.docs]
        self.lengths = np.array([len(d) for d in self.docs], np.float32)
        self.avgdl = float(self.lengths.mean()) if len(self.docs) else 0.0
        df: Counter[str] = Counter()
        for t in self.tf:
            df.update(t.keys())
        n = len(self.docs)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in df.items()}

    def scores(self, query: list[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens."""
        out = np.zeros(len(self.docs), np.float32)
        if not self.docs:
            return out
        norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avgdl, 1e-9))
        for w in set(query):
            idf = self.idf.get(w)
            if idf is None:
                continue
            tf = np.array([t.get(w, 0) for t in self.tf], np.float32)
            out += idf * tf * (self.k1 + 1) / (tf + norm)
        return out

    def coverage(self, query: list[str]) -> float:
        """Share of the query's distinct tokens that occur somewhere in the collection."""
        q = set(query)
        return sum(1 for w in q if w in self.idf) / len(q) if q else 0.0
