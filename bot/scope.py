"""Abstention's lexical evidence read within the document that answers, not the corpus.

The main abstention rule (answerability.py) was fitted on one article. Its lexical evidence
asks what that article says: coverage, the share of the question's words (by IDF) the corpus
uses; focus, the IDF-weighted share of the question's topic words the best passage holds;
and the offered-kind gate, whether the corpus uses the question's verb elsewhere (then a date
or a number of the best passage belongs to another event). Read against an archive, each of
these asks what *any* article says: a word the answering article never uses is "known"
because another article uses it, the IDFs are another collection's, and a verb of another
article's events closes the gate on the right answer. The same question about the same
article was then judged otherwise than when the article stood alone (docs/quality.md, "One
article among many").

So the main rule reads them against the IDF of the chosen passage's own document
(:class:`ScopedIdf`, from its passages' tokens): the question's words are judged as if the
corpus were that document. The dense statistics (top, peak) stay corpus-wide (read within one
document they measured worse), and so does everything the languages' own rules read
(langrule.py: fitted on the corpus-wide reading). A corpus of one document is its own scope:
there nothing differs, to the bit.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from .lexical import Idf

#: Documents whose scoped IDF is kept (each holds its vocabulary and the terms asked since).
KEPT = 256


class ScopedIdf(Idf):
    """The IDF of a collection of only some passages (one corpus document's), given their
    lexical tokens: what an index of that document alone would give (postings.py counts a
    term once per passage that holds it)."""

    def __init__(self, passages: Iterable[list[str]]):
        # Idf's own state, without its postings: the counts come from the tokens.
        df: Counter[str] = Counter()
        n = 0
        for tokens in passages:
            df.update(set(tokens))
            n += 1
        self._df = dict(df)
        self._n = n
        self._vocabulary = sorted(self._df)
        self._peak: float | None = None
        self.kept: dict[str, object] = {}

    def df(self, term: str) -> int:
        """How many of the passages hold ``term``."""
        return self._df.get(term, 0)

    def _of(self, term: str) -> float | None:
        df = self._df.get(term)
        return None if df is None else self.of_df(df)

    def __iter__(self) -> Iterator[str]:
        return iter(self._vocabulary)

    def __len__(self) -> int:
        return len(self._vocabulary)

    def values(self) -> list[float]:  # type: ignore[override]
        return [self.of_df(self._df[t]) for t in self._vocabulary]

    @property
    def peak(self) -> float:
        if self._peak is None:
            self._peak = self.of_df(min(self._df.values())) if self._df else 1.0
        return self._peak


class DocumentScope:
    """Per document of one index: its passages' positions, and (for the last :data:`KEPT`
    documents asked about) their :class:`ScopedIdf`."""

    def __init__(self, doc_ids: Sequence[str], tokens: Callable[[int], list[str]]):
        """``doc_ids``: each passage's document, in index order; ``tokens(i)``: the lexical
        tokens stored for passage ``i`` (what the index's postings were built from)."""
        where: dict[str, list[int]] = {}
        for i, d in enumerate(doc_ids):
            where.setdefault(d, []).append(i)
        self._count = len(doc_ids)
        self._where = {d: np.asarray(v, np.int64) for d, v in where.items()}
        self._tokens = tokens
        self._idf: OrderedDict[str, ScopedIdf] = OrderedDict()
        self._lock = threading.Lock()  # request threads share the kept IDFs

    def idf_for(self, doc_id: str, idf: Mapping[str, float]) -> Mapping[str, float]:
        """The IDF abstention reads for an answer from ``doc_id``: within its passages, or
        the corpus's ``idf`` itself when the document is the whole corpus."""
        mine = self._where.get(doc_id)
        if mine is None or len(mine) == self._count:
            return idf
        return self.idf(doc_id)

    def idf(self, doc_id: str) -> ScopedIdf:
        """The IDF within ``doc_id``'s passages."""
        with self._lock:
            idf = self._idf.get(doc_id)
            if idf is not None:
                self._idf.move_to_end(doc_id)
                return idf
        mine = self._where.get(doc_id, np.zeros(0, np.int64))
        idf = ScopedIdf(self._tokens(int(i)) for i in mine)
        with self._lock:
            self._idf[doc_id] = idf
            if len(self._idf) > KEPT:
                self._idf.popitem(last=False)
        return idf
