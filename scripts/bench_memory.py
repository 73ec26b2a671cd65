"""Memory per passage of the passage store, the lexical postings and the learned sparse vectors,
and the cost of a question on them, at archive scale.

    PYTHONPATH=. .venv/bin/python scripts/bench_memory.py --passages 100000

The passages are the XQuAD-R Arabic and English sentences (data: /work/shared/bench-data/
xquad-r, CC BY-SA 4.0), repeated under new document ids until there are ``--passages`` of them
(each paragraph a document, so a group; vocabulary: that of those sentences). Each passage has
one vector row. Sparse rows are the real sparse vectors of ``--sample`` of those sentences
(the model's own, encoded here), repeated over the rows; questions are real XQuAD-R questions,
encoded by the model. The build files are written with the index's own writers, then read back
in a fresh process that reports its resident memory (VmRSS, split into anonymous and
file-backed pages: the postings are memory-mapped) after each part, and after questions have
touched the mapped pages. Dense and token vectors are not measured here (see bench_scale.py).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

DATA = Path("/work/shared/bench-data/xquad-r")


def rss() -> dict[str, int]:
    """This process's resident memory in bytes: total, anonymous, file-backed."""
    gc.collect()
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0]) * 1024
    return out


def synthesise(n: int, data: Path):
    """``n`` passages from the ar and en XQuAD-R sentences, and some questions of each."""
    from bot.squad import load_pool

    pools = [load_pool(data / f"{lang}.json") for lang in ("ar", "en")]
    base = [p for pool in pools for p in pool.passages]
    questions = [q.text for pool in pools for q in pool.questions[::20]]
    out, copy = [], 0
    while len(out) < n:
        for p in base[: n - len(out)]:
            doc = f"x{copy:04d}-{p.doc_id}"
            out.append(replace(p, id=f"{doc}:{p.n}", doc_id=doc))
        copy += 1
    return out, questions


def build(args) -> dict:
    """Write the build files into ``args.dir``; time the scoring of both sparse layouts."""
    from bot.embed import load_embedder
    from bot.index import passage_tokens
    from bot.lexical import tokenize
    from bot.postings import Postings
    from bot.settings import Settings
    from bot.sparse import SparseIndex

    folder = Path(args.dir)
    passages, questions = synthesise(args.passages, Path(args.data))
    cache: dict[str, list[str]] = {}  # the sentences repeat: each is tokenised once

    def tokens_of(p) -> list[str]:
        if p.text not in cache:
            cache[p.text] = passage_tokens(p)
        return cache[p.text]

    t0 = time.perf_counter()
    with (folder / "passages.jsonl").open("w", encoding="utf-8") as f:
        for p in passages:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    Postings.build(tokens_of(p) for p in passages).save(folder / "lexical")
    lexical_s = time.perf_counter() - t0
    # Format 4 kept every passage's tokens in memory: written here to measure what they cost.
    with (folder / "tokens.jsonl").open("w", encoding="utf-8") as f:
        for p in passages:
            f.write(json.dumps(tokens_of(p), ensure_ascii=False) + "\n")
    embedder = load_embedder(Settings())
    sample = [p.text for p in passages[: args.sample]]
    vectors = embedder.encode(sample, "passage").sparse
    queries = embedder.encode(questions, "query").sparse
    dim = embedder.sparse_dim
    cache.clear()
    del embedder, passages  # the memory back before the big arrays are made
    gc.collect()
    rows = [vectors[i % len(vectors)] for i in range(args.passages)]
    t0 = time.perf_counter()
    sparse = SparseIndex.build(dim, rows)
    sparse.save(folder / "sparse")
    sparse_s = time.perf_counter() - t0
    with (folder / "queries.json").open("w", encoding="utf-8") as f:
        json.dump(
            {
                "lexical": [tokenize(q) for q in questions],
                "sparse": [[ix.tolist(), v.tolist()] for ix, v in queries],
            },
            f,
        )
    # The gather over every stored weight (format 4) against the inverted postings.
    indptr = np.zeros(len(rows) + 1, np.int64)
    indptr[1:] = np.cumsum([len(ix) for ix, _ in rows])
    indices = np.concatenate([ix for ix, _ in rows]).astype(np.int32)
    values = np.concatenate([v for _, v in rows]).astype(np.float32)
    row_of = np.repeat(np.arange(len(rows), dtype=np.int32), np.diff(indptr))
    gather, inverted = [], []
    for q in queries[:: max(1, len(queries) // 20)]:
        t = time.perf_counter()
        dense_q = np.zeros(sparse.dim, np.float32)
        dense_q[q[0]] = q[1]
        np.bincount(row_of, weights=dense_q[indices] * values, minlength=len(rows))
        gather.append(time.perf_counter() - t)
        t = time.perf_counter()
        sparse.scores(q)
        inverted.append(time.perf_counter() - t)
    return {
        "passages": args.passages,
        "questions": len(questions),
        "sparse_nnz_per_row": round(len(indices) / len(rows), 1),
        "write_s": {"passages + lexical": round(lexical_s, 1), "sparse": round(sparse_s, 1)},
        "sparse_ms_per_question": {
            "gather (format 4)": round(1000 * float(np.median(gather)), 2),
            "inverted": round(1000 * float(np.median(inverted)), 2),
        },
    }


def measure(folder: Path) -> dict:
    """Load each part as the server does and report what it adds to resident memory."""
    from bot.index import _read_passages
    from bot.lexical import BM25
    from bot.postings import Postings
    from bot.retrieve import passage_groups
    from bot.sparse import SparseIndex

    q = json.loads((folder / "queries.json").read_text(encoding="utf-8"))
    steps, before = {}, rss()

    def step(name: str) -> None:
        nonlocal before
        now = rss()
        steps[name] = {k: now[k] - before[k] for k in now}
        before = now

    passages, _ = _read_passages(folder / "passages.jsonl")
    step("passages")
    postings = Postings.load(folder / "lexical")
    bm25 = BM25(postings)
    groups = passage_groups(passages)
    n_groups = int(groups.max()) + 1
    group_bm25 = BM25(postings.grouped(groups, n_groups))
    step("lexical (loaded)")
    t = time.perf_counter()
    for tokens in q["lexical"]:
        bm25.candidates(tokens)
        group_bm25.candidates(tokens)
    lexical_ms = 1000 * (time.perf_counter() - t) / len(q["lexical"])
    t = time.perf_counter()
    for tokens in q["lexical"]:
        postings.matches(tokens)  # a claim's coverage of every passage (verify.py)
    coverage_ms = 1000 * (time.perf_counter() - t) / len(q["lexical"])
    t = time.perf_counter()
    for tokens in q["lexical"]:
        bm25.scores(tokens)
        group_bm25.scores(tokens)[groups]
    full_ms = 1000 * (time.perf_counter() - t) / len(q["lexical"])
    step("lexical (after questions)")
    sparse = SparseIndex.load(folder / "sparse")
    step("sparse (loaded)")
    for ix, v in q["sparse"]:
        sparse.scores((np.array(ix, np.int32), np.array(v, np.float32)))
    step("sparse (after questions)")
    with (folder / "tokens.jsonl").open(encoding="utf-8") as f:
        tokens = [json.loads(line) for line in f]
    step("format 4: token lists")
    sets = [set(t) for t in tokens]
    step("format 4: verify's token sets")
    del sets, tokens
    n = len(passages)
    return {
        "passages": n,
        "groups": n_groups,
        "vocabulary": postings.size,
        "postings": len(postings.docs),
        "lexical_ms_per_question": {
            "candidates (sentence + group BM25)": round(lexical_ms, 2),
            "full arrays (sentence + group BM25)": round(full_ms, 2),
            "claim coverage of every passage": round(coverage_ms, 2),
        },
        "bytes_per_passage": {
            name: {k: round(v / n) for k, v in d.items()} for name, d in steps.items()
        },
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--passages", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=256, help="sentences encoded for sparse rows")
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure))))
        return 0
    with tempfile.TemporaryDirectory(prefix="sanad-mem-") as tmp:
        args.dir = tmp
        report = build(args)
        out = subprocess.run(
            [sys.executable, __file__, "--measure", tmp], capture_output=True, text=True, check=True
        )
        report.update(json.loads(out.stdout))
        print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
