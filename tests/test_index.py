"""The on-disk index: round trip, idempotence, incremental builds, staleness, atomic writes."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest
from conftest import DOC_ID, make_settings
from fakes import HashEmbedder, HashSparse

import bot.index as index_mod
from bot import arrays
from bot.corpus import Passage, load_corpus
from bot.errors import IndexUnavailable
from bot.index import (
    SparseIndex,
    VectorIndex,
    build_index,
    expected_manifest,
    load_index,
    passage_tokens,
    staleness,
)
from bot.lexical import BM25, tokenize
from bot.service import Sanad


def files_state(folder):
    return {
        p.relative_to(folder): (p.stat().st_mtime_ns, p.read_bytes())
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_vector_index_searches_by_cosine():
    v = np.eye(4, dtype=np.float32)
    idx = VectorIndex.build(v)
    scores, rows = idx.search(np.array([[0, 0.6, 0.8, 0]], np.float32), 2)
    assert rows[0].tolist() == [2, 1]
    assert np.allclose(scores[0], [0.8, 0.6])
    assert idx.count == 4 and np.allclose(idx.vectors(), v)


def with_sparse(sparse=None) -> HashEmbedder:
    return HashEmbedder(sparse=sparse or HashSparse())


def test_sparse_index_scores_by_dot_product_and_round_trips(tmp_path, monkeypatch):
    monkeypatch.setattr(arrays, "MMAP_MIN_BYTES", 0)  # as an archive's files
    rows = [
        (np.array([1, 5], np.int32), np.array([0.5, 2.0], np.float32)),
        (np.array([], np.int32), np.array([], np.float32)),
        (np.array([5], np.int32), np.array([1.0], np.float32)),
    ]
    idx = SparseIndex.build(8, rows)
    query = (np.array([5, 7], np.int32), np.array([3.0, 1.0], np.float32))
    assert idx.scores(query).tolist() == [6.0, 0.0, 3.0]
    assert [x.tolist() for x in idx.candidates(query)] == [[0, 2], [6.0, 3.0]]
    idx.save(tmp_path / "sparse")
    back = SparseIndex.load(tmp_path / "sparse")
    assert back.count == 3 and back.dim == 8 and isinstance(back.weights, np.memmap)
    assert back.scores(query).tolist() == [6.0, 0.0, 3.0]
    assert back.row(0)[1].tolist() == [0.5, 2.0] and back.row(1)[0].size == 0
    assert SparseIndex.build(8, []).scores(query).size == 0
    # The row-major sparse.npz of an index of format 4 still loads.
    with (tmp_path / "old.npz").open("wb") as f:
        np.savez(
            f,
            dim=np.int64(8),
            indptr=np.array([0, 2, 2, 3]),
            indices=np.array([1, 5, 5], np.int32),
            values=np.array([0.5, 2.0, 1.0], np.float32),
        )
    assert SparseIndex.load(tmp_path / "old.npz").scores(query).tolist() == [6.0, 0.0, 3.0]


def test_inverted_sparse_scores_equal_the_gather_over_every_row():
    rng = np.random.default_rng(0)
    dim, rows = 512, []
    for _ in range(300):
        k = int(rng.integers(0, 40))
        ix = rng.choice(dim, k, replace=False).astype(np.int32)
        rows.append((ix, rng.random(k, dtype=np.float32) * 3))
    idx = SparseIndex.build(dim, rows)
    for _ in range(30):
        k = int(rng.integers(0, 60))
        q = (rng.choice(dim, k, replace=False).astype(np.int32), rng.random(k, dtype=np.float32))
        dense_q = np.zeros(dim, np.float32)
        dense_q[q[0]] = q[1]
        # The gather over every stored weight (as stored: float16), row by row.
        want = np.array(
            [float(dense_q[ix] @ v.astype(np.float16).astype(np.float32)) for ix, v in rows],
            np.float32,
        )
        got = idx.scores(q)
        assert np.allclose(got, want, rtol=1e-5, atol=1e-6)
        ids, s = idx.candidates(q)
        assert ids.tolist() == [r for r, (ix, _) in enumerate(rows) if np.isin(ix, q[0]).any()]
        assert np.allclose(s, got[ids], rtol=1e-6)
    for r in (0, 7, 299):
        ix, v = idx.row(r)
        order = np.argsort(rows[r][0])
        assert ix.tolist() == rows[r][0][order].tolist()
        assert np.allclose(v, rows[r][1][order], rtol=1e-3)


def test_round_trip(tmp_path, corpus_copy, fake_embedder):
    docs = load_corpus(corpus_copy)
    built, embedded = build_index(tmp_path, docs, fake_embedder)
    assert embedded == 36  # 18 sentences + 18 aligned translations
    loaded = load_index(tmp_path)
    assert loaded.id == built.id == expected_manifest(docs, fake_embedder)["id"]
    assert [p.id for p in loaded.passages] == [p.id for p in docs[0].passages]
    assert loaded.passages[6].text == docs[0].passages[6].text
    assert loaded.vectors.count == 36
    m = loaded.manifest
    assert m["format_version"] == index_mod.FORMAT_VERSION
    assert m["model"]["fingerprint"] == fake_embedder.fingerprint
    assert m["documents"][0]["sha256"] == docs[0].sha256 and m["passage_count"] == 18


def test_second_build_changes_nothing(tmp_path, corpus_copy, fake_embedder):
    docs = load_corpus(corpus_copy)
    build_index(tmp_path, docs, fake_embedder)
    before = files_state(tmp_path)
    _, embedded = build_index(tmp_path, docs, fake_embedder)
    assert embedded == 0
    assert files_state(tmp_path) == before


def add_two_sentence_document(corpus):
    folder = corpus / "extra"
    folder.mkdir()
    (folder / "meta.json").write_text('{"id": "extra", "title": "Extra", "language": "en"}')
    (folder / "document.txt").write_text("One new sentence. And another.")


def test_changed_document_is_rebuilt_incrementally(tmp_path, corpus_copy, fake_embedder):
    build_index(tmp_path, load_corpus(corpus_copy), fake_embedder)
    add_two_sentence_document(corpus_copy)
    docs = load_corpus(corpus_copy)
    assert "corpus changed (extra)" in staleness(tmp_path, expected_manifest(docs, fake_embedder))
    index, embedded = build_index(tmp_path, docs, fake_embedder)
    assert embedded == 2  # only the new document's sentences; the seed's vectors are reused
    assert index.manifest["passage_count"] == 20
    assert len(list((tmp_path / "builds").iterdir())) == 1  # the old build was removed


def test_sparse_vectors_are_persisted_and_reused(tmp_path, corpus_copy):
    emb = with_sparse()
    built, _ = build_index(tmp_path, load_corpus(corpus_copy), emb)
    assert built.manifest["sparse"] == "hash-words-v1"
    assert built.sparse is not None and built.sparse.count == 36 and emb.sparse.calls == 36
    assert load_index(tmp_path).sparse.row(5)[0].tolist() == built.sparse.row(5)[0].tolist()
    add_two_sentence_document(corpus_copy)
    index, _ = build_index(tmp_path, load_corpus(corpus_copy), emb)
    assert emb.sparse.calls == 38  # only the two new sentences were encoded
    assert index.sparse.count == 38


def test_sparse_encoder_change_makes_the_index_stale(tmp_path, corpus_copy, fake_embedder):
    docs = load_corpus(corpus_copy)
    build_index(tmp_path, docs, fake_embedder)
    assert load_index(tmp_path).sparse is None
    assert "sparse encoder changed (None -> hash-words-v1)" in staleness(
        tmp_path, expected_manifest(docs, with_sparse())
    )
    emb = with_sparse()
    index, embedded = build_index(tmp_path, docs, emb)
    # One pass gives a text's dense and sparse vectors, so each text is encoded again once.
    assert embedded == 36 and emb.calls == 36 and index.sparse.count == 36


def test_model_change_makes_the_index_stale(tmp_path, corpus_copy, fake_embedder):
    docs = load_corpus(corpus_copy)
    build_index(tmp_path, docs, fake_embedder)
    other = type(fake_embedder)(dim=128)
    other.fingerprint = "hash-trigrams-128"
    assert "model changed" in staleness(tmp_path, expected_manifest(docs, other))
    assert (
        staleness(tmp_path / "nothing", expected_manifest(docs, other))
        == "no index has been built yet"
    )


def test_interrupted_build_leaves_previous_index_usable(
    tmp_path, corpus_copy, fake_embedder, monkeypatch
):
    docs = load_corpus(corpus_copy)
    good, _ = build_index(tmp_path, docs, fake_embedder)
    path = corpus_copy / DOC_ID / "document.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nجملة جديدة.", encoding="utf-8")

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(index_mod.VectorIndex, "save", explode)
    with pytest.raises(KeyboardInterrupt):
        build_index(tmp_path, load_corpus(corpus_copy), fake_embedder)
    survivor = load_index(tmp_path)
    assert survivor.id == good.id and survivor.vectors.count == 36
    assert not [p for p in (tmp_path / "builds").iterdir() if p.name.startswith(".tmp-")]


def test_sanad_rebuilds_a_stale_index_and_says_why(tmp_path, corpus_copy, fake_embedder, caplog):
    settings = make_settings(tmp_path, corpus=corpus_copy)
    with caplog.at_level(logging.INFO, logger="sanad"):
        first = Sanad.open(settings, embedder=fake_embedder)
    assert "no index has been built yet" in caplog.text
    caplog.clear()
    path = corpus_copy / DOC_ID / "meta.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace("قطر الدفاعية", "قطر العسكرية"), encoding="utf-8"
    )
    with caplog.at_level(logging.INFO, logger="sanad"):
        second = Sanad.open(settings, embedder=fake_embedder)
    assert "indexed texts changed" in caplog.text
    assert second.index.id != first.index.id


def test_unreadable_index_says_what_to_run(tmp_path, corpus_copy, fake_embedder):
    build_index(tmp_path, load_corpus(corpus_copy), fake_embedder)
    (load_index(tmp_path).path / "rows.json").write_text("garbage")
    from bot.errors import IndexUnavailable

    with pytest.raises(IndexUnavailable, match="bot index build --force"):
        load_index(tmp_path)


def test_token_vectors_are_persisted_and_reused(tmp_path, corpus_copy):
    emb = HashEmbedder(tokens=True)
    built, _ = build_index(tmp_path, load_corpus(corpus_copy), emb)
    assert built.manifest["late"] == "hash-trigrams-v1+hash-words-v1"
    assert built.late is not None and built.late.count == len(built.rows) == 36
    # The stored tokens are the sentence's own words, without the title and section context.
    first = built.passages[0]
    assert len(built.late.row(0).scales) == len(emb.encode([first.text], "passage").tokens[0])
    assert np.array_equal(load_index(tmp_path).late.row(7).codes, built.late.row(7).codes)
    calls = []
    original = emb.encode
    emb.encode = lambda texts, kind, token_from=None: (
        calls.append((texts, token_from)) or original(texts, kind, token_from)
    )
    add_two_sentence_document(corpus_copy)
    index, _ = build_index(tmp_path, load_corpus(corpus_copy), emb)
    # Only the new sentences, in one pass: their views (title and context) give the dense
    # vectors, and the part after the context the token vectors.
    [(texts, starts)] = calls
    assert [t[a:] for t, a in zip(texts, starts, strict=True)] == [
        "One new sentence.",
        "And another.",
    ]
    assert all(a > 0 for a in starts)
    assert index.late.count == 38


def test_token_vector_change_makes_the_index_stale(tmp_path, corpus_copy, fake_embedder):
    docs = load_corpus(corpus_copy)
    build_index(tmp_path, docs, fake_embedder)
    assert load_index(tmp_path).late is None
    assert "token vectors changed (None -> hash-trigrams-v1+hash-words-v1)" in staleness(
        tmp_path, expected_manifest(docs, HashEmbedder(tokens=True))
    )
    index, embedded = build_index(tmp_path, docs, HashEmbedder(tokens=True))
    assert embedded == 0 and index.late.count == 36  # dense vectors reused, tokens added


def _as_format_4(build) -> None:
    """Rewrite a build folder as format 4 wrote it: tokens in passages.jsonl, row-major
    sparse.npz, no lexical postings."""
    records = [json.loads(line) for line in (build / "passages.jsonl").read_text().splitlines()]
    with (build / "passages.jsonl").open("w", encoding="utf-8") as f:
        for r in records:
            r["tokens"] = passage_tokens(Passage(**r))
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    shutil.rmtree(build / "lexical")
    sparse = SparseIndex.load(build / "sparse")
    rows = [sparse.row(i) for i in range(sparse.count)]
    with (build / "sparse.npz").open("wb") as f:
        np.savez(
            f,
            dim=np.int64(sparse.dim),
            indptr=np.concatenate([[0], np.cumsum([len(ix) for ix, _ in rows])]),
            indices=np.concatenate([ix for ix, _ in rows]),
            values=np.concatenate([v for _, v in rows]),
        )
    shutil.rmtree(build / "sparse")
    manifest = json.loads((build / "manifest.json").read_text())
    (build / "manifest.json").write_text(json.dumps({**manifest, "format_version": 4}))


def test_a_format_4_build_loads_and_gives_its_vectors_to_the_next(tmp_path, corpus_copy):
    docs, emb = load_corpus(corpus_copy), with_sparse()
    built, _ = build_index(tmp_path, docs, emb)
    question = tokenize("قاعدة العديد الجوية")
    _as_format_4(built.path)
    old = load_index(tmp_path)
    assert not (built.path / "lexical").exists()
    assert np.array_equal(BM25(old.lexical).scores(question), BM25(built.lexical).scores(question))
    assert old.sparse.row(3)[0].tolist() == built.sparse.row(3)[0].tolist()
    assert "index format 4 != " in staleness(tmp_path, expected_manifest(docs, emb))
    index, embedded = build_index(tmp_path, docs, emb)
    assert embedded == 0 and (index.path / "lexical").is_dir() and (index.path / "sparse").is_dir()
    assert np.array_equal(BM25(index.lexical).scores(question), BM25(old.lexical).scores(question))
    assert "tokens" not in (index.path / "passages.jsonl").read_text()


def test_a_build_without_its_postings_is_unavailable(tmp_path, corpus_copy, fake_embedder):
    built, _ = build_index(tmp_path, load_corpus(corpus_copy), fake_embedder)
    (built.path / "lexical" / "docs.npy").unlink()
    with pytest.raises(IndexUnavailable, match="unreadable"):
        load_index(tmp_path)


def test_passage_positions_come_from_document_starts(tmp_path, corpus_copy, fake_embedder):
    add_two_sentence_document(corpus_copy)
    index, _ = build_index(tmp_path, load_corpus(corpus_copy), fake_embedder)
    for i, p in enumerate(index.passages):
        assert index.position(p.id) == i
        assert i in index.passages_of(p.doc_id)
    assert len(index.passages_of("extra")) == 2 and len(index.passages_of(DOC_ID)) == 18
    for bad in ("extra:3", "extra:0", "extra:x", "nope:1", "extra", ""):
        assert index.position(bad) is None
    assert index.passages_of("nope") == range(0)


def test_row_major_sparse_scores_equal_the_full_scores_exactly(tmp_path, monkeypatch):
    monkeypatch.setattr(arrays, "MMAP_MIN_BYTES", 0)  # as an archive's files
    rng = np.random.default_rng(11)
    dim, rows = 300, []
    for _ in range(200):
        k = int(rng.integers(0, 40))  # rows of every length, some empty: padding in between
        ix = rng.choice(dim, k, replace=False).astype(np.int32)  # not sorted, as the model's
        rows.append((ix, (rng.random(k, dtype=np.float32) * 3).astype(np.float32)))
    idx = SparseIndex.build(dim, rows)
    features, weights = idx.by_row
    assert features.shape == weights.shape == (200, max(len(ix) for ix, _ in rows))
    assert features.dtype == np.uint16 and weights.dtype == np.float16
    idx.save(tmp_path / "sparse")
    back = SparseIndex.load(tmp_path / "sparse")
    assert isinstance(back.by_row[0], np.memmap)
    (tmp_path / "old").mkdir()  # a build of format 5: no row-major copy
    for name in ("meta", "fptr", "rows", "weights"):
        shutil.copy(tmp_path / "sparse" / f"{name}.npy", tmp_path / "old" / f"{name}.npy")
    old = SparseIndex.load(tmp_path / "old")
    assert old.by_row is None
    for _ in range(30):
        k = int(rng.integers(0, 80))
        q = rng.choice(dim + 20, k, replace=False).astype(np.int32)  # some beyond dim
        query = (q, rng.random(k, dtype=np.float32))
        ask = rng.choice(200, 60)  # any order, repeats allowed
        full = back.scores(query)
        # The same float32 products summed in float64: equal, not just close.
        np.testing.assert_array_equal(back.scores_of(query, ask), full[ask])
        np.testing.assert_array_equal(idx.scores_of(query, ask), full[ask])
        ascending = np.sort(ask)
        np.testing.assert_array_equal(old.scores_of(query, ascending), full[ascending])
    for r in (0, 7, 199):
        for index in (back, old):
            ix, v = index.row(r)
            order = np.argsort(rows[r][0])
            assert ix.tolist() == rows[r][0][order].tolist()
            assert np.allclose(v, rows[r][1][order], rtol=1e-3)
    empty = SparseIndex.build(dim, [(np.zeros(0, np.int32), np.zeros(0, np.float32))] * 3)
    assert empty.scores_of(query, np.array([2, 0])).tolist() == [0.0, 0.0]
    assert idx.scores_of(query, np.zeros(0, np.int64)).size == 0


def test_sparse_scores_of_some_rows_equal_the_full_scores():
    rng = np.random.default_rng(5)
    rows = []
    for _ in range(60):
        ix = np.sort(rng.choice(50, rng.integers(0, 12), replace=False)).astype(np.int32)
        rows.append((ix, rng.random(len(ix)).astype(np.float32)))
    idx = SparseIndex.build(50, rows)
    for _ in range(20):
        q = np.sort(rng.choice(60, 15, replace=False)).astype(np.int32)  # some beyond dim
        query = (q, rng.random(15).astype(np.float32))
        ask = np.sort(rng.choice(60, 25, replace=False))
        np.testing.assert_allclose(idx.scores_of(query, ask), idx.scores(query)[ask], rtol=1e-6)
