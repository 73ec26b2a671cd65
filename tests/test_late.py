"""Late interaction: the MaxSim store, and the real model's token vectors."""

import numpy as np
import pytest

from bot import arrays
from bot.late import LateIndex, pack, unpack


def onehot(*dims, size=4):
    m = np.zeros((len(dims), size), np.float16)
    m[np.arange(len(dims)), list(dims)] = 1
    return m


def test_maxsim_averages_each_query_tokens_best_match():
    index = LateIndex.build([onehot(0), onehot(0, 1), onehot(2, 3)], dim=4)
    query = onehot(0, 1).astype(np.float32)
    # Row 0 matches token 0 only: (1 + 0) / 2; row 1 both; row 2 neither.
    # int8 with a float16 scale: exact to ~1e-4.
    assert np.allclose(index.scores(query, np.array([0, 1, 2])), [0.5, 1.0, 0.0], atol=1e-3)
    assert np.allclose(index.scores(query, np.array([2, 0])), [0.0, 0.5], atol=1e-3)


def test_blas_and_einsum_products_agree(monkeypatch):
    from threadpoolctl import threadpool_info

    from bot import late

    rng = np.random.default_rng(0)
    index = LateIndex.build([rng.standard_normal((n, 32)) for n in (5, 0, 40, 12)], dim=32)
    query, rows = rng.standard_normal((7, 32)).astype(np.float32), np.array([3, 0, 1, 2])
    monkeypatch.setattr(late, "_blas_single", False)
    einsum = index.scores(query, rows)
    late.single_thread_blas()  # what a Sanad sets for the process
    assert late._blas_single
    assert all(lib["num_threads"] == 1 for lib in threadpool_info() if lib["user_api"] == "blas")
    assert np.allclose(index.scores(query, rows), einsum, atol=1e-5)


def test_empty_sides_score_zero():
    index = LateIndex.build([onehot(0), np.zeros((0, 4), np.float16), onehot(1)], dim=4)
    got = index.scores(onehot(0).astype(np.float32), np.array([1, 0, 2]))
    assert np.allclose(got, [0.0, 1.0, 0.0], atol=1e-3)
    assert index.scores(np.zeros((0, 4), np.float32), np.array([0, 2])).tolist() == [0.0, 0.0]
    assert index.scores(onehot(0).astype(np.float32), np.array([], np.int64)).tolist() == []
    empty = LateIndex.build([], dim=4)
    assert empty.count == 0 and empty.codes.shape == (0, 4)


def test_round_trip_is_memory_mapped(tmp_path, monkeypatch):
    monkeypatch.setattr(arrays, "MMAP_MIN_BYTES", 0)  # as an archive's files
    rows = [onehot(0, 1), onehot(3), np.zeros((0, 4), np.float16)]
    built = LateIndex.build(rows, dim=4)
    built.save(tmp_path)
    back = LateIndex.load(tmp_path)
    assert back.count == 3 and isinstance(back.codes, np.memmap)
    for i, r in enumerate(rows):
        assert np.allclose(unpack(back.row(i)), r.astype(np.float32), atol=1e-3)
        assert np.array_equal(back.row(i).codes, built.row(i).codes)
    q = onehot(0, 3).astype(np.float32)
    rows = np.array([0, 1, 2])
    assert back.scores(q, rows).tolist() == built.scores(q, rows).tolist()


def test_int8_packing_keeps_cosines():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    p = pack(x.astype(np.float16))
    assert p.codes.dtype == np.int8 and p.codes.nbytes + p.scales.nbytes == 50 * (384 + 2)
    assert np.abs(unpack(p) @ x.T - x @ x.T).max() < 0.01
    assert np.abs(np.abs(p.codes).max(axis=1) - 127).max() == 0  # the scale spans the range


@pytest.mark.model
def test_real_token_vectors_come_from_the_same_pass_and_cover_only_the_text(real_embedder):
    texts = ["ما هي أكبر منشأة عسكرية أميركية في الشرق الأوسط؟", "Where is Al Udeid Air Base?"]
    enc = real_embedder.encode(texts, "query")
    tokens = enc.tokens
    plain = real_embedder.encode_queries(texts)
    assert np.all(np.sum(enc.dense * plain, axis=1) > 0.9999)  # the same dense vectors
    for text, tok in zip(texts, tokens, strict=True):
        # Start token, prompt and end token are dropped: one vector per piece of the text.
        assert len(tok) == len(real_embedder.tokenizer.encode(text, add_special_tokens=False).ids)
        assert np.allclose(np.linalg.norm(tok.astype(np.float32), axis=1), 1.0, atol=1e-2)
    # The question's own words are what matches: its tokens find themselves in a sentence
    # that uses them better than in an unrelated one.
    [near, far] = real_embedder.encode(
        [
            "قاعدة العديد الجوية هي أكبر منشأة عسكرية أميركية في الشرق الأوسط.",
            "استضافت قطر كأس العالم لكرة القدم.",
        ],
        "passage",
    ).tokens
    index = LateIndex.build([near, far], real_embedder.dim)
    near_score, far_score = index.scores(tokens[1].astype(np.float32), np.array([0, 1]))
    assert near_score > far_score + 0.05


def test_small_files_are_read_into_memory(tmp_path):
    # A slice of a memmap is a Python object of its own: on a small index it cost more than
    # the scoring. Only files of at least arrays.MMAP_MIN_BYTES are mapped.
    LateIndex.build([onehot(0, 1), onehot(3)], dim=4).save(tmp_path)
    back = LateIndex.load(tmp_path)
    assert not isinstance(back.codes, np.memmap) and back.count == 2
    big = tmp_path / "big.npy"
    np.save(big, np.zeros(arrays.MMAP_MIN_BYTES // 8 + 16, np.int64))
    assert isinstance(arrays.load_array(big), np.memmap)
    assert not isinstance(arrays.load_array(big, mmap=False), np.memmap)


def test_blas_maxsim_is_the_plain_product_to_the_bit(monkeypatch):
    """On one BLAS thread the product runs as tokens @ query.T: the same numbers as the plain
    ``query @ tokens.T`` over the rows' tokens concatenated, scaled, maxed per row and
    averaged over the query tokens in order (the computation it replaced)."""
    from bot import late

    monkeypatch.setattr(late, "_blas_single", True)
    rng = np.random.default_rng(1)
    sizes = [int(n) for n in rng.integers(0, 60, 40)] + [0, 3]
    index = LateIndex.build([rng.standard_normal((n, 384)) for n in sizes], dim=384)
    for _ in range(20):
        rows = rng.choice(len(sizes), int(rng.integers(1, 25)), replace=False)
        query = rng.standard_normal((int(rng.integers(1, 40)), 384)).astype(np.float16)
        kept = [r for r in rows if sizes[r]]
        t = np.concatenate([index.codes[index.offsets[r] : index.offsets[r + 1]] for r in kept])
        s = np.concatenate([index.scales[index.offsets[r] : index.offsets[r + 1]] for r in kept])
        sims = query.astype(np.float32) @ t.astype(np.float32).T
        sims *= s.astype(np.float32)[None, :]
        starts = np.cumsum([0] + [sizes[r] for r in kept[:-1]])
        want = np.zeros(len(rows), np.float32)
        want[[j for j, r in enumerate(rows) if sizes[r]]] = np.maximum.reduceat(
            sims, starts, axis=1
        ).mean(axis=0)
        assert np.array_equal(index.scores(query, rows), want)
