"""A build written block by block (assemble.py): the same files as writing it from memory, in
memory that does not grow with the corpus."""

import tracemalloc

import numpy as np

from bot import ann, encoding, invert, postings
from bot.arrays import GrowingNpy
from bot.assemble import write_vectors
from bot.corpus import load_corpus
from bot.encoding import Encoded, EncodeItem
from bot.index import (
    CODES_FILE,
    FaissStore,
    Previous,
    VectorIndex,
    _write_build,
    build_index,
    current_path,
    encode_rows,
    expected_manifest,
    passage_views,
)
from bot.late import LateIndex, LateWriter
from bot.sparse import SparseIndex, SparseWriter
from tests.fakes import HashEmbedder, HashSparse


def _files(folder):
    return {
        str(f.relative_to(folder)): f.read_bytes()
        for f in sorted(folder.rglob("*"))
        if f.is_file() and f.name != "owner.pid"
    }


def test_streamed_build_writes_the_same_files_as_a_build_in_memory(
    tmp_path, corpus_copy, monkeypatch
):
    monkeypatch.setattr(encoding, "CHUNK", 5)  # many blocks, the last one short
    docs = load_corpus(corpus_copy)
    emb = HashEmbedder(tokens=True, sparse=HashSparse())
    streamed, _ = build_index(tmp_path / "streamed", docs, emb)
    passages = [p for d in docs for p in d.passages]
    views = [passage_views(p, d) for d in docs for p in d.passages]
    built, _ = encode_rows(emb, passages, views)
    _write_build(tmp_path / "whole", expected_manifest(docs, emb), built)
    a, b = current_path(tmp_path / "streamed"), current_path(tmp_path / "whole")
    assert a.name == b.name == streamed.id
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb) and "late-codes.npy" in fa and "sparse/rows.npy" in fa
    assert {k for k in fa if fa[k] != fb[k]} == set()  # byte for byte, dense.faiss included
    assert streamed.late.count == len(built.rows) and streamed.sparse.count == len(built.rows)


def test_an_approximate_build_in_blocks_writes_the_same_files(tmp_path, corpus_copy, monkeypatch):
    monkeypatch.setattr(encoding, "CHUNK", 5)
    monkeypatch.setattr(ann, "ADD_BLOCK", 7)  # vectors added and codes written in blocks
    docs = load_corpus(corpus_copy)
    emb = HashEmbedder(tokens=True, sparse=HashSparse())
    streamed, _ = build_index(tmp_path / "streamed", docs, emb, store=FaissStore(0))
    passages = [p for d in docs for p in d.passages]
    built, _ = encode_rows(emb, passages, [passage_views(p, d) for d in docs for p in d.passages])
    manifest = expected_manifest(docs, emb, "faiss", 0)
    _write_build(tmp_path / "whole", manifest, built, FaissStore(0))
    a, b = current_path(tmp_path / "streamed"), current_path(tmp_path / "whole")
    fa, fb = _files(a), _files(b)
    assert a.name == b.name == streamed.id and CODES_FILE in fa
    assert {k for k in fa if fa[k] != fb[k]} == set()
    # The codes written block by block into the file are those of one pass in memory.
    whole = VectorIndex.build(built.vectors, ann.IVF_SQ8)
    np.testing.assert_array_equal(streamed.vectors._row_codes, whole._row_codes)


def test_an_incremental_build_reuses_vectors_through_the_blocks(tmp_path, corpus_copy, monkeypatch):
    monkeypatch.setattr(encoding, "CHUNK", 5)
    emb = HashEmbedder(tokens=True, sparse=HashSparse())
    build_index(tmp_path / "i", load_corpus(corpus_copy), emb)
    extra = corpus_copy / "extra"  # a new document: its rows encoded, the others reused
    extra.mkdir()
    (extra / "meta.json").write_text('{"id": "extra", "title": "Extra", "language": "en"}')
    (extra / "document.txt").write_text("One new sentence. And another.")
    docs = load_corpus(corpus_copy)
    grown, embedded = build_index(tmp_path / "i", docs, emb)
    fresh, _ = build_index(tmp_path / "f", docs, HashEmbedder(tokens=True, sparse=HashSparse()))
    assert embedded == 2 and len(grown.rows) == len(fresh.rows) == 38
    assert _files(current_path(tmp_path / "i")) == _files(current_path(tmp_path / "f"))


def test_writers_in_tiny_blocks_equal_the_whole_arrays(tmp_path):
    rng = np.random.default_rng(0)
    vecs = []
    for _ in range(300):
        k = int(rng.integers(0, 20))
        ix = np.sort(rng.choice(500, k, replace=False)).astype(np.int32)
        vecs.append((ix, rng.random(k).astype(np.float32)))
    SparseIndex.build(500, vecs).save(tmp_path / "s-whole")
    w = SparseWriter(tmp_path / "s-blocks", 500, tmp_path, block=97)
    for s in range(0, 300, 11):
        w.add(vecs[s : s + 11])
    w.close()
    assert _files(tmp_path / "s-whole") == _files(tmp_path / "s-blocks")
    assert not list(tmp_path.glob("sparse-*"))  # work files removed
    toks = [rng.standard_normal((int(rng.integers(0, 6)), 8)).astype(np.float16) for _ in range(99)]
    (tmp_path / "l-whole").mkdir()
    (tmp_path / "l-blocks").mkdir()
    LateIndex.build(toks, 8).save(tmp_path / "l-whole")
    lw = LateWriter(tmp_path / "l-blocks", 8)
    for s in range(0, 99, 4):
        lw.add(toks[s : s + 4])
    lw.close()
    assert _files(tmp_path / "l-whole") == _files(tmp_path / "l-blocks")
    for dtype, tail in ((np.int8, (384,)), (np.float16, ()), (np.int64, ())):
        a = (rng.random((50, *tail)) * 100).astype(dtype)
        g = GrowingNpy(tmp_path / "g.npy", dtype, tail)
        g.append(a[:20])
        g.append(a[20:])
        g.close()
        np.save(tmp_path / "s.npy", a)
        assert (tmp_path / "g.npy").read_bytes() == (tmp_path / "s.npy").read_bytes()


def test_postings_written_in_blocks_equal_the_whole_postings(tmp_path, monkeypatch):
    monkeypatch.setattr(postings, "WRITE_BLOCK", 3)
    monkeypatch.setattr(invert, "BLOCK", 5)
    rng = np.random.default_rng(1)
    words = [f"w{j}" for j in range(40)] + ["قطر", "الدفاع"]
    docs = [list(rng.choice(words, int(rng.integers(0, 12)))) for _ in range(50)]
    docs[7] = ["same"] * 70_000  # a term frequency past 16 bits is capped alike
    postings.Postings.build(docs).save(tmp_path / "whole")
    assert postings.write_postings(iter(docs), tmp_path / "blocks", tmp_path / "work") == 50
    assert _files(tmp_path / "whole") == _files(tmp_path / "blocks")
    assert not list((tmp_path / "work").iterdir())


DIM, TOKENS = 64, 40


def _encode(items, progress):
    """Token vectors of ``TOKENS`` rows each (the bulk of a build), dense and sparse too."""
    n = len(items)
    rng = np.random.default_rng(n)
    return Encoded(
        [rng.standard_normal(DIM).astype(np.float32) for _ in range(n)],
        [(np.arange(8, dtype=np.int32) * 3, np.ones(8, np.float32)) for _ in range(n)],
        [rng.standard_normal((TOKENS, DIM)).astype(np.float16) for _ in range(n)],
    )


def _peak(folder, rows: int) -> int:
    items = [EncodeItem(f"t{j}", f"t{j}", True, True, True) for j in range(rows)]
    keys = [f"k{j}" for j in range(rows)]
    folder.mkdir()
    tracemalloc.start()
    try:
        write_vectors(
            folder,
            keys,
            items,
            Previous(),
            dim=DIM,
            sparse_dim=64,
            tokens=True,
            encode=_encode,
            write_dense=lambda v: float(np.asarray(v[:16]).sum()),
            block=16,
        )
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_of_a_build_does_not_grow_with_the_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(invert, "BLOCK", 256)  # postings inverted 256 at a time
    small, large = _peak(tmp_path / "small", 100), _peak(tmp_path / "large", 1600)
    written = (tmp_path / "large" / "late-codes.npy").stat().st_size
    assert written > 1600 * TOKENS * DIM  # everything reached the disk
    assert large < 1.5 * small  # 16x the rows, about the same peak: a block at a time
    assert large < written / 8
