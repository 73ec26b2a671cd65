"""Recall@10 of the approximate dense index against the exact scan, on real vectors grown
to archive size; memory a row and search time of each index kind.

Real vectors: every sentence of XQuAD-R Arabic and English (title: sentence, as the index
embeds it) and their questions, encoded by the configured model (default e5-small, ONNX).
Growing: row ``i`` of an ``N``-row collection is real sentence ``i mod B`` (B real ones) plus
Gaussian noise of standard deviation ``--noise`` in every dimension, renormalised to unit
length (the first B rows are the real sentences unchanged). With the default 0.025 a copy
keeps a cosine of about 0.89 with its source, about what separates two sentences of one
paragraph, so neighbourhoods are dense and ties are many: a hard case for a graph search.
Queries: ``--queries`` real questions (Arabic and English alternately), exact top-10 by
``IndexFlatIP``. The vectors are cached (``--cache``) so a second run skips the encoding.

    PYTHONPATH=. .venv/bin/python scripts/bench_ann.py [--sizes 100000 1000000] [--kinds ...]

Kinds: the product's ``ivf-sq8`` (bot/ann.py: ``ann.ivf_cells`` k-means cells over 8-bit
vectors, built by ``VectorIndex.build`` as a build does, with its row-major codes; ``--ef`` is
its nprobe, default the product's ``ann.ivf_probes``), and for comparison ``hnsw-sq8`` (index
format 6's graph; ``--ef`` is efSearch), ``hnsw-flat`` and ``hnsw-fp16``. Besides recall@10 of
the exact ids it reports epsilon recall (a found row within 0.01 similarity of the 10th exact
one counts: perturbed copies of one sentence tie), the top-1 similarity lost, and for the
product's kind the time to score 2,000 candidate rows from the row-major codes
(``VectorIndex.scores_of``, what ranking does for the lexical and sparse candidates).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import faiss  # noqa: E402

from bot import ann  # noqa: E402
from bot.index import VectorIndex  # noqa: E402

DATA = Path(os.environ.get("XQUAD_DIR", "/work/shared/bench-data/xquad-r"))


def real_vectors(cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """(sentence vectors, question vectors) of XQuAD-R ar + en, encoded once and cached."""
    if cache.exists():
        with np.load(cache) as z:
            return z["passages"], z["queries"]
    from bot.embed import load_embedder
    from bot.settings import load_settings
    from bot.squad import load_pool, passage_text

    emb = load_embedder(load_settings())
    texts, questions = [], []
    for lang in ("ar", "en"):
        pool = load_pool(DATA / f"{lang}.json")
        texts += [passage_text(pool, i) for i in range(len(pool.passages))]
        questions.append([q.text for q in pool.questions])
    qs = [q for pair in zip(*questions, strict=False) for q in pair]  # ar, en, ar, en, ...
    t0 = time.perf_counter()
    p = np.concatenate([emb.encode_passages(texts[s : s + 16]) for s in range(0, len(texts), 16)])
    q = np.concatenate([emb.encode_queries(qs[s : s + 16]) for s in range(0, len(qs), 16)])
    print(
        f"encoded {len(texts)} sentences, {len(qs)} questions in {time.perf_counter() - t0:.0f} s"
    )
    np.savez(cache, passages=p.astype(np.float32), queries=q.astype(np.float32))
    return p.astype(np.float32), q.astype(np.float32)


def grow(base: np.ndarray, n: int, noise: float, seed: int = 0) -> np.ndarray:
    """``n`` rows: the real ones, then perturbed copies (module docstring)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), np.float32)
    out[: min(n, len(base))] = base[:n]
    for s in range(len(base), n, 65536):
        e = min(n, s + 65536)
        x = base[np.arange(s, e) % len(base)] + rng.normal(0, noise, (e - s, base.shape[1]))
        out[s:e] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def build(kind: str, x: np.ndarray) -> tuple[faiss.Index, VectorIndex | None]:
    """An index of ``kind``: the product's (bot/ann.py, through ``VectorIndex.build``, which
    also makes the IVF's row-major codes) or a comparison one (no ``VectorIndex``)."""
    if kind in (ann.FLAT, ann.IVF_SQ8, ann.HNSW_SQ8):
        vi = VectorIndex.build(x, kind)
        return vi._index, vi
    d = x.shape[1]
    if kind == "hnsw-flat":
        idx = faiss.IndexHNSWFlat(d, ann.HNSW_M, faiss.METRIC_INNER_PRODUCT)
    elif kind == "hnsw-fp16":
        idx = faiss.IndexHNSWSQ(
            d, faiss.ScalarQuantizer.QT_fp16, ann.HNSW_M, faiss.METRIC_INNER_PRODUCT
        )
    else:
        raise SystemExit(f"unknown kind {kind}")
    idx.hnsw.efConstruction = ann.HNSW_EF_CONSTRUCTION
    if not idx.is_trained:
        idx.train(x[:: max(1, len(x) // ann.SQ_TRAIN_ROWS)])
    idx.add(x)
    return idx, None


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the exact top-10 found in the approximate top-10."""
    return float(
        np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--kinds", nargs="+", default=[ann.IVF_SQ8])
    p.add_argument(
        "--ef",
        type=int,
        nargs="+",
        help="search breadths: nprobe (IVF) or efSearch (HNSW); default the product's",
    )
    p.add_argument("--noise", type=float, default=0.025)
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--cache", type=Path, default=Path("/tmp/sanad-ann-vectors.npz"))
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    faiss.omp_set_num_threads(args.threads)
    base, queries = real_vectors(args.cache)
    queries = queries[: args.queries]
    print(f"real rows {len(base)}, queries {len(queries)}, noise sd {args.noise}")
    for n in args.sizes:
        x = grow(base, n, args.noise)
        b = len(base)
        m = min(2000, max(0, n - b))
        copy_cos = (
            float(np.mean(np.sum(x[b : b + m] * base[np.arange(b, b + m) % b], 1))) if m else 1.0
        )
        # The exact scan without an index's copy of the rows (1.5 GB at 1M).
        ip = faiss.METRIC_INNER_PRODUCT
        t0 = time.perf_counter()
        for q in queries[:100]:
            faiss.knn(q[None], x, 10, ip)
        flat_ms = (time.perf_counter() - t0) * 10
        truth_sim, truth = faiss.knn(queries, x, 10, ip)
        print(
            f"\nN={n:,}  mean cos(copy, source)={copy_cos:.3f}  flat: "
            f"{x.shape[1] * 4} B/row, {flat_ms:.2f} ms/query (one query at a time)"
        )
        for kind in args.kinds:
            t0 = time.perf_counter()
            idx, vi = build(kind, x)
            built = time.perf_counter() - t0
            size = len(faiss.serialize_index(idx))
            rowmajor = vi._row_codes.nbytes if vi is not None and vi._row_codes is not None else 0
            ivf = isinstance(idx, faiss.IndexIVF)
            print(
                f"  {kind:10} build {built:6.0f} s  {size / n:6.0f} B/row (FAISS file, in memory)"
                + (f" + {rowmajor / n:.0f} B/row row-major codes (mapped)" if rowmajor else "")
                + (f"  cells {idx.nlist}, product nprobe {idx.nprobe}" if ivf else "")
            )
            if vi is not None and vi.approximate:
                ids = np.random.default_rng(1).choice(n, (20, 2000))
                t0 = time.perf_counter()
                for q, rows in zip(queries[:20], ids, strict=True):
                    vi.scores_of(q, rows)
                print(
                    f"    2,000 candidate rows scored from the codes: "
                    f"{(time.perf_counter() - t0) * 50:.2f} ms/query"
                )
            default = [idx.nprobe] if ivf else [ann.HNSW_EF_SEARCH]
            for ef in args.ef or default:
                if isinstance(idx, faiss.IndexHNSW):
                    idx.hnsw.efSearch = ef
                else:
                    idx.nprobe = ef
                t0 = time.perf_counter()
                for q in queries[:100]:
                    idx.search(q[None], 10)
                ms = (time.perf_counter() - t0) * 10
                _, found = idx.search(queries, 10)
                _, cand = idx.search(queries, ann.DENSE_CANDIDATES)
                in_head = recall([set(c) for c in cand], truth)
                # ann-benchmarks' epsilon recall: a found row counts when its exact similarity
                # is within 0.01 of the 10th exact one (near-copies tie; a real miss does not).
                sims = np.einsum("qd,qkd->qk", queries, x[found])
                eps = float(np.mean(sims >= truth_sim[:, 9:10] - 0.01))
                gap = float(np.mean(truth_sim[:, 0] - sims.max(axis=1)))
                print(
                    f"    {'nprobe' if ivf else 'efSearch'} {ef:4d}: "
                    f"recall@10 {recall(found, truth):.4f}  eps-0.01 recall {eps:.4f}  "
                    f"top-1 similarity lost {gap:.4f}  "
                    f"top-10 in top-{ann.DENSE_CANDIDATES} {in_head:.4f}"
                    f"  {ms:.2f} ms/query  (flat/this {flat_ms / ms:.1f}x)"
                )
            del idx, vi
    return 0


if __name__ == "__main__":
    sys.exit(main())
