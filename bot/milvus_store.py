"""Dense vectors in Milvus instead of FAISS: for archives whose vectors outgrow one machine.

``SANAD_VECTOR_STORE=milvus`` with ``SANAD_MILVUS_URI`` (a ``.db`` path for Milvus Lite, one
process; ``http://host:19530`` for a Milvus server or cluster that several replicas share).
Only the dense vectors move: passages, rows, sparse and token vectors and the manifest stay in
the index folder, and the build folder holds ``dense.milvus.json`` saying which collection
holds its vectors.

Each build writes a new collection ``sanad_<build id>_<attempt>``, so the collection of the live
build keeps serving while a new one is written; after the swap, collections older than the
previous live one are dropped (the previous one is kept so replicas that have not reloaded yet
keep answering until the next build). One Milvus database serves one index folder: every
``sanad_*`` collection in it is this index's.

Vectors are L2-normalised, so the inner product (metric ``IP``) is the cosine, as in FAISS; the
index type is ``FLAT`` (exact search), so rankings are those of the FAISS scan. A search returns
at most :data:`MILVUS_TOP_K` rows (Milvus's own cap on top-k).
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

import numpy as np

from .ann import ANN_MIN_ROWS
from .errors import IndexUnavailable
from .index import FaissStore, VectorStore, current_path

log = logging.getLogger("sanad")

#: Milvus refuses a top-k above this (its ``topK`` limit); a search asks for at most this many.
MILVUS_TOP_K = 16384
#: Every collection of this index starts so (and nothing else in the database should).
PREFIX = "sanad_"
POINTER = "dense.milvus.json"
_INSERT_BATCH = 2000


def connect(uri: str):
    """A client for ``uri`` (a Milvus Lite ``.db`` file or a server address)."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # an optional dependency: `pip install 'sanad[dist]'`
        raise IndexUnavailable(
            "SANAD_VECTOR_STORE=milvus needs pymilvus and milvus-lite: pip install 'sanad[dist]'"
        ) from exc
    if uri.endswith(".db"):
        Path(uri).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # Milvus Lite serves pymilvus in this process and logs a traceback for every call its
        # version does not implement (AllocTimestamp); the client carries on without it.
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    try:
        return MilvusClient(uri)
    except Exception as exc:  # pymilvus raises its own types for "cannot connect"
        hint = (
            (
                "Milvus Lite opens a .db file in one process at a time: stop the other one "
                "(a running `bot serve`?) or use a Milvus server"
            )
            if uri.endswith(".db")
            else "check SANAD_MILVUS_URI"
        )
        raise IndexUnavailable(f"cannot open Milvus at {uri} ({exc}): {hint}") from exc


class MilvusVectors:
    """The small vector interface of :class:`~bot.index.VectorIndex` over one Milvus collection:
    build, add, search, vectors, save, load, count. Row ids are the primary keys 0..n-1."""

    def __init__(self, client, uri: str, collection: str, dim: int):
        self.client, self.uri, self.collection, self.dim = client, uri, collection, dim
        self._count: int | None = None

    @classmethod
    def create(cls, uri: str, collection: str, dim: int) -> MilvusVectors:
        """A new, empty collection (exact FLAT index, inner product)."""
        from pymilvus import DataType

        client = connect(uri)
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        schema.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
        params = client.prepare_index_params()
        params.add_index(field_name="vec", index_type="FLAT", metric_type="IP")
        client.create_collection(collection, schema=schema, index_params=params)
        return cls(client, uri, collection, dim)

    @classmethod
    def build(cls, vectors: np.ndarray, uri: str, collection: str) -> MilvusVectors:
        """A new collection holding ``vectors`` (rows)."""
        idx = cls.create(uri, collection, vectors.shape[1])
        idx.add(vectors)
        return idx

    def add(self, vectors: np.ndarray) -> None:
        """Append rows (ids continue from :attr:`count`)."""
        start = self.count
        vecs = np.asarray(vectors, dtype=np.float32)
        for s in range(0, len(vecs), _INSERT_BATCH):
            self.client.insert(
                self.collection,
                [
                    {"row": start + s + j, "vec": v.tolist()}
                    for j, v in enumerate(vecs[s : s + _INSERT_BATCH])
                ],
            )
        self.client.flush(self.collection)
        self._count = start + len(vecs)
        self.client.load_collection(self.collection)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, row ids) for each query row; ``k`` is capped at
        :data:`MILVUS_TOP_K`, so fewer rows than asked may come back."""
        k = min(k, self.count, MILVUS_TOP_K)
        if k <= 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        found = self.client.search(
            self.collection,
            data=np.asarray(queries, np.float32).tolist(),
            limit=k,
            anns_field="vec",
            output_fields=["row"],
            search_params={"metric_type": "IP"},
        )
        scores = np.array([[h["distance"] for h in hits] for hits in found], np.float32)
        rows = np.array([[h["row"] for h in hits] for hits in found], np.int64)
        return scores.reshape(len(queries), -1), rows.reshape(len(queries), -1)

    def vectors(self) -> np.ndarray:
        """All stored rows, in order (for an incremental build to reuse)."""
        out = np.zeros((self.count, self.dim), np.float32)
        for s in range(0, self.count, MILVUS_TOP_K):
            for r in self.client.query(
                self.collection,
                filter=f"row >= {s} and row < {s + MILVUS_TOP_K}",
                output_fields=["row", "vec"],
            ):
                out[r["row"]] = r["vec"]
        return out

    def save(self, path: Path) -> None:
        """Write the pointer file ``path``: where the vectors are."""
        path.write_text(
            json.dumps(
                {
                    "uri": self.uri,
                    "collection": self.collection,
                    "dim": self.dim,
                    "count": self.count,
                }
            ),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, path: Path, uri: str | None = None) -> MilvusVectors:
        """The collection named by the pointer file ``path``, reached at ``uri`` when given."""
        meta = json.loads(path.read_text(encoding="utf-8"))
        uri = uri or meta["uri"]
        client = connect(uri)
        if not client.has_collection(meta["collection"]):
            raise IndexUnavailable(f"Milvus at {uri} has no collection {meta['collection']}")
        client.load_collection(meta["collection"])
        idx = cls(client, uri, meta["collection"], int(meta["dim"]))
        idx._count = int(meta["count"])
        return idx

    @property
    def count(self) -> int:
        """Number of rows."""
        if self._count is None:
            self._count = int(self.client.get_collection_stats(self.collection)["row_count"])
        return self._count


def recorded_collection(build: Path | None) -> str | None:
    """The collection a build folder's pointer file names, if any."""
    try:
        return json.loads((build / POINTER).read_text(encoding="utf-8"))["collection"]  # type: ignore[operator]
    except (OSError, ValueError, KeyError, TypeError):
        return None


class MilvusStore:
    """Writes a build's dense vectors to a new Milvus collection (see the module docstring)."""

    name = "milvus"

    def __init__(self, uri: str):
        self.uri = str(Path(uri).expanduser().resolve()) if uri.endswith(".db") else uri
        self._previous: str | None = None
        self._written: str | None = None

    def write(self, folder: Path, build_id: str, vectors: np.ndarray) -> None:
        """Write ``vectors`` to collection ``sanad_<build_id>_<attempt>``; ``folder`` names it."""
        # The live build, read before the swap replaces it (its folder may be the same name).
        self._previous = recorded_collection(current_path(folder.parent.parent))
        name = f"{PREFIX}{build_id}_{secrets.token_hex(3)}"
        idx = MilvusVectors.build(vectors, self.uri, name)
        idx.save(folder / POINTER)
        self._written = name

    def after_swap(self, live: Path, previous: Path | None) -> None:
        """Drop this index's collections other than the live one and the one it replaced."""
        keep = {self._written, self._previous}
        client = connect(self.uri)
        for name in client.list_collections():
            if name.startswith(PREFIX) and name not in keep:
                log.info("dropping old Milvus collection %s", name)
                client.drop_collection(name)


def vector_store(name: str, uri: str | None, ann_min_rows: int = ANN_MIN_ROWS) -> VectorStore:
    """The store a setting names: ``faiss`` (default; approximate from ``ann_min_rows``
    rows) or ``milvus`` at ``uri``."""
    if name == "milvus":
        if not uri:
            raise IndexUnavailable("SANAD_VECTOR_STORE=milvus needs SANAD_MILVUS_URI")
        return MilvusStore(uri)
    return FaissStore(ann_min_rows)
