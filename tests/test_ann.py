"""The approximate dense index at scale: chosen by size, its recall against the exact scan,
ranking on candidates against ranking every passage, and the estimated dense statistics."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings
from fakes import HashEmbedder, HashSparse

import bot.retrieve as retrieve_mod
from bot import ann, arrays
from bot.answerability import evidence
from bot.corpus import load_corpus
from bot.index import (
    CODES_FILE,
    FaissStore,
    VectorIndex,
    build_index,
    expected_manifest,
    load_index,
    staleness,
)
from bot.retrieve import Matches as M
from bot.retrieve import Retriever, unit
from bot.service import Sanad
from bot.squad import build_index as squad_index
from bot.squad import load_pool

XQUAD = Path("/work/shared/bench-data/xquad-r")  # CC BY-SA 4.0, see SOURCE.md there


def unit_rows(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_index_kind_follows_the_row_count(tmp_path, corpus_copy, fake_embedder):
    docs = load_corpus(corpus_copy)  # 18 sentences + 18 translations: 36 rows
    assert ann.index_kind(36) == ann.FLAT and ann.index_kind(36, 36) == ann.IVF_SQ8
    exact, _ = build_index(tmp_path / "a", docs, fake_embedder)
    assert exact.vectors.kind == ann.FLAT and "dense_index" not in exact.manifest
    assert not (exact.path / CODES_FILE).exists()
    approx, _ = build_index(tmp_path / "b", docs, fake_embedder, store=FaissStore(36))
    assert approx.vectors.kind == ann.IVF_SQ8 and approx.vectors.count == 36
    assert approx.manifest["dense_index"] == {"kind": ann.IVF_SQ8, "cells": 1}
    assert np.load(approx.path / CODES_FILE).shape == (36, fake_embedder.dim)
    assert approx.id != exact.id
    # The kind is part of what the index must be: crossing the threshold rebuilds.
    assert "dense index changed (ivf-sq8 -> flat)" in staleness(
        tmp_path / "b", expected_manifest(docs, fake_embedder)
    )
    assert staleness(tmp_path / "b", expected_manifest(docs, fake_embedder, "faiss", 36)) is None
    # The file describes itself: reading it back needs no hint.
    again, embedded = build_index(tmp_path / "b", docs, fake_embedder, store=FaissStore(36))
    assert embedded == 0 and again.vectors.approximate


def test_ann_settings_reach_the_service(tmp_path, corpus_copy, fake_embedder):
    sanad = Sanad.open(make_settings(tmp_path, corpus_copy, ann_min_rows=0), fake_embedder)
    assert sanad.index.vectors.kind == ann.IVF_SQ8
    assert sanad._state[1].approximate
    answer = sanad.ask("متى بنيت قاعدة العديد؟")
    assert answer.citations and answer.evidence.top > 0
    exact = Sanad.open(make_settings(tmp_path / "exact", corpus_copy), fake_embedder)
    claim = "قاعدة العديد الجوية بنيت عام 1996"
    # The verifier judges the same passages on the same (quantised: within 0.005) cosines.
    a, b = exact.verify(claim), sanad.verify(claim)
    assert a.verdict == b.verdict
    assert [e.passage.id for e in a.evidence] == [e.passage.id for e in b.evidence]
    for x, y in zip(a.evidence, b.evidence, strict=True):
        assert y.dense == pytest.approx(x.dense, abs=5e-3)


class WeightedSparse(HashSparse):
    """:class:`HashSparse` with weights that differ by feature, so sums are not counts."""

    fingerprint = "hash-words-weighted-v1"

    def encode(self, texts):
        return [(ix, (0.05 + (ix % 89) / 37).astype(np.float32)) for ix, _ in super().encode(texts)]


def test_cells_and_probes_follow_the_row_count():
    assert ann.ivf_cells(1_000_000) == 4000 and ann.ivf_probes(4000) == 63
    assert ann.ivf_cells(100_000) == 1265 and ann.ivf_probes(1265) == 48
    assert ann.ivf_cells(36) == 1 and ann.ivf_probes(1) == 1  # forced on a tiny index
    assert ann.ivf_cells(2380) == 61 and ann.ivf_probes(61) == 48  # XQuAD-R, forced
    assert ann.ivf_cells(10**12) == ann.IVF_MAX_CELLS


def test_row_codes_score_as_the_ivf_scores_them(tmp_path, monkeypatch):
    monkeypatch.setattr(arrays, "MMAP_MIN_BYTES", 0)  # the codes mapped, as an archive's
    rng = np.random.default_rng(4)
    x = unit_rows(rng.normal(size=(4000, 384)))
    approx, exact = VectorIndex.build(x, ann.IVF_SQ8), VectorIndex.build(x)
    assert ann.ivf_decoding(exact._index) is None and exact._codes() is None
    assert approx._index.nlist == ann.ivf_cells(4000) > approx._index.nprobe > 1
    approx.save(tmp_path / "dense.faiss")
    back = VectorIndex.load(tmp_path / "dense.faiss")
    assert isinstance(back._row_codes, np.memmap) and back.kind == ann.IVF_SQ8
    np.testing.assert_array_equal(back._row_codes, approx._row_codes)
    for q in x[:5]:
        # The IVF's own scores of the rows it returns are the row codes' scores.
        scores, ids = back.search(q[None], 50)
        np.testing.assert_allclose(back.scores_of(q, ids[0]), scores[0], atol=2e-6)
        ask = rng.choice(4000, 80)  # any rows, not only the found ones
        np.testing.assert_allclose(
            back.scores_of(q, ask), np.einsum("rd,d->r", back.rows(ask), q), atol=2e-6
        )
        np.testing.assert_allclose(exact.scores_of(q, ask), x[ask] @ q, atol=2e-6)
        # 8-bit vectors: cosines within a few thousandths of the float32 ones.
        assert np.abs(back.scores_of(q, ask) - x[ask] @ q).max() < 5e-3
    # FAISS's own decoding of a row (through a direct map) is the row codes' decoding.
    back._index.make_direct_map()
    decoded = back._index.reconstruct_n(0, 20)
    np.testing.assert_allclose(back.rows(np.arange(20)), decoded, atol=1e-6)
    approx.add(x[:10])  # appended rows get their codes too
    assert approx.count == 4010 and approx.scores_of(x[0], np.array([4000]))[0] == pytest.approx(
        approx.scores_of(x[0], np.array([0]))[0]
    )
    assert approx.scores_of(x[0], np.zeros(0, np.int64)).size == 0
    # Codes of another build: unreadable (the build is then rebuilt), not wrong scores.
    np.save(tmp_path / CODES_FILE, approx._row_codes[:100])
    with pytest.raises(ValueError, match="does not match"):
        VectorIndex.load(tmp_path / "dense.faiss")


def test_format_6_hnsw_codes_score_as_the_decoded_vectors():
    rng = np.random.default_rng(4)
    x = unit_rows(rng.normal(size=(500, 384)))
    approx = VectorIndex.build(x, ann.HNSW_SQ8)
    ids = rng.choice(500, 80)
    decoded = approx._index.reconstruct_batch(ids)  # FAISS's own decoding
    np.testing.assert_allclose(approx.rows(ids), decoded, atol=1e-6)
    for q in x[:5]:
        np.testing.assert_allclose(
            approx.scores_of(q, ids), np.einsum("rd,d->r", decoded, q), atol=2e-6
        )


def _as_format_6(build: Path) -> None:
    """Rewrite an approximate build as index format 6 wrote it: an HNSW graph over 8-bit
    vectors, no row-major codes."""
    old = VectorIndex.load(build / "dense.faiss")
    VectorIndex.build(old.vectors(), ann.HNSW_SQ8).save(build / "dense.faiss")
    (build / CODES_FILE).unlink()
    manifest = json.loads((build / "manifest.json").read_text())
    manifest.update(format_version=6, dense_index=ann.describe(ann.HNSW_SQ8, old.count))
    (build / "manifest.json").write_text(json.dumps(manifest))


def test_a_format_6_build_ranks_and_gives_its_vectors_to_the_next(tmp_path, corpus_copy):
    docs, emb = load_corpus(corpus_copy), HashEmbedder(sparse=HashSparse())
    built, _ = build_index(tmp_path, docs, emb, store=FaissStore(0))
    _as_format_6(built.path)
    old = load_index(tmp_path)
    assert old.vectors.kind == ann.HNSW_SQ8 and old.vectors.approximate
    question = "متى بنيت قاعدة العديد؟"
    before = Retriever(old, emb).search(question, 3)
    assert before  # still loads and ranks on candidates
    assert "index format 6 != 7" in staleness(tmp_path, expected_manifest(docs, emb, "faiss", 0))
    index, embedded = build_index(tmp_path, docs, emb, store=FaissStore(0))
    assert embedded == 0  # the vectors reused, nothing encoded again
    assert index.vectors.kind == ann.IVF_SQ8 and (index.path / CODES_FILE).is_file()
    after = Retriever(index, emb).search(question, 3)
    assert [h.passage.id for h in after] == [h.passage.id for h in before]
    for a, b in zip(before, after, strict=True):  # quantised twice: a few thousandths
        assert b.dense == pytest.approx(a.dense, abs=1e-2)


def test_candidate_scores_equal_the_exact_path_with_ann_forced(tmp_path, corpus_copy):
    emb = HashEmbedder(sparse=WeightedSparse())
    exact = Sanad.open(make_settings(tmp_path / "exact", corpus_copy), emb)
    forced = Sanad.open(make_settings(tmp_path / "ann", corpus_copy, ann_min_rows=0), emb)
    a, b = exact._state[1], forced._state[1]
    assert b.approximate and not a.approximate and b.uses_sparse
    assert b.index.sparse.by_row is not None  # written by the build, read back
    for q in ("متى بنيت قاعدة العديد؟", "كأس العالم", "Lusail stadium", "1971"):
        query = b.encode_query(q)
        lexical, groups = b.bm25.scores(query.lexical), b.group_bm25.scores(query.lexical)
        cand = b.candidates(query, M.of(lexical), M.of(groups))
        # Learned sparse: the candidates' scores are the exact path's, to the bit.
        np.testing.assert_array_equal(
            b.sparse_of(query.sparse, cand), a.sparse_scores(query.sparse)[cand]
        )
        # Dense: the stored 8-bit vectors as FAISS decodes them, and within their rounding
        # of the exact cosines.
        rows = np.array([j for j, r in enumerate(b.index.rows) if r.passage in set(cand)])
        ivf = b.index.vectors._index
        ivf.make_direct_map()  # FAISS's own decoding of the rows
        decoded = np.einsum("rd,d->r", ivf.reconstruct_batch(rows), query.dense)
        want = np.full(len(b.index.passages), -1.0, np.float32)
        np.maximum.at(want, b._row_passage[rows], decoded)
        np.testing.assert_allclose(b.dense_of(query.dense, cand), want[cand], atol=2e-6)
        np.testing.assert_allclose(
            b.dense_of(query.dense, cand), a.dense_scores(query.dense)[cand], atol=5e-3
        )


def test_ivf_recall_at_10_against_the_exact_scan():
    # Clustered synthetic vectors (what sentence embeddings look like: topics, near copies).
    rng = np.random.default_rng(1)
    centres = unit_rows(rng.normal(size=(100, 384)))
    x = unit_rows(centres[rng.integers(0, 100, 4000)] + rng.normal(0, 0.04, (4000, 384)))
    q = unit_rows(centres[rng.integers(0, 100, 200)] + rng.normal(0, 0.04, (200, 384)))
    _, truth = VectorIndex.build(x).search(q, 10)
    approx = VectorIndex.build(x, ann.IVF_SQ8)
    assert approx._index.nprobe < approx._index.nlist  # not every cell scanned
    _, found = approx.search(q, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.95


def two_indexes(index):
    """``index`` and the same vectors behind an approximate index."""
    vectors = VectorIndex.build(index.vectors.vectors(), ann.IVF_SQ8)
    return index, dataclasses.replace(index, vectors=vectors)


def test_candidate_ranking_matches_exact_ranking_with_fakes(monkeypatch):
    from test_retrieve import make_index

    emb = HashEmbedder(sparse=HashSparse())
    exact, approx = two_indexes(make_index(embedder=emb, sparse=HashSparse()))
    monkeypatch.setattr(retrieve_mod, "DENSE_CANDIDATES", 2)  # of 7 passages
    sizes = []
    for mode in ("hybrid", "dense", "lexical"):
        a, b = Retriever(exact, emb, mode), Retriever(approx, emb, mode)
        assert b.approximate and not a.approximate
        for q in ("متى بنيت قاعدة العديد", "كأس العالم", "1971", "ملعب لوسيل"):
            query = a.encode_query(q)
            lexical = b.bm25.scores(query.lexical)
            groups = b.group_bm25.scores(query.lexical)
            sizes.append(len(b.candidates(query, M.of(lexical), M.of(groups))))
            ra, rb = a.rank(query, 2), b.rank(query, 2)
            if mode == "lexical":  # passages scoring 0 tie; only those that match are ranked
                ra.hits[:] = [h for h in ra.hits if h.score > 0]
                rb.hits[:] = [h for h in rb.hits if h.score > 0]
            assert [h.passage.id for h in ra.hits] == [h.passage.id for h in rb.hits]
            assert rb.dense is None and not rb.stats.exact
            for x, y in zip(ra.hits, rb.hits, strict=True):
                assert y.score == pytest.approx(x.score, abs=5e-3)
                assert y.context == pytest.approx(x.context, abs=5e-3)
                assert y.lexical == pytest.approx(x.lexical, abs=1e-6)
    assert min(sizes) <= 3  # candidates are a real subset, not every passage


def test_exact_path_statistics_are_the_full_array():
    from test_retrieve import make_index

    emb = HashEmbedder()
    r = Retriever(make_index(embedder=emb), emb)
    ranking = r.rank(r.encode_query("قاعدة العديد"), 3)
    assert ranking.stats == ann.DenseStats.of(ranking.dense)
    tokens, idf = list(ranking.query.lexical), ranking.idf
    assert evidence(ranking.stats, tokens, idf) == evidence(ranking.dense, tokens, idf)


@pytest.mark.model
@pytest.mark.skipif(not (XQUAD / "ar.json").exists(), reason="XQuAD-R is not on this machine")
def test_candidate_ranking_on_a_real_xquad_slice(real_embedder, tmp_path, monkeypatch):
    data = json.loads((XQUAD / "ar.json").read_text(encoding="utf-8"))
    path = tmp_path / "ar.json"
    path.write_text(json.dumps({"data": data["data"][:4]}, ensure_ascii=False), "utf-8")
    pool = load_pool(path)
    exact = squad_index(pool, real_embedder)
    # Cells of 4 rows and 8 of them scanned: the inverted lists skip most rows, as at scale.
    monkeypatch.setattr(ann, "IVF_ROWS_PER_CELL", 4)
    monkeypatch.setattr(ann, "IVF_MIN_PROBES", 8)
    approx = squad_index(pool, real_embedder, ann_min_rows=0)
    assert not exact.vectors.approximate and approx.vectors.kind == ann.IVF_SQ8
    ivf = approx.vectors._index
    assert ivf.nprobe == 8 and ivf.nlist >= 20
    # Candidates and the statistics sample smaller than the pool, as at scale.
    n = len(pool.passages)
    monkeypatch.setattr(retrieve_mod, "DENSE_CANDIDATES", 20)
    monkeypatch.setattr(retrieve_mod, "STATS_SAMPLE", n // 2)
    a, b = Retriever(exact, real_embedder), Retriever(approx, real_embedder)
    queries = a.encode_queries([q.text for q in pool.questions])
    same, peaks, tops, sizes = 0, [], [], []
    for query in queries:
        ra, rb = a.rank(query, 3), b.rank(query, 3)
        lexical, groups = b.bm25.scores(query.lexical), b.group_bm25.scores(query.lexical)
        sizes.append(len(b.candidates(query, M.of(lexical), M.of(groups))))
        same += [h.passage.id for h in ra.hits] == [h.passage.id for h in rb.hits]
        ea = evidence(ra.stats, list(query.lexical), ra.idf)
        eb = evidence(rb.stats, list(query.lexical), rb.idf)
        tops.append(abs(ea.top - eb.top))
        peaks.append(abs(ea.peak - eb.peak) / max(ea.peak, 1e-6))
    assert len(queries) > 80 and n > 60
    assert np.median(sizes) < n  # candidates are a subset, as at scale
    assert same / len(queries) >= 0.97  # measured 0.993
    assert max(tops) < 0.005  # 8-bit quantised vectors: cosines within a few thousandths
    # A sample of n/2 passages estimates the spread within about 1/sqrt(n) (measured 0.10);
    # the whole population as the sample leaves only the quantisation error.
    assert np.median(peaks) < 0.2
    monkeypatch.setattr(retrieve_mod, "STATS_SAMPLE", n)
    b = Retriever(approx, real_embedder)
    errors = []
    for query in queries[:40]:
        ea = evidence(a.rank(query, 3).stats, list(query.lexical), a.bm25.idf)
        eb = evidence(b.rank(query, 3).stats, list(query.lexical), b.bm25.idf)
        errors.append(abs(ea.peak - eb.peak) / max(ea.peak, 1e-6))
    assert np.median(errors) < 0.01


def test_matches_stand_for_the_full_array():
    rng = np.random.default_rng(3)
    for _ in range(50):
        full = np.where(rng.random(40) < 0.3, rng.random(40).astype(np.float32), 0).astype(
            np.float32
        )
        m = M.of(full)
        where = np.sort(rng.choice(40, 15, replace=False))
        np.testing.assert_array_equal(m.unit_at(where), unit(full)[where])
        head = m.head(5)
        assert len(head) == min(5, int((full > 0).sum()))
        if len(head):
            assert full[head].min() >= np.sort(full)[::-1][len(head) - 1]
