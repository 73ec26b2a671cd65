"""How to store the token vectors of late interaction: R@1 and bytes for each option.

Encodes the XQuAD-R Arabic pool once (each sentence with its title, as the index does; and
the sentence alone), the Arabic and English questions once, then ranks every question with
the default hybrid retriever over token vectors stored each way:

- ``f16``: float16, the sentence encoded alone (the stored format up to index format 4);
- ``int8-token`` / ``int8-dim``: int8 with one float16 scale per token / per dimension;
- ``int4-token``: 4 bits a number, one scale per token;
- ``pq48`` / ``pq24``: FAISS product quantisation, 48 or 24 bytes a token;
- ``-content``: punctuation and stop-word tokens dropped;
- ``ctx-*``: the sentence's tokens sliced out of the same pass that encodes it with its title
  (one model pass a sentence instead of two);
- and the cost of re-encoding the head (10 sentences) at question time instead of storing
  anything, as a ratio to the question's own forward pass.

    PYTHONPATH=. python scripts/bench_late.py [--pool ar.json] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
import time
import unicodedata
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.embed import load_embedder, token_fingerprint  # noqa: E402
from bot.index import Built, LateIndex, Row, SparseIndex  # noqa: E402
from bot.lexical import _STOP_AR, _STOP_EN  # noqa: E402
from bot.normalize import dense_text, normalize  # noqa: E402
from bot.retrieve import RERANK_DEPTH, Retriever  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.squad import gold_rank, load_pool, load_queries, passage_text  # noqa: E402

X = Path("/work/shared/bench-data/xquad-r")


def int8(rows, per="token"):
    allv = np.concatenate(rows).astype(np.float32)
    if per == "dim":
        scale = np.abs(allv).max(axis=0) / 127
    out = []
    for r in rows:
        x = r.astype(np.float32)
        s = np.abs(x).max(axis=1, keepdims=True) / 127 if per == "token" else scale
        s = np.maximum(s, 1e-12).astype(np.float16).astype(np.float32)
        out.append((np.round(x / s).clip(-127, 127) * s).astype(np.float16))
    return out


def int4(rows):
    out = []
    for r in rows:
        x = r.astype(np.float32)
        s = np.maximum(np.abs(x).max(axis=1, keepdims=True) / 7, 1e-12)
        out.append((np.round(x / s).clip(-7, 7) * s).astype(np.float16))
    return out


def pq(rows, m):
    allv = np.ascontiguousarray(np.concatenate(rows).astype(np.float32))
    q = faiss.ProductQuantizer(allv.shape[1], m, 8)
    q.train(allv)
    dec = q.decode(q.compute_codes(allv))
    out, at = [], 0
    for r in rows:
        out.append(dec[at : at + len(r)].astype(np.float16))
        at += len(r)
    return out


def content_mask(pieces: list[str]) -> np.ndarray:
    """True for a token that is not punctuation nor a whole stop word."""
    keep = np.ones(len(pieces), bool)
    for j, p in enumerate(pieces):
        w = p.lstrip("▁")
        if not w or all(unicodedata.category(c)[0] in "PS" for c in w):
            keep[j] = False
            continue
        whole = p.startswith("▁") and (j + 1 == len(pieces) or pieces[j + 1].startswith("▁"))
        if whole and normalize(w) in (_STOP_AR | _STOP_EN):
            keep[j] = False
    return keep


def pieces_of(embedder, text: str, at: int) -> list[str]:
    from bot.embed import _first_token

    prompt = embedder.prompts["passage"]
    enc = embedder.tokenizer.encode(prompt + text)
    skip = embedder.skip["passage"]
    first = _first_token(enc.offsets, skip, len(prompt) + at) if at else skip
    return enc.tokens[first : len(enc.ids) - 1]


def rank_all(index, embedder, queries, questions, position):
    r = Retriever(index, embedder)
    ranks = []
    for q, query in zip(questions, queries, strict=True):
        hits = r.rank(query, 10).hits
        ranks.append(gold_rank([position[h.passage.id] for h in hits], q.gold))
    n = len(ranks)
    return {
        "R@1": round(sum(1 for x in ranks if x == 1) / n, 4),
        "R@10": round(sum(1 for x in ranks if x is not None) / n, 4),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", default=str(X / "ar.json"))
    ap.add_argument("--queries", default=str(X / "en.json"))
    ap.add_argument("--limit", type=int, default=0, help="questions per set (0: all)")
    ap.add_argument("--cache", help="pickle of the encodings: written once, then read")
    args = ap.parse_args()
    embedder = load_embedder(load_settings())
    pool = load_pool(Path(args.pool))
    sets = {"ar": pool.questions, "en": load_queries(Path(args.queries), pool)}
    if args.limit:
        sets = {k: v[: args.limit] for k, v in sets.items()}
    views = [passage_text(pool, i) for i in range(len(pool.passages))]
    bare = [dense_text(p.text) for p in pool.passages]
    assert all(v.endswith(b) for v, b in zip(views, bare, strict=True))
    starts = [len(v) - len(b) for v, b in zip(views, bare, strict=True)]
    B = 64
    cache = Path(args.cache) if args.cache else None
    if cache is not None and cache.is_file():
        with cache.open("rb") as f:
            dense, sparse, ctx, alone, qcache = pickle.load(f)
    else:
        t0 = time.perf_counter()
        dense, sparse, ctx = [], [], []
        for s in range(0, len(views), B):
            enc = embedder.encode(views[s : s + B], "passage", token_from=starts[s : s + B])
            dense.append(enc.dense)
            sparse += enc.sparse
            ctx += enc.tokens
        t1 = time.perf_counter()
        alone = []
        for s in range(0, len(bare), B):
            alone += embedder.encode(bare[s : s + B], "passage").tokens
        t2 = time.perf_counter()
        print(
            f"encode: {len(views)} sentences with title {t1 - t0:.1f} s, alone {t2 - t1:.1f} s",
            flush=True,
        )
        qcache = None
    rows = [Row(i, "source", str(i)) for i in range(len(pool.passages))]
    manifest = {
        "id": "bench-late",
        "passage_count": len(rows),
        "sparse": embedder.features.sparse,
        "late": token_fingerprint(embedder),
    }
    base = Built(
        pool.passages,
        rows,
        np.concatenate(dense),
        SparseIndex.build(embedder.features.sparse_dim, sparse),
        LateIndex.build(alone, embedder.dim),
    ).loaded(manifest)
    encoder = Retriever(base, embedder)
    queries = qcache or {
        k: [
            q
            for s in range(0, len(v), 32)
            for q in encoder.encode_queries([x.text for x in v[s : s + 32]])
        ]
        for k, v in sets.items()
    }
    if cache is not None and not cache.is_file():
        with cache.open("wb") as f:
            pickle.dump((dense, sparse, ctx, alone, queries), f)
    position = {p.id: i for i, p in enumerate(pool.passages)}
    masks_alone = [content_mask(pieces_of(embedder, b, 0)) for b in bare]
    masks_ctx = [
        content_mask(pieces_of(embedder, v, a)) for v, a in zip(views, starts, strict=True)
    ]
    for r, m in zip(alone, masks_alone, strict=True):
        assert len(r) == len(m), (len(r), len(m))
    for r, m in zip(ctx, masks_ctx, strict=True):
        assert len(r) == len(m), (len(r), len(m))
    ntok = sum(len(r) for r in alone) / len(alone)
    ntok_content = sum(int(m.sum()) for m in masks_alone) / len(alone)
    d = embedder.dim
    variants = {
        "f16": (alone, ntok * d * 2),
        "int8-token": (int8(alone), ntok * (d + 2)),
        "int8-dim": (int8(alone, "dim"), ntok * d),
        "int4-token": (int4(alone), ntok * (d / 2 + 2)),
        "pq48": (pq(alone, 48), ntok * 48),
        "pq24": (pq(alone, 24), ntok * 24),
        "f16-content": (
            [r[m] for r, m in zip(alone, masks_alone, strict=True)],
            ntok_content * d * 2,
        ),
        "int8-token-content": (
            int8([r[m] for r, m in zip(alone, masks_alone, strict=True)]),
            ntok_content * (d + 2),
        ),
        "ctx-f16": (ctx, sum(len(r) for r in ctx) / len(ctx) * d * 2),
        "ctx-int8-token": (int8(ctx), sum(len(r) for r in ctx) / len(ctx) * (d + 2)),
        "ctx-int8-token-content": (
            int8([r[m] for r, m in zip(ctx, masks_ctx, strict=True)]),
            sum(int(m.sum()) for m in masks_ctx) / len(ctx) * (d + 2),
        ),
    }
    report = {"tokens_per_sentence": round(ntok, 1), "content_tokens": round(ntok_content, 1)}
    for name, (toks, nbytes) in variants.items():
        index = replace(base, late=LateIndex.build(toks, d))
        res = {k: rank_all(index, embedder, queries[k], sets[k], position) for k in sets}
        report[name] = {"bytes_per_sentence": int(nbytes), **res}
        print(name, json.dumps(report[name]), flush=True)
    # Re-encoding the head at question time instead of storing anything.
    ratios = []
    qs = sets["en"][:20]
    for q in qs:
        a = time.perf_counter()
        embedder.encode([q.text], "query")
        b = time.perf_counter()
        embedder.encode(bare[:RERANK_DEPTH], "passage")
        c = time.perf_counter()
        ratios.append((c - b) / (b - a))
    report["reencode_head_over_question"] = round(statistics.median(ratios), 2)
    print(
        "re-encode head / question forward (median of 20):", report["reencode_head_over_question"]
    )
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
