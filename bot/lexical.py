"""Lexical matching: Arabic-aware tokens and BM25 over inverted postings (postings.py).

Tokens are normalised (see normalize.py), split on non-word characters and stripped of common
function words. An Arabic word yields two stems: a light one (one clitic prefix such as و/ب/ال
and one common suffix removed) and the Snowball Arabic stem. Snowball alone over-stems some
words and under-stems others; indexing both lets either agree with the question (measured in
docs/retrieval.md). A four-letter word starting with و, ف or ب that the light stem left whole
also yields its last three letters (وهوك → هوك): "and/so/with" + a three-letter name or root
is common, and the light stem never cuts a word to three letters after a one-letter prefix.
Latin words get the Snowball English stem; numbers are kept as they are.

Chinese writes no spaces between words: a run of Han characters yields its character bigrams
(the usual unit for Chinese retrieval). Hindi vowel signs are combining marks, which a regex
word does not match: they are kept inside the word. Thai (no spaces between words either) is
still cut at its vowel signs into letter runs: character trigrams of whole Thai runs scored
better alone but lowered the hybrid R@1 on XQuAD-R (docs/ingestion.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache

import numpy as np

from .normalize import normalize
from .postings import TERM_MEMO, Postings

#: Bumped whenever :func:`tokenize` changes, so persisted tokens are rebuilt (see index.py).
TOKENIZER_VERSION = 4

# Words, with the Devanagari block whole (its vowel signs are marks) except the danda and
# double danda, which end sentences.
_TOKEN = re.compile(r"[\w\u0900-\u0963\u0966-\u097f]+")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ARABIC = re.compile("[\u0600-\u06ff]")
_STOP_AR = frozenset(
    normalize(w)
    for w in """
في من الى إلى على عن مع هذا هذه ذلك تلك التي الذي الذين ما ماذا من متى اين أين كيف كم لماذا هل
و او أو ثم ان أن إن كان كانت يكون قد لقد لا لم لن ليس هو هي هم هن انا نحن انت بين كل بعض اي أي
عند عندما حتى اذا إذا لكن بل ايضا أيضا وهو وهي وقد وفي ومن وعلى به بها له لها فيه فيها منه منها
ايش إيش شو وين فين ليش ليه امتى إمتى كام اللي إللي مين منو شنو هاد هادا ده دي دا عشان علشان
""".split()
)
_STOP_EN = frozenset(
    """
a an the of to in on at by for from with and or but is are was were be been being do does did
what which who whom whose when where why how that this these those it its as into than then there
their they them he she his her we our you your i me my not no yes can could would should will
about after before over under between through during there here has have had
""".split()
)
# Normalised spellings (ة is already ه, أ/إ already ا). Longest first, so وال wins over و.
_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ب", "ف", "ل", "ك")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "هم", "هن", "نا", "كم", "ه", "ي")
_MIN_STEM = 3
#: One-letter clitics (and, so, with) whose three-letter rest is also indexed; ل and ك
#: made more false matches than they found on XQuAD-R (docs/retrieval.md).
_CONJUNCTIONS = "وفب"


@lru_cache(maxsize=2)
def _stemmer(lang: str):
    import Stemmer

    return Stemmer.Stemmer(lang)


def light_stem(word: str) -> str:
    """``word`` (normalised Arabic) without one clitic prefix and one common suffix.

    A stem shorter than three letters is not made: Arabic roots have three.
    """
    for p in _PREFIXES:
        # A one-letter prefix needs a longer rest: كتاب is a word, not ك + تاب.
        if word.startswith(p) and len(word) - len(p) >= _MIN_STEM + (len(p) == 1):
            word = word[len(p) :]
            break
    for s in _SUFFIXES:
        if word.endswith(s) and len(word) - len(s) >= _MIN_STEM:
            return word[: -len(s)]
    return word


#: :func:`tokenize` remembers the tokens of the last ``_WORDS_KEPT`` words (texts of up to
#: ``_WORD`` characters) and of the last ``_TEXTS_KEPT`` texts of up to ``_TEXT`` characters:
#: on the question path a question's words and its passages are tokenised again and again
#: (focus check, answerability).
_WORD, _WORDS_KEPT = 64, 16384
_TEXT, _TEXTS_KEPT = 4096, 512


def tokenize(text: str) -> list[str]:
    """Normalised, stemmed content tokens of ``text`` (numbers kept as they are)."""
    if len(text) <= _WORD:
        return list(_word_tokens(text))  # a new list each time, as uncached
    if len(text) <= _TEXT:
        return list(_text_tokens(text))
    return _tokenize(text)


def _tokenize(text: str) -> list[str]:
    return tokenize_normalized(normalize(text))


@lru_cache(maxsize=_WORDS_KEPT)
def _word_tokens(text: str) -> tuple[str, ...]:
    return tuple(_tokenize(text))


@lru_cache(maxsize=_TEXTS_KEPT)
def _text_tokens(text: str) -> tuple[str, ...]:
    return tuple(_tokenize(text))


def tokenize_normalized(text: str) -> list[str]:
    """:func:`tokenize` of a text already through :func:`normalize`."""
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        if tok in _STOP_AR or tok in _STOP_EN:
            continue
        if tok.isdigit():
            out.append(tok)
        elif _HAN.search(tok):
            out.extend(_han_tokens(tok))
        elif _ARABIC.search(tok):
            snow = _stemmer("arabic").stemWord(tok)
            light = light_stem(tok)
            out.extend(t for t in (snow, light) if t)
            if light == tok and len(tok) == _MIN_STEM + 1 and tok[0] in _CONJUNCTIONS:
                # وقطر, وهوك: the light stem keeps a one-letter prefix on a three-letter rest
                # (وزير is a word, not و + زير), so the rest is offered as a further token.
                out.append(tok[1:])
        else:
            out.append(_stemmer("english").stemWord(tok))
    return [t for t in out if t]


def _ngrams(run: str, n: int) -> list[str]:
    """The character n-grams of ``run`` (the run itself when shorter)."""
    return [run[i : i + n] for i in range(len(run) - n + 1)] or [run]


def _han_tokens(tok: str) -> list[str]:
    """Bigrams of each Han run of ``tok``; its other parts (Latin, digits) as words."""
    out: list[str] = []
    last = 0
    for m in _HAN.finditer(tok):
        if m.start() > last:
            out.append(tok[last : m.start()])
        out.extend(_ngrams(m.group(), 2))
        last = m.end()
    if last < len(tok):
        out.append(tok[last:])
    return out


class Idf(Mapping[str, float]):
    """The collection's inverse document frequencies as a read-only mapping term -> IDF,
    computed from the postings when asked (no dict of the vocabulary is kept in memory: only
    the terms asked for recently, as questions repeat words)."""

    def __init__(self, postings: Postings):
        self._postings = postings
        self._n = postings.count
        self._peak: float | None = None
        self._asked: dict[str, float | None] = {}  # term -> IDF (None: not in the collection)
        #: What other modules work out from this table and keep as long as it lives
        #: (answerability.py: which question words the collection knows).
        self.kept: dict[str, object] = {}

    def of_df(self, df: int) -> float:
        """The IDF of a term held by ``df`` documents."""
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def _of(self, term: str) -> float | None:
        """The IDF of ``term``, None when the collection does not hold it."""
        try:
            return self._asked[term]
        except KeyError:
            pass
        t = self._postings.term_id(term)
        value = self.of_df(int(self._postings.df(t))) if t >= 0 else None
        if len(self._asked) >= TERM_MEMO:
            self._asked.clear()
        self._asked[term] = value
        return value

    def __getitem__(self, term: str) -> float:
        value = self._of(term) if isinstance(term, str) else None
        if value is None:
            raise KeyError(term)
        return value

    def get(self, term: str, default: float | None = None) -> float | None:  # type: ignore[override]
        """The IDF of ``term``, ``default`` when the collection does not hold it (as
        ``Mapping.get``, without raising and catching a KeyError for every unseen term)."""
        value = self._of(term) if isinstance(term, str) else None
        return default if value is None else value

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._of(term) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._postings)

    def __len__(self) -> int:
        return self._postings.size

    def values(self) -> list[float]:  # type: ignore[override]
        """Every term's IDF, in term-id order (one logarithm per distinct frequency)."""
        df = self._postings.df(np.arange(self._postings.size))
        uniq, inverse = np.unique(df, return_inverse=True)
        return np.array([self.of_df(int(d)) for d in uniq])[inverse].tolist()

    @property
    def peak(self) -> float:
        """The highest IDF (the rarest term's), 1.0 for an empty vocabulary: what
        ``max(idf.values(), default=1.0)`` gives, without listing the vocabulary."""
        if self._peak is None:  # the postings never change: one pass over the vocabulary
            if not self._postings.size:
                self._peak = 1.0
            else:
                df = self._postings.df(np.arange(self._postings.size))
                self._peak = self.of_df(int(df.min()))
        return self._peak


def peak_idf(idf: Mapping[str, float]) -> float:
    """The highest IDF of ``idf`` (1.0 when empty), in constant time for an :class:`Idf`."""
    return idf.peak if isinstance(idf, Idf) else max(idf.values(), default=1.0)


#: Postings whose BM25 terms a :class:`BM25` keeps (about 12 bytes each).
_POSTINGS_KEPT = 1 << 20


class BM25:
    """Okapi BM25 over inverted postings (postings.py); a question costs in proportion to the
    postings of its terms.

    ``k1`` and ``b`` are tuned for one-sentence documents on XQuAD-R (docs/retrieval.md):
    less length normalisation than the textbook 0.75, since sentence length says little.
    """

    def __init__(self, postings: Postings, k1: float = 1.5, b: float = 0.5):
        self.k1, self.b = k1, b
        self.postings = postings
        self.n = postings.count
        lengths = np.asarray(postings.lengths, np.float32)
        avgdl = float(lengths.mean()) if self.n else 0.0
        self._norm = k1 * (1 - b + b * lengths / max(avgdl, 1e-9))
        self.idf = Idf(postings)
        # term id -> (documents, BM25 terms) of the terms scored so far, up to
        # _POSTINGS_KEPT postings in all: questions repeat words.
        self._terms: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._kept = 0

    @classmethod
    def of(cls, docs: list[list[str]], k1: float = 1.5, b: float = 0.5) -> BM25:
        """BM25 over pre-tokenised documents (built in memory)."""
        return cls(Postings.build(docs), k1, b)

    def candidates(self, query: list[str] | tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(documents, BM25 scores) of every document holding a query token, documents
        ascending; the others score 0."""
        terms = sorted(set(query))  # a fixed order: the float sums do not depend on hashing
        ids = [t for t in map(self.postings.term_id, terms) if t >= 0]
        if not ids:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        parts = [self._term(t) for t in ids]
        docs = np.unique(np.concatenate([d for d, _ in parts]))
        out = np.zeros(len(docs), np.float32)
        for d, s in parts:
            out[np.searchsorted(docs, d)] += s
        return docs.astype(np.int64), out

    def _term(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(documents, BM25 score of term id ``t`` in each of them)."""
        got = self._terms.get(t)
        if got is None:
            d, tf_ = self.postings.span(t)
            idf = self.idf.of_df(len(d))
            tf = tf_.astype(np.float32)
            got = (np.asarray(d), idf * tf * (self.k1 + 1) / (tf + self._norm[d]))
            if len(d) <= _POSTINGS_KEPT:
                if self._kept + len(d) > _POSTINGS_KEPT:
                    self._terms.clear()
                    self._kept = 0
                self._terms[t] = got
                self._kept += len(d)
        return got

    def scores(self, query: list[str] | tuple[str, ...]) -> np.ndarray:
        """BM25 score of every document for the query tokens (a full array: for collections
        small enough to rank whole, as :meth:`candidates` gives the matching ones)."""
        out = np.zeros(self.n, np.float32)
        docs, s = self.candidates(query)
        out[docs] = s
        return out

    def share(self, query: list[str] | tuple[str, ...]) -> float:
        """Lexical share: the part of the query's distinct tokens that occur somewhere in the
        collection (not answerability's IDF-weighted coverage)."""
        q = set(query)
        return sum(1 for w in q if w in self.idf) / len(q) if q else 0.0
