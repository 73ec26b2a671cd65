"""Inverted postings of lexical tokens: term -> (documents, term frequencies), in CSR arrays.

Built once when the index is built and stored in the build folder, so loading an index reads
a few numpy arrays instead of every passage's token list, and a question costs in proportion
to the postings of its own terms (BM25 in lexical.py, claim coverage in verify.py).

The vocabulary is kept as 64-bit hashes of the terms (BLAKE2b), sorted, so a term is found
with a binary search and a vocabulary of millions of terms costs 8 bytes a term in memory
instead of a Python dict; two of a million terms share a hash with odds of about 3e-8, and
the build refuses a vocabulary where that happens. The terms themselves are stored beside
(``terms.txt``) and read only when someone lists them.

Files of a build (``lexical/`` in the build folder)::

    hashes.npy   uint64 (V,)   term hashes, ascending; term id = position
    indptr.npy   int64 (V+1,)  postings of term t: docs[indptr[t]:indptr[t+1]]
    docs.npy     int32 (P,)    document (passage) numbers, ascending within a term
    tf.npy       uint16 (P,)   how often the term occurs in that document
    lengths.npy  int32 (N,)    tokens per document
    terms.txt    the terms, one a line, in term-id order

A build writes them with :func:`write_postings`, a block of documents at a time (the same
files as :meth:`Postings.build` then :meth:`Postings.save`, in memory that holds the
vocabulary but not every posting).
"""

from __future__ import annotations

import hashlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from .arrays import load_array
from .invert import RowLists

_FILES = ("hashes", "indptr", "docs", "tf", "lengths")
#: Term ids a :class:`Postings` remembers (:meth:`Postings.term_id`) before it forgets them all.
TERM_MEMO = 100_000
#: A term's count in one document is stored in 16 bits (a sentence never repeats a word more).
MAX_TF = np.iinfo(np.uint16).max


def term_hash(term: str) -> int:
    """The 64-bit hash a term is stored under (stable across processes, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


def hash_order(terms: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The terms' 64-bit hashes in ascending order, the term numbers in that order, and each
    term's rank in it (the row of its postings). Two terms sharing a hash cannot be indexed."""
    hashes = np.array([term_hash(w) for w in terms], np.uint64)
    by_hash = np.argsort(hashes, kind="stable")
    hashes = hashes[by_hash]
    if len(hashes) > 1 and bool((hashes[1:] == hashes[:-1]).any()):
        raise ValueError("two lexical terms share a 64-bit hash; cannot index them")
    rank = np.empty(len(terms), np.int64)
    rank[by_hash] = np.arange(len(terms))
    return hashes, by_hash, rank


class Postings:
    """Term -> (documents, term frequencies) for ``count`` documents, in CSR layout."""

    def __init__(
        self,
        hashes: np.ndarray,
        indptr: np.ndarray,
        docs: np.ndarray,
        tf: np.ndarray,
        lengths: np.ndarray,
        terms: list[str] | Path | None = None,
        ids: dict[str, int] | None = None,
    ):
        self.hashes = hashes
        self.indptr = indptr
        self.docs = docs
        self.tf = tf
        self.lengths = lengths
        self._terms = terms  # a list, or the file to read it from when first asked
        # term -> id (-1: not in the vocabulary) of the terms looked up so far: questions
        # repeat words, and hashing a term costs more than the rest of its lookup. Shared
        # with postings of the same vocabulary (grouped).
        self._ids: dict[str, int] = {} if ids is None else ids

    @classmethod
    def build(cls, docs: Iterable[list[str]]) -> Postings:
        """Postings of tokenised documents (document numbers in iteration order)."""
        ids: dict[str, int] = {}
        term_of, doc_of, tfs, lengths = array("i"), array("i"), array("i"), array("i")
        for i, tokens in enumerate(docs):
            lengths.append(len(tokens))
            for w, tf in Counter(tokens).items():
                term_of.append(ids.setdefault(w, len(ids)))
                doc_of.append(i)
                tfs.append(min(tf, MAX_TF))
        terms = list(ids)
        hashes, by_hash, rank = hash_order(terms)
        t = rank[np.frombuffer(term_of, np.int32)] if len(term_of) else np.zeros(0, np.int64)
        order = np.argsort(t, kind="stable")  # documents stay ascending within a term
        indptr = np.zeros(len(terms) + 1, np.int64)
        indptr[1:] = np.cumsum(np.bincount(t, minlength=len(terms)))
        return cls(
            hashes,
            indptr,
            np.frombuffer(doc_of, np.int32)[order].astype(np.int32),
            np.frombuffer(tfs, np.int32)[order].astype(np.uint16),
            np.frombuffer(lengths, np.int32).astype(np.int32),
            [terms[j] for j in by_hash],
        )

    @property
    def count(self) -> int:
        """Number of documents."""
        return len(self.lengths)

    @property
    def size(self) -> int:
        """Number of distinct terms."""
        return len(self.hashes)

    def term_id(self, term: str) -> int:
        """The id of ``term`` in the vocabulary, -1 when it is not in it."""
        t = self._ids.get(term)
        if t is None:
            h = np.uint64(term_hash(term))
            at = int(np.searchsorted(self.hashes, h))
            t = at if at < self.size and self.hashes[at] == h else -1
            if len(self._ids) >= TERM_MEMO:
                self._ids.clear()
            self._ids[term] = t
        return t

    def lookup(self, terms: Iterable[str]) -> np.ndarray:
        """Term ids of those of ``terms`` in the vocabulary (-1 for the others), in order."""
        return np.array([self.term_id(w) for w in terms], np.int64)

    def df(self, t: int | np.ndarray) -> int | np.ndarray:
        """Document frequency of term id(s) ``t``."""
        return self.indptr[np.asarray(t) + 1] - self.indptr[t]

    def span(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(documents, term frequencies) of term id ``t``."""
        a, b = int(self.indptr[t]), int(self.indptr[t + 1])
        return self.docs[a:b], self.tf[a:b]

    def matches(self, terms: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """(documents, how many of the distinct ``terms`` each holds) for every document that
        holds at least one; cost in proportion to the terms' postings."""
        ids = [t for t in map(self.term_id, sorted(set(terms))) if t >= 0]
        if not ids:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        docs = np.concatenate([self.span(t)[0] for t in ids])
        return np.unique(docs, return_counts=True)

    def terms(self) -> list[str]:
        """The vocabulary in term-id order (read from disk on first use)."""
        if isinstance(self._terms, Path):
            text = self._terms.read_text(encoding="utf-8")
            self._terms = text.split("\n")[:-1] if text else []
        return self._terms or []

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms())

    def grouped(self, groups: np.ndarray, n_groups: int) -> Postings:
        """The postings of the documents merged by ``groups`` (a group number per document,
        non-decreasing: consecutive documents form a group), as if each group's token lists
        had been concatenated."""
        g = np.asarray(groups, np.int64)[self.docs] if len(self.docs) else np.zeros(0, np.int64)
        new = np.ones(len(g), bool)
        new[1:] = g[1:] != g[:-1]
        new[self.indptr[1:-1][self.indptr[1:-1] < len(g)]] = True  # each term starts anew
        starts = np.flatnonzero(new)
        tf = (
            np.add.reduceat(self.tf.astype(np.int64), starts)
            if len(starts)
            else np.zeros(0, np.int64)
        )
        indptr = np.searchsorted(starts, self.indptr).astype(np.int64)
        lengths = np.bincount(groups, weights=self.lengths, minlength=n_groups).astype(np.int64)
        return Postings(
            self.hashes,
            indptr,
            g[starts].astype(np.int32),
            tf.astype(np.uint32),
            lengths,
            self._terms,
            self._ids,  # the same vocabulary: the same ids
        )

    def save(self, folder: Path) -> None:
        """Write into ``folder`` (created)."""
        folder.mkdir(parents=True, exist_ok=True)
        for name in _FILES:
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)
        (folder / "terms.txt").write_text("".join(f"{w}\n" for w in self.terms()), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Postings:
        """Read from ``folder``; the postings themselves are memory-mapped (read as touched)."""
        arrays = {
            name: load_array(folder / f"{name}.npy", mmap=name in ("docs", "tf")) for name in _FILES
        }
        p = cls(**arrays, terms=folder / "terms.txt")
        if len(p.indptr) != p.size + 1 or p.indptr[-1] != len(p.docs) or len(p.tf) != len(p.docs):
            raise ValueError(f"{folder.name} postings are inconsistent")
        if not (folder / "terms.txt").is_file():
            raise FileNotFoundError(f"{folder / 'terms.txt'} is missing")
        return p


#: Documents :func:`write_postings` tokenises before it appends them to its work files.
WRITE_BLOCK = 4096


def write_postings(docs: Iterable[list[str]], folder: Path, work: Path) -> int:
    """Write the files of :meth:`Postings.build` of ``docs`` followed by :meth:`Postings.save`
    into ``folder``, the same bytes, without holding every (term, document) pair: documents
    go to work files in ``work`` a block at a time and are inverted at the end (invert.py);
    memory holds the vocabulary and a length per document. Returns the documents written."""
    folder.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    ids: dict[str, int] = {}
    lists = RowLists(work, "lexical", np.uint16)
    lengths: list[np.ndarray] = []
    sizes, keys, tfs, block_lengths = array("q"), array("i"), array("i"), array("i")

    def flush() -> None:
        lists.add_flat(np.array(sizes, np.int64), np.array(keys, np.int32), np.array(tfs, np.int32))
        lengths.append(np.array(block_lengths, np.int32))
        for a in (sizes, keys, tfs, block_lengths):
            del a[:]

    for tokens in docs:
        counted = Counter(tokens)
        block_lengths.append(len(tokens))
        sizes.append(len(counted))
        for w, tf in counted.items():
            keys.append(ids.setdefault(w, len(ids)))
            tfs.append(min(tf, MAX_TF))
        if len(block_lengths) >= WRITE_BLOCK:
            flush()
    flush()
    terms = list(ids)
    hashes, by_hash, rank = hash_order(terms)
    indptr = lists.invert(len(terms), folder / "docs.npy", folder / "tf.npy", rank=rank)
    np.save(folder / "hashes.npy", hashes, allow_pickle=False)
    np.save(folder / "indptr.npy", indptr, allow_pickle=False)
    all_lengths = np.concatenate(lengths).astype(np.int32)
    np.save(folder / "lengths.npy", all_lengths, allow_pickle=False)
    with (folder / "terms.txt").open("w", encoding="utf-8") as f:
        for j in by_hash:
            f.write(f"{terms[j]}\n")
    return len(all_lengths)
