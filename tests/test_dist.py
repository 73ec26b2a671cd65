"""Beyond one machine: index builds on a (local) Ray cluster, dense vectors in Milvus Lite.

Real Ray and real Milvus Lite, started and stopped here; the model tests use the real model.
Select them with ``-m dist``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import DOC_ID
from fakes import HashEmbedder, HashSparse
from test_index import add_two_sentence_document

from bot.corpus import load_corpus
from bot.index import build_index, expected_manifest, load_index, staleness
from bot.retrieve import Retriever
from bot.settings import ROOT

pytest.importorskip("ray")
pytest.importorskip("milvus_lite")
pytestmark = [pytest.mark.dist, pytest.mark.slow]
DATA = ROOT / "tests" / "data"


def questions() -> list[str]:
    return [
        json.loads(line)["question"]
        for name in ("dev.jsonl", "heldout.jsonl")
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


class SparseHash(HashEmbedder):
    """The trigram test embedder with sparse and token vectors, rebuilt the same in a worker."""

    def __init__(self):
        super().__init__(tokens=True, sparse=HashSparse())


class CrashOnce(SparseHash):
    """Kills the worker process that first encodes anything (once per ``marker`` file)."""

    def __init__(self, marker: str):
        super().__init__()
        self.marker = marker

    def encode(self, texts, kind, token_from=None):
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return super().encode(texts, kind, token_from)
        os._exit(1)  # a worker dying mid-batch, as a node lost would


class CrashOnceFactory:
    def __init__(self, marker: str):
        self.marker = marker

    def __call__(self) -> CrashOnce:
        return CrashOnce(self.marker)


@pytest.fixture(scope="module")
def ray_cluster():
    from bot import ray_build

    cpus = ray_build.start(num_cpus=2)
    yield cpus
    ray_build.stop()


def same_index(a, b, same_id: bool = True) -> float:
    """Max abs difference of the dense vectors, after checking everything else is equal."""
    assert (a.id == b.id) == same_id and [p.id for p in a.passages] == [p.id for p in b.passages]
    assert a.rows == b.rows
    if a.sparse is not None:
        for j in range(a.sparse.count):
            assert np.array_equal(a.sparse.row(j)[0], b.sparse.row(j)[0])
            assert np.allclose(a.sparse.row(j)[1], b.sparse.row(j)[1], atol=1e-4)
    if a.late is not None:
        assert np.array_equal(a.late.offsets, b.late.offsets)
        a_tok = a.late.codes * a.late.scales.astype("f4")[:, None]
        b_tok = b.late.codes * b.late.scales.astype("f4")[:, None]
        assert np.abs(a_tok - b_tok).max() <= 1e-2
    return float(np.abs(a.vectors.vectors() - b.vectors.vectors()).max())


def test_ray_build_survives_a_dead_worker_and_is_incremental(ray_cluster, tmp_path, corpus_copy):
    from bot import ray_build

    local, _ = build_index(tmp_path / "local", load_corpus(corpus_copy), SparseHash())
    marker = tmp_path / "crashed"
    encode = ray_build.encode_on_ray(
        CrashOnceFactory(str(marker)), SparseHash(), workers=2, batch_size=8
    )
    seen: list[int] = []
    built, embedded = build_index(
        tmp_path / "ray",
        load_corpus(corpus_copy),
        SparseHash(),
        progress=seen.append,
        encode=encode,
    )
    assert marker.exists(), "no worker was killed: the retry was not exercised"
    assert embedded == 36 and sum(seen) == 36 and len(seen) >= 2
    assert same_index(local, built) == 0.0

    add_two_sentence_document(corpus_copy)
    again, embedded = build_index(
        tmp_path / "ray", load_corpus(corpus_copy), SparseHash(), encode=encode
    )
    assert embedded == 2 and again.vectors.count == 38
    old = dict(zip([r.key for r in built.rows], built.vectors.vectors(), strict=True))
    new = dict(zip([r.key for r in again.rows], again.vectors.vectors(), strict=True))
    assert all(np.array_equal(v, new[k]) for k, v in old.items())  # reused as they were


@pytest.mark.model
def test_ray_build_of_the_seed_equals_the_local_build(
    ray_cluster, real_sanad, real_embedder, tmp_path
):
    from functools import partial

    from bot import ray_build
    from bot.embed import load_embedder

    settings = real_sanad.settings
    encode = ray_build.encode_on_ray(partial(load_embedder, settings), real_embedder, workers=1)
    built, embedded = build_index(
        tmp_path / "index", load_corpus(settings.corpus_dir), real_embedder, encode=encode
    )
    assert embedded == 36
    assert same_index(real_sanad.index, built) <= 1e-4
    a, b = real_sanad._state[1], Retriever(built, real_embedder)
    for q in questions()[::8]:
        query = a.encode_query(q)
        ranked = [[h.passage.id for h in r.rank(query, 5).hits] for r in (a, b)]
        assert ranked[0] == ranked[1], q


def test_nothing_imports_ray_or_milvus_without_asking():
    code = (
        "import sys, bot.cli, bot.service, bot.api, bot.index; "
        "print(sorted(m for m in ('ray', 'pymilvus') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_milvus_store_builds_reuses_and_drops_old_collections(tmp_path, corpus_copy):
    from bot.milvus_store import MilvusStore, connect

    uri = str(tmp_path / "milvus.db")
    store = MilvusStore(uri)
    docs = load_corpus(corpus_copy)
    faiss, _ = build_index(tmp_path / "faiss", docs, HashEmbedder())
    assert "vector store changed (faiss -> milvus)" in staleness(
        tmp_path / "faiss", expected_manifest(docs, HashEmbedder(), "milvus")
    )
    first, embedded = build_index(tmp_path / "index", docs, HashEmbedder(), store=store)
    assert embedded == 36 and first.manifest["vectors"] == "milvus"
    assert first.id != faiss.id and first.vectors.collection.startswith(f"sanad_{first.id}_")
    assert not (first.path / "dense.faiss").exists()
    assert float(np.abs(first.vectors.vectors() - faiss.vectors.vectors()).max()) < 1e-6
    q = HashEmbedder().encode_queries(["Al Udeid air base"])
    (fs, fr), (ms, mr) = faiss.vectors.search(q, 10), first.vectors.search(q, 10)
    assert fr.tolist() == mr.tolist() and np.allclose(fs, ms, atol=1e-5)
    # A rebuild writes a new collection; the old one keeps serving until the one after.
    second, _ = build_index(tmp_path / "index", docs, HashEmbedder(), store=store, force=True)
    assert second.vectors.collection != first.vectors.collection
    assert first.vectors.search(q, 1)[1].tolist() == [[fr[0][0]]]
    add_two_sentence_document(corpus_copy)
    third, embedded = build_index(
        tmp_path / "index", load_corpus(corpus_copy), HashEmbedder(), store=store
    )
    assert embedded == 2 and third.vectors.count == 38  # the others came back from Milvus
    live = sorted(connect(uri).list_collections())
    assert live == sorted([second.vectors.collection, third.vectors.collection])
    assert load_index(tmp_path / "index").vectors.collection == third.vectors.collection


@pytest.mark.model
def test_milvus_ranks_the_seed_questions_as_faiss(real_sanad, real_embedder, tmp_path):
    from bot.service import Sanad, open_index

    # Switching the store of a built index rebuilds it, reusing every vector it had.
    shutil.copytree(real_sanad.settings.index_dir, tmp_path / "index")
    settings = real_sanad.settings.model_copy(
        update={
            "index_dir": tmp_path / "index",
            "vector_store": "milvus",
            "milvus_uri": str(tmp_path / "milvus.db"),
        }
    )
    docs = load_corpus(settings.corpus_dir)
    assert open_index(settings, docs, real_embedder)[1] == 0
    milvus = Sanad.open(settings, embedder=real_embedder)
    assert milvus.index.manifest["vectors"] == "milvus"
    assert same_index(real_sanad.index, milvus.index, same_id=False) == 0.0
    a, b = real_sanad._state[1], milvus._state[1]
    recall = []
    qs = questions()
    for q, query in zip(qs, a.encode_queries(qs), strict=True):  # one batched pass
        vec = query.dense
        fa, fb = (r.rank(query, 10).hits for r in (a, b))
        assert fa[0].passage.id == fb[0].passage.id, q
        exact = a.index.vectors.search(vec.reshape(1, -1), 10)[1][0]
        got = b.index.vectors.search(vec.reshape(1, -1), 10)[1][0]
        recall.append(len(set(exact) & set(got)) / 10)
    assert np.mean(recall) == 1.0  # FLAT: exact search
    asked = milvus.ask("What is the largest US military facility in the Middle East?")
    assert asked.citations[0].id == f"{DOC_ID}:5" and asked.index == milvus.index.id
    assert milvus.reload() == milvus.index.id


def test_vector_store_settings_say_what_to_fix(tmp_path):
    env = {**os.environ, "SANAD_INDEX_DIR": str(tmp_path / "index"), "SANAD_VECTOR_STORE": "milvus"}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "index", "info"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert out.returncode == 2 and "SANAD_MILVUS_URI" in out.stderr
    assert "Traceback" not in out.stderr


def test_capped_dense_search_fills_the_tail_with_the_last_score(tmp_path, monkeypatch):
    from bot import milvus_store

    docs = load_corpus(ROOT / "corpus")
    faiss, _ = build_index(tmp_path / "faiss", docs, HashEmbedder())
    milvus, _ = build_index(
        tmp_path / "milvus",
        docs,
        HashEmbedder(),
        store=milvus_store.MilvusStore(str(tmp_path / "m.db")),
    )
    monkeypatch.setattr(milvus_store, "MILVUS_TOP_K", 8)  # as if the corpus had >16384 rows
    q = HashEmbedder().encode_queries(["Al Udeid air base"])[0]
    exact = Retriever(faiss, HashEmbedder()).dense_scores(q)
    capped = Retriever(milvus, HashEmbedder()).dense_scores(q)
    rows = faiss.vectors.search(q.reshape(1, -1), 8)
    floor = rows[0][0, -1]
    returned = {faiss.rows[r].passage for r in rows[1][0]}
    for i in range(len(exact)):
        if i in returned:
            assert capped[i] == pytest.approx(exact[i], abs=1e-5)
        else:  # not returned: at least its true score, at most the floor
            assert capped[i] == pytest.approx(floor, abs=1e-5) and exact[i] <= floor + 1e-5
    assert int(np.argmax(capped)) == int(np.argmax(exact))
