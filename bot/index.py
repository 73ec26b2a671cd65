"""The on-disk index: FAISS vectors, the passage store, lexical tokens and a manifest.

Layout of the index folder::

    CURRENT                 name of the live build (replaced atomically)
    builds/<id>/manifest.json
    builds/<id>/passages.jsonl   one passage a line
    builds/<id>/lexical/         inverted postings of the passages' lexical tokens (postings.py)
    builds/<id>/rows.json        which passage each vector row belongs to, and its view
    builds/<id>/dense.faiss      the vectors (or dense.milvus.json: where in Milvus they are)
    builds/<id>/dense-codes.npy  an approximate (IVF) index's 8-bit codes in row order
                                 (memory-mapped; bot/ann.py)
    builds/<id>/sparse/          learned sparse vectors of the rows, inverted, and a row-major
                                 copy (sparse.py; when the model has them)
    builds/<id>/late-*.npy       per-token vectors, int8 with a scale per token (late.py; when
                                 the model has them; memory-mapped when loaded)
    builds/.partial-<id>/        the finished chunks of a build in progress (encoding.py), so a
                                 build that is killed resumes; removed once the build is live

A build is written into a fresh folder and only then named in ``CURRENT``, so an interrupted
build leaves the previous index usable. The build id hashes everything the index depends on
(format, model and sparse-encoder fingerprints, corpus contents, text views), so an unchanged
corpus yields the same id and a rebuild is a no-op.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from .ann import (
    ANN_MIN_ROWS,
    FLAT,
    IVF_SQ8,
    describe,
    index_kind,
    ivf_decoding,
    kind_of,
    new_index,
    row_codes,
    set_search_breadth,
    sq8_codes,
)
from .arrays import load_array
from .assemble import WORK, write_vectors
from .corpus import Document, Passage
from .embed import Embedder, SparseVector, token_fingerprint
from .encoding import Encode, EncodeItem, encode_locally, encode_resumable
from .errors import IndexUnavailable
from .late import LateIndex, Packed
from .lexical import TOKENIZER_VERSION, tokenize
from .normalize import dense_text
from .postings import Postings, write_postings
from .sparse import SparseIndex

#: 2: passages embedded through ``dense_text``; tokens from the two-stem tokenizer.
#: 3: learned sparse vectors (``sparse.npz``) beside the dense ones.
#: 4: per-token vectors (``late.npz``) for late-interaction reranking.
#: 5: lexical postings (``lexical/``) instead of token lists in ``passages.jsonl``; learned
#:    sparse vectors inverted (``sparse/``); token vectors int8 with a scale per token, in
#:    ``late-*.npy`` (memory-mapped), taken from the pass that encodes the sentence with its
#:    title (one pass a row).
#: 6: a row-major copy of the learned sparse vectors (``sparse/row-*.npy``), which ranking
#:    on candidates reads.
#: 7: from ``ann.ANN_MIN_ROWS`` rows, inverted lists over 8-bit vectors (IVF) instead of an
#:    HNSW graph, with every row's code in row order (``dense-codes.npy``); a build of format
#:    6 still loads and ranks, and the next build reuses its vectors.
FORMAT_VERSION = 7
log = logging.getLogger("sanad")
_BUILD_ID = re.compile(r"[0-9a-f]{16}")
#: A temporary build folder older than this, or whose builder died, is removed by the next build.
STALE_TMP_SECONDS = 3600
#: What reading a damaged index file can raise (truncated npz: EOFError, BadZipFile; a manifest
#: that is not an object: AttributeError; a missing array: KeyError).
_READ_ERRORS = (
    OSError,
    ValueError,
    TypeError,
    RuntimeError,
    EOFError,
    KeyError,
    AttributeError,
    zipfile.BadZipFile,
)


#: Beside ``dense.faiss`` of an IVF build: every row's 8-bit code, in row order (uint8).
CODES_FILE = "dense-codes.npy"


class VectorIndex:
    """A small interface over FAISS: build, add, search, save, load, count.

    Vectors are L2-normalised, so the inner product FAISS computes is the cosine similarity.
    The index is the exact flat scan, or from ``ann.ANN_MIN_ROWS`` rows inverted lists over
    8-bit quantised vectors with a row-major copy of the codes (bot/ann.py); the file says
    which, so loading needs no hint. (An HNSW graph over 8-bit vectors, index format 6, is
    read too.)
    """

    def __init__(self, dim: int, kind: str = FLAT):
        self.dim = dim
        self._index = new_index(np.zeros((0, dim), np.float32), kind)
        self._row_codes: np.ndarray | None = None  # IVF: (rows, dim) uint8, row order
        self._sq8: tuple | None = None  # the codes and their decoding, made on first use

    @classmethod
    def build(
        cls, vectors: np.ndarray, kind: str = FLAT, codes_path: Path | None = None
    ) -> VectorIndex:
        """An index of ``kind`` holding ``vectors`` (rows). An IVF index's row-major codes
        are written to ``codes_path`` (then memory-mapped) when given, else held in memory."""
        idx = cls(vectors.shape[1])
        idx._index = new_index(vectors, kind)
        if kind == IVF_SQ8:
            shape = (len(vectors), idx.dim)
            if codes_path is None:
                codes = np.empty(shape, np.uint8)
                row_codes(idx._index, vectors, codes)
            else:
                out = np.lib.format.open_memmap(codes_path, "w+", np.uint8, shape)
                row_codes(idx._index, vectors, out)
                del out
                codes = load_array(codes_path)
            idx._row_codes = codes
        return idx

    @property
    def kind(self) -> str:
        """``"flat"`` (exact), ``"ivf-sq8"`` (approximate) or ``"hnsw-sq8"`` (format 6)."""
        return kind_of(self._index)

    @property
    def approximate(self) -> bool:
        """Whether searches and stored vectors are approximations (IVF or HNSW, quantised)."""
        return self.kind != FLAT

    def add(self, vectors: np.ndarray) -> None:
        """Append rows."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._index.add(vectors)
        if self._row_codes is not None:
            codes = np.empty((len(vectors), self.dim), np.uint8)
            row_codes(self._index, vectors, codes)
            self._row_codes = np.concatenate([self._row_codes, codes])
        self._sq8 = None  # the codes may have moved

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, row ids) for each query row."""
        k = min(k, self.count)
        return self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

    def vectors(self) -> np.ndarray:
        """All stored rows, in order (as stored: quantised in an approximate index)."""
        if self._codes() is not None:
            return self.rows(np.arange(self.count))
        return self._index.reconstruct_n(0, self.count)

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of rows ``ids`` (as stored: quantised in an approximate index)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dim), np.float32)
        codes = self._codes()
        if codes is not None:
            _, scale, offset = codes
            return codes[0][ids].astype(np.float32) * scale + offset
        return self._index.reconstruct_batch(ids)

    def scores_of(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Inner product of ``query`` with the stored vectors of rows ``ids``.

        On an approximate index the 8-bit codes are scored as they are: a stored vector is
        ``offset + scale * code`` per dimension (ann.ivf_decoding), so its product with
        ``query`` is ``query . offset + (query * scale) . code``, one pass over the codes of
        the rows asked for (the row-major copy of an IVF index, memory-mapped: only the pages
        of those rows are read)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        q = np.asarray(query, np.float32).reshape(-1)
        codes = self._codes()
        if codes is None:
            # einsum, not ``@``: see late.py (BLAS threads fight the model's for the cores).
            return np.einsum("rd,d->r", self.rows(ids), q)
        if not len(ids):
            return np.zeros(0, np.float32)
        table, scale, offset = codes
        weights = q * scale
        return np.einsum("rd,d->r", table[ids].astype(np.float32), weights) + np.float32(q @ offset)

    def _codes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The 8-bit codes of an approximate index as a (rows, dim) uint8 array in row order
        (an IVF index's row-major copy; an HNSW graph's storage, no copy), with the
        per-dimension scale and offset that decode them; None for the exact scan."""
        if self._sq8 is None:
            decoding = ivf_decoding(self._index) if self._row_codes is not None else None
            if decoding is not None:
                self._sq8 = (self._row_codes, *decoding)
            else:
                self._sq8 = sq8_codes(self._index) or ()
        return self._sq8 or None

    def save(self, path: Path) -> None:
        """Write to ``path`` (and an IVF index's row-major codes beside it, ``CODES_FILE``,
        unless they were built into that file)."""
        faiss.write_index(self._index, str(path))
        codes, target = self._row_codes, path.with_name(CODES_FILE)
        if codes is not None:
            mapped = getattr(codes, "filename", None)
            if mapped is None or Path(mapped).resolve() != target.resolve():
                np.save(target, np.ascontiguousarray(codes))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """Read from ``path`` (an IVF index with its row-major codes, memory-mapped)."""
        raw = faiss.read_index(str(path))
        set_search_breadth(raw)  # the search breadth follows the code, not the file
        idx = cls(raw.d)
        idx._index = raw
        if isinstance(raw, faiss.IndexIVF):
            codes = load_array(path.with_name(CODES_FILE))
            if codes.dtype != np.uint8 or codes.shape != (raw.ntotal, raw.d):
                raise ValueError(f"{CODES_FILE} does not match {path.name}")
            if ivf_decoding(raw) is None:
                raise ValueError(f"{path.name} is not an IVF index over 8-bit vectors")
            idx._row_codes = codes
        return idx

    @property
    def count(self) -> int:
        """Number of rows."""
        return int(self._index.ntotal)


class VectorStore(Protocol):
    """Where a build's dense vectors live: FAISS in the build folder, or Milvus (milvus_store.py).

    Everything else (passages, rows, sparse and token vectors, manifest) stays in the build
    folder whatever the store.
    """

    name: str  # recorded in the manifest ("faiss" adds nothing, so FAISS ids are unchanged)
    uri: str | None  # where the store is reached, when it is outside the build folder

    def write(self, folder: Path, build_id: str, vectors: np.ndarray) -> None: ...

    def after_swap(self, live: Path, previous: Path | None) -> None: ...


class FaissStore:
    """Dense vectors in ``dense.faiss`` inside the build folder (the default): the exact scan,
    or an approximate index from ``ann_min_rows`` rows (bot/ann.py)."""

    name = "faiss"
    uri = None

    def __init__(self, ann_min_rows: int = ANN_MIN_ROWS):
        self.ann_min_rows = ann_min_rows

    def write(self, folder: Path, build_id: str, vectors: np.ndarray) -> None:
        """Write the vectors of build ``build_id`` into ``folder``."""
        kind = index_kind(len(vectors), self.ann_min_rows)
        VectorIndex.build(vectors, kind, folder / CODES_FILE).save(folder / "dense.faiss")

    def after_swap(self, live: Path, previous: Path | None) -> None:
        """Nothing to clean outside the build folders."""


def open_vectors(path: Path, manifest: dict, uri: str | None = None):
    """The dense vectors of the build in ``path``: a :class:`VectorIndex` or, for a build
    whose manifest names Milvus, a ``MilvusVectors`` (reached at ``uri`` when given, else at
    the address the build recorded)."""
    if manifest.get("vectors", "faiss") == "milvus":
        from .milvus_store import MilvusVectors

        return MilvusVectors.load(path / "dense.milvus.json", uri)
    return VectorIndex.load(path / "dense.faiss")


@dataclass(frozen=True)
class Row:
    """One vector: which passage it stands for and which text of it was embedded."""

    passage: int  # index into the passage list
    view: str  # "source" (the sentence) or "translation.en"
    key: str  # hash of the embedded text, to reuse vectors across builds


@dataclass
class LoadedIndex:
    """A build read back from disk."""

    manifest: dict
    passages: list[Passage]
    lexical: Postings  # the passages' lexical tokens, inverted
    rows: list[Row]
    vectors: VectorIndex
    path: Path
    sparse: SparseIndex | None = None  # rows as ``vectors``; None when the model has no head
    late: LateIndex | None = None  # rows as ``vectors``; None without token vectors
    _starts: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The build id (a content hash)."""
        return self.manifest["id"]

    def position(self, passage_id: str) -> int | None:
        """Where the passage ``passage_id`` (``<doc-id>:<n>``) is in :attr:`passages`, or None.

        A document's passages are consecutive and numbered from 1, so only where each
        document starts is kept (not a dict over every passage id).
        """
        doc, _, n = passage_id.rpartition(":")
        start = self._document_starts().get(doc)
        if start is None or not n.isdigit():
            return None
        i = start + int(n) - 1
        ok = 0 <= i < len(self.passages) and self.passages[i].id == passage_id
        return i if ok else None

    def passages_of(self, doc_id: str) -> range:
        """Where the passages of document ``doc_id`` are in :attr:`passages` (consecutive)."""
        start = self._document_starts().get(doc_id)
        if start is None:
            return range(0)
        end = start
        while end < len(self.passages) and self.passages[end].doc_id == doc_id:
            end += 1
        return range(start, end)

    def _document_starts(self) -> dict[str, int]:
        """Where each document's first passage (n = 1) is, made on first use."""
        if self._starts is None:
            starts: dict[str, int] = {}
            for i, p in enumerate(self.passages):
                starts.setdefault(p.doc_id, i - p.n + 1)
            self._starts = starts
        return self._starts


def passage_views(p: Passage, doc: Document) -> list[tuple[str, str]]:
    """The texts embedded for one passage: the sentence with its section and title as
    context, and its aligned English translation when there is one (as ``dense_text``)."""
    context = " — ".join(x for x in (doc.title, p.section) if x)
    views = [("source", dense_text(f"{context}: {p.text}" if context else p.text))]
    if p.translation:
        title_en = doc.title_en or ""
        views.append(
            (
                "translation.en",
                dense_text(f"{title_en}: {p.translation}" if title_en else p.translation),
            )
        )
    return views


def view_texts(docs: list[Document]):
    """(passage number, view, embedded text) of every row of a build of ``docs``, in row
    order, made as they are read."""
    i = 0
    for d in docs:
        for p in d.passages:
            for view, text in passage_views(p, d):
                yield i, view, text
            i += 1


def token_text(p: Passage, view: str) -> str:
    """The text whose token vectors are stored for a view: the sentence, not its context.

    Title and section words would match the question in every sentence of a document
    alike; late interaction is there to tell the sentences apart. The view ends with this
    text, so its token vectors are sliced from the pass that encodes the view (encoding.py).
    """
    return dense_text(p.translation if view == "translation.en" and p.translation else p.text)


def _key(embedder: Embedder, text: str) -> str:
    return hashlib.sha256(f"{embedder.fingerprint}\x00{text}".encode()).hexdigest()[:24]


def expected_manifest(
    docs: list[Document],
    embedder: Embedder,
    store: str = "faiss",
    ann_min_rows: int = ANN_MIN_ROWS,
) -> dict:
    """The manifest a build of ``docs`` with ``embedder`` would have (id included); ``store``
    names the vector store (a Milvus build is another build than a FAISS one); a FAISS build
    of at least ``ann_min_rows`` rows records its approximate index (``dense_index``)."""
    views = hashlib.sha256()  # of the view texts joined by NUL, without holding them all
    rows = 0
    for _, _, text in view_texts(docs):
        views.update(b"\x00" if rows else b"")
        views.update(text.encode())
        rows += 1
    body = {
        "format_version": FORMAT_VERSION,
        "tokenizer": TOKENIZER_VERSION,  # persisted tokens go stale when tokenize() changes
        "model": {
            "id": embedder.model_id,
            "fingerprint": embedder.fingerprint,
            "dim": embedder.dim,
        },
        "documents": [
            {
                "id": d.id,
                "sha256": d.sha256,
                "passages": len(d.passages),
                "translations": sorted(d.meta.get("translations", {})),
            }
            for d in docs
        ],
        "views_sha256": views.hexdigest(),
        "passage_count": sum(len(d.passages) for d in docs),
        "dim": embedder.dim,
        "sparse": embedder.features.sparse,
        "late": token_fingerprint(embedder),
    }
    if store != "faiss":
        body["vectors"] = store
    elif (dense_index := describe(index_kind(rows, ann_min_rows), rows)) is not None:
        body["dense_index"] = dense_index
    body["id"] = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return body


def current_path(index_dir: Path) -> Path | None:
    """The folder of the live build, or None when there is none (or ``CURRENT`` is damaged:
    the next build replaces it)."""
    try:
        name = (index_dir / "CURRENT").read_bytes().decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not _BUILD_ID.fullmatch(name):
        return None
    path = index_dir / "builds" / name
    return path if path.is_dir() else None


def load_index(index_dir: Path, vector_uri: str | None = None) -> LoadedIndex:
    """Read the live build; raise :class:`IndexUnavailable` when missing or unreadable.

    ``vector_uri`` overrides the address of an outside vector store (Milvus) the build recorded.
    """
    path = current_path(index_dir)
    if path is None:
        raise IndexUnavailable(f"no index in {index_dir}: run `bot index build`")
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("manifest.json is not a JSON object")
        passages, tokens = _read_passages(path / "passages.jsonl")
        rows = [Row(**r) for r in json.loads((path / "rows.json").read_text(encoding="utf-8"))]
        vectors = open_vectors(path, manifest, vector_uri)
        sparse = _load_sparse(path) if manifest.get("sparse") else None
        late = LateIndex.load(path) if manifest.get("late") else None
        # A build of format 4 kept each passage's tokens in passages.jsonl instead.
        lexical = Postings.load(path / "lexical") if tokens is None else Postings.build(tokens)
    except _READ_ERRORS as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise IndexUnavailable(
            f"index {path} is unreadable ({why}): run `bot index build --force`"
        ) from exc
    if (
        vectors.count != len(rows)
        or manifest.get("passage_count") != len(passages)
        or (sparse is not None and sparse.count != len(rows))
        or (late is not None and late.count != len(rows))
        or lexical.count != len(passages)
    ):
        raise IndexUnavailable(f"index {path} is inconsistent: run `bot index build --force`")
    return LoadedIndex(manifest, passages, lexical, rows, vectors, path, sparse, late)


def _load_sparse(path: Path) -> SparseIndex:
    """The sparse vectors of the build in ``path`` (``sparse/``; ``sparse.npz`` in format 4)."""
    return SparseIndex.load(path / "sparse" if (path / "sparse").is_dir() else path / "sparse.npz")


def _read_passages(path: Path) -> tuple[list[Passage], list[list[str]] | None]:
    """The passages of ``passages.jsonl``, and their token lists when the file has them
    (format 4). Equal strings are stored once (a document's id is on each of its passages)."""
    passages, tokens, shared = [], [], {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if "tokens" in r:
                tokens.append(r.pop("tokens"))
            r["doc_id"] = shared.setdefault(r["doc_id"], r["doc_id"])
            if r.get("section") is not None:
                r["section"] = shared.setdefault(r["section"], r["section"])
            passages.append(Passage(**r))
    if len(tokens) != len(passages):
        if tokens:
            raise ValueError("passages.jsonl holds tokens for some passages only")
        return passages, None
    return passages, tokens


def staleness(index_dir: Path, expected: dict) -> str | None:
    """Why the live index does not match ``expected``, or None when it is current."""
    path = current_path(index_dir)
    if path is None:
        return "no index has been built yet"
    try:
        have = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "the index manifest is unreadable"
    if not isinstance(have, dict):
        return "the index manifest is damaged"
    if have.get("format_version") != expected["format_version"]:
        return f"index format {have.get('format_version')} != {expected['format_version']}"
    if have.get("model") != expected["model"]:
        return f"the model changed ({have.get('model', {}).get('id')} -> {expected['model']['id']})"
    if have.get("sparse") != expected["sparse"]:
        return f"the sparse encoder changed ({have.get('sparse')} -> {expected['sparse']})"
    if have.get("late") != expected["late"]:
        return f"the token vectors changed ({have.get('late')} -> {expected['late']})"
    if have.get("vectors", "faiss") != expected.get("vectors", "faiss"):
        return (
            f"the vector store changed ({have.get('vectors', 'faiss')} -> "
            f"{expected.get('vectors', 'faiss')})"
        )
    if have.get("dense_index") != expected.get("dense_index"):
        kinds = [(m.get("dense_index") or {}).get("kind", FLAT) for m in (have, expected)]
        return f"the dense index changed ({kinds[0]} -> {kinds[1]})"
    old = {d["id"]: d["sha256"] for d in have.get("documents", [])}
    new = {d["id"]: d["sha256"] for d in expected["documents"]}
    if old != new:
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        return f"the corpus changed ({', '.join(changed)})"
    if have.get("id") != expected["id"]:
        return "the indexed texts changed (segmentation, translations or metadata)"
    return None


def build_index(
    index_dir: Path,
    docs: list[Document],
    embedder: Embedder,
    force: bool = False,
    progress: Callable[[int], object] | None = None,
    encode: Encode | None = None,
    store: VectorStore | None = None,
    total: Callable[[int], object] | None = None,
) -> tuple[LoadedIndex, int]:
    """Build (or reuse) the index for ``docs``; return it and the number of texts embedded.

    Vectors of texts embedded by the previous build with the same model are reused, so only
    new or changed sentences are encoded. ``encode`` is the encoding step (default: this
    process, :func:`encode_locally`); ``store`` where the dense vectors go (default: FAISS in
    the build folder). Encoding goes chunk by chunk into ``builds/.partial-<id>/``, so a build
    killed midway resumes from its finished chunks (``force`` starts over). ``total`` is told
    how many texts the build encodes before it starts; ``progress`` each chunk's share.
    """
    store = store or FaissStore()
    expected = expected_manifest(
        docs, embedder, store.name, getattr(store, "ann_min_rows", ANN_MIN_ROWS)
    )
    if not force and staleness(index_dir, expected) is None:
        try:
            return load_index(index_dir, store.uri), 0
        except IndexUnavailable as exc:  # damaged files: a rebuild is what anyone would do next
            log.warning("%s; rebuilding it", str(exc).split(": run")[0])
            force = True
    prev = Previous() if force else _previous_vectors(index_dir, expected, store.uri)
    remove_stale_partials(index_dir / "builds", keep=None if force else expected["id"])
    try:
        # In a function of its own, so that its row lists are gone when the build is loaded.
        embedded = _write_streamed(
            index_dir, expected, docs, embedder, prev, store, encode, progress, total
        )
    except OSError as exc:
        raise IndexUnavailable(
            f"cannot write the index in {index_dir} ({exc.strerror or exc}): "
            "make the folder writable or set SANAD_INDEX_DIR to one that is"
        ) from exc
    del prev  # the previous build's files, not needed to load the new one
    return load_index(index_dir, store.uri), embedded


def _write_streamed(
    index_dir: Path,
    expected: dict,
    docs: list[Document],
    embedder: Embedder,
    prev: Previous,
    store: VectorStore,
    encode: Encode | None,
    progress: Callable[[int], object] | None,
    total: Callable[[int], object] | None,
) -> int:
    """Encode (or reuse) and write every row of a build block by block (assemble.py), make
    it the live build and remove its chunks; the number of texts embedded."""
    passages = [p for d in docs for p in d.passages]
    partial = index_dir / "builds" / f"{PARTIAL}{expected['id']}"
    rows = [Row(i, view, _key(embedder, text)) for i, view, text in view_texts(docs)]
    items = _Items(embedder, passages, [d for d in docs for _ in d.passages], rows, prev)
    need = sum(any(items.asks(r)) for r in rows)
    if total:
        total(need)
    if need:
        partial.mkdir(parents=True, exist_ok=True)
        (partial / OWNER).write_text(str(os.getpid()), encoding="ascii")

    def fill(tmp: Path) -> None:
        _write_texts(tmp, passages, rows)
        write_vectors(
            tmp,
            [r.key for r in rows],
            items,
            prev,
            dim=embedder.dim,
            sparse_dim=embedder.features.sparse_dim if embedder.features.sparse else None,
            tokens=embedder.features.tokens is not None,
            encode=encode or encode_locally(embedder),
            write_dense=lambda vectors: store.write(tmp, expected["id"], vectors),
            progress=progress,
            partial=partial if need else None,
        )

    _swap_in(index_dir, expected, fill, store)
    shutil.rmtree(partial, ignore_errors=True)
    return sum(any(items.asks(r)[:2]) for r in rows)


class _Items(Sequence):
    """The :class:`EncodeItem` of each row of a build, made when asked: a build goes a block
    of rows at a time (assemble.py), and an archive's texts are not all held twice over."""

    def __init__(self, embedder, passages, owners, rows, prev: Previous):
        self._passages, self._owners, self._rows, self._prev = passages, owners, rows, prev
        self._sparse = embedder.features.sparse is not None
        self._tokens = embedder.features.tokens is not None

    def asks(self, r: Row) -> tuple[bool, bool, bool]:
        """Whether row ``r``'s dense, sparse and token vectors must be encoded."""
        return (
            r.key not in self._prev.dense,
            self._sparse and r.key not in self._prev.sparse,
            self._tokens and r.key not in self._prev.late,
        )

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, j):  # an int: what a build asks for
        r = self._rows[j]
        p = self._passages[r.passage]
        text = dict(passage_views(p, self._owners[r.passage]))[r.view]
        return EncodeItem(text, token_text(p, r.view), *self.asks(r))


@dataclass
class Built:
    """Everything a build encodes, before it is written (or used in memory)."""

    passages: list[Passage]
    rows: list[Row]
    vectors: np.ndarray
    sparse: SparseIndex | None
    late: LateIndex | None

    def loaded(
        self, manifest: dict, path: Path = Path("."), ann_min_rows: int = ANN_MIN_ROWS
    ) -> LoadedIndex:
        """The build as an index in memory (``bot eval --squad``), as load_index reads it
        (approximate from ``ann_min_rows`` rows, as a FAISS build writes it)."""
        return LoadedIndex(
            manifest,
            self.passages,
            Postings.build(passage_tokens(p) for p in self.passages),
            self.rows,
            VectorIndex.build(self.vectors, index_kind(len(self.vectors), ann_min_rows)),
            path,
            self.sparse,
            self.late,
        )


def passage_tokens(p: Passage) -> list[str]:
    """The lexical tokens stored for a passage: its sentence and its translation."""
    return tokenize(p.text) + (tokenize(p.translation) if p.translation else [])


def encode_rows(
    embedder: Embedder,
    passages: list[Passage],
    views: list[list[tuple[str, str]]],
    prev: Previous | None = None,
    progress: Callable[[int], object] | None = None,
    encode: Encode | None = None,
    partial: Path | None = None,
    total: Callable[[int], object] | None = None,
) -> tuple[Built, int]:
    """Encode every view of every passage (one model pass gives a text's dense and sparse
    vectors and its sentence's token vectors), reusing what ``prev`` holds; return the build
    and the number of texts embedded. ``encode`` is the encoding step (default: this
    process, :func:`encode_locally`; or a Ray cluster, ray_build.py); ``partial`` the work
    folder of finished chunks (encoding.encode_resumable); ``total`` is told how many texts
    need encoding."""
    prev = prev or Previous()
    rows, items = plan_rows(embedder, passages, views, prev)
    has_sparse = embedder.features.sparse is not None
    has_tokens = embedder.features.tokens is not None
    need = [j for j, it in enumerate(items) if it.dense or it.sparse or it.tokens]
    if total:
        total(len(need))
    if partial is not None and need:
        partial.mkdir(parents=True, exist_ok=True)
        (partial / OWNER).write_text(str(os.getpid()), encoding="ascii")
    fresh = encode_resumable(
        [items[j] for j in need],
        encode or encode_locally(embedder),
        embedder.dim,
        progress,
        partial,
    )
    at = {j: n for n, j in enumerate(need)}

    def pick(j: int, r: Row, new: list, old: dict, asked: bool):
        return new[at[j]] if asked else old[r.key]

    vectors = np.zeros((len(rows), embedder.dim), np.float32)
    for j, r in enumerate(rows):
        vectors[j] = pick(j, r, fresh.dense, prev.dense, items[j].dense)
    sparse = late = None
    if has_sparse:
        sparse = SparseIndex.build(
            embedder.features.sparse_dim,  # type: ignore[arg-type]
            [pick(j, r, fresh.sparse, prev.sparse, items[j].sparse) for j, r in enumerate(rows)],
        )
    if has_tokens:
        late = LateIndex.build(
            [pick(j, r, fresh.tokens, prev.late, items[j].tokens) for j, r in enumerate(rows)],
            embedder.dim,
        )
    return Built(passages, rows, vectors, sparse, late), sum(it.dense or it.sparse for it in items)


def plan_rows(
    embedder: Embedder,
    passages: list[Passage],
    views: list[list[tuple[str, str]]],
    prev: Previous,
) -> tuple[list[Row], list[EncodeItem]]:
    """The vector rows of a build (one per view of each passage) and, for each, what must be
    encoded (what ``prev`` does not hold)."""
    rows: list[Row] = []
    texts: list[str] = []
    for i, passage_views_ in enumerate(views):
        for view, text in passage_views_:
            rows.append(Row(i, view, _key(embedder, text)))
            texts.append(text)
    has_sparse = embedder.features.sparse is not None
    has_tokens = embedder.features.tokens is not None
    items = [
        EncodeItem(
            texts[j],
            token_text(passages[r.passage], r.view),
            r.key not in prev.dense,
            has_sparse and r.key not in prev.sparse,
            has_tokens and r.key not in prev.late,
        )
        for j, r in enumerate(rows)
    ]
    return rows, items


@dataclass
class Previous:
    """What the live build already holds, by row key, for an incremental build to reuse."""

    dense: Mapping[str, np.ndarray] = field(default_factory=dict)
    sparse: Mapping[str, SparseVector] = field(default_factory=dict)
    late: Mapping[str, Packed] = field(default_factory=dict)


class _ByKey(Mapping):
    """A previous build's rows by key, each read when asked: an archive's token vectors are
    not all held in memory for a rebuild that reuses them."""

    def __init__(self, at: dict[str, int], read: Callable[[int], object]):
        self._at, self._read = at, read

    def __getitem__(self, key: str):
        return self._read(self._at[key])

    def __contains__(self, key: object) -> bool:
        return key in self._at

    def __iter__(self):
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


def _previous_vectors(index_dir: Path, expected: dict, vector_uri: str | None = None) -> Previous:
    """Vectors of the live build by row key (read from its files as they are reused); sparse
    and token vectors only when they were made by the same encoder as ``expected`` says."""
    try:
        old = load_index(index_dir, vector_uri)
    except IndexUnavailable:
        return Previous()
    at = {r.key: j for j, r in enumerate(old.rows)}
    vectors, sparse, late = old.vectors, old.sparse, old.late
    if isinstance(vectors, VectorIndex):
        prev = Previous(dense=_ByKey(at, lambda j: vectors.rows(np.array([j]))[0]))
    else:  # an outside store (Milvus) is read whole
        vecs = vectors.vectors()
        prev = Previous(dense={r.key: vecs[j] for j, r in enumerate(old.rows)})
    if sparse is not None and old.manifest.get("sparse") == expected["sparse"]:
        prev.sparse = _ByKey(at, sparse.row)
    if late is not None and old.manifest.get("late") == expected["late"]:
        prev.late = _ByKey(at, late.row)
    return prev


def _write_build(
    index_dir: Path, manifest: dict, built: Built, store: VectorStore | None = None
) -> None:
    """Write a build held in memory (:class:`Built`) and make it the live one."""
    store = store or FaissStore()

    def fill(tmp: Path) -> None:
        _write_texts(tmp, built.passages, built.rows)
        store.write(tmp, manifest["id"], built.vectors)
        if built.sparse is not None:
            built.sparse.save(tmp / "sparse")
        if built.late is not None:
            built.late.save(tmp)

    _swap_in(index_dir, manifest, fill, store)


def _write_texts(folder: Path, passages: list[Passage], rows: list[Row]) -> None:
    """``passages.jsonl``, ``lexical/`` and ``rows.json`` of a build (written line by line)."""
    with (folder / "passages.jsonl").open("w", encoding="utf-8") as f:
        for p in passages:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    write_postings((passage_tokens(p) for p in passages), folder / "lexical", folder / WORK)
    shutil.rmtree(folder / WORK, ignore_errors=True)
    with (folder / "rows.json").open("w", encoding="utf-8") as f:
        f.write("[")  # the bytes of json.dumps of the whole list, without holding it
        for j, r in enumerate(rows):
            f.write((", " if j else "") + json.dumps(asdict(r)))
        f.write("]")


def _swap_in(
    index_dir: Path, manifest: dict, fill: Callable[[Path], None], store: VectorStore
) -> None:
    """Have ``fill`` write a build into a fresh folder, add its manifest, and make it the
    live build (``CURRENT``); the other builds are removed."""
    previous = current_path(index_dir)
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(builds)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=builds))
    try:
        (tmp / OWNER).write_text(str(os.getpid()), encoding="ascii")
        fill(tmp)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        (tmp / OWNER).unlink()
        final = builds / manifest["id"]
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        pointer = index_dir / ".CURRENT.tmp"
        pointer.write_text(manifest["id"] + "\n", encoding="utf-8")
        os.replace(pointer, index_dir / "CURRENT")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    store.after_swap(builds / manifest["id"], previous)
    for old in builds.iterdir():  # keep only the live build
        if old.name != manifest["id"] and not old.name.startswith((".tmp-", PARTIAL)):
            shutil.rmtree(old, ignore_errors=True)


#: Inside a temporary build folder: the process id of the build writing it.
OWNER = "owner.pid"
#: Prefix of the work folder holding a build's finished chunks (``.partial-<build id>``).
PARTIAL = ".partial-"


def remove_stale_partials(builds: Path, keep: str | None) -> list[str]:
    """Remove the chunk folders of builds other than ``keep`` (an expected build id) whose
    builder is gone; return their names. A build of another corpus or model running
    elsewhere keeps its folder."""
    removed = []
    for folder in builds.glob(f"{PARTIAL}*"):
        if folder.name == f"{PARTIAL}{keep}":
            continue
        try:
            pid = int((folder / OWNER).read_text(encoding="ascii"))
        except (OSError, ValueError):
            pid = None
        if pid and pid != os.getpid() and _alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    if removed:
        log.info("removed %d unfinished build(s) of another corpus or model", len(removed))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_stale_tmp(builds: Path, max_age: float = STALE_TMP_SECONDS) -> list[str]:
    """Remove ``.tmp-*`` folders that killed builds left behind; return their names.

    A folder is stale when the process named in its ``owner.pid`` is gone, or (no readable
    owner, e.g. from an older version) when it has not changed for ``max_age`` seconds; a
    build in progress elsewhere keeps its folder.
    """
    removed = []
    for tmp in builds.glob(".tmp-*"):
        try:
            pid = int((tmp / OWNER).read_text(encoding="ascii"))
        except (OSError, ValueError):
            pid = None
        try:
            stale = (not _alive(pid)) if pid else time.time() - tmp.stat().st_mtime > max_age
        except OSError:
            continue
        if stale:
            shutil.rmtree(tmp, ignore_errors=True)
            removed.append(tmp.name)
    if removed:
        log.info("removed %d temporary folder(s) left by interrupted builds", len(removed))
    return removed
