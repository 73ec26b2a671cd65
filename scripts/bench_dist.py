"""Figures for docs/quality.md "Distributed build and vector store" (short; one run).

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_dist.py [--copies 5] [--asks 30]

1. Build throughput: the seed corpus repeated ``--copies`` times (as distinct documents), built
   locally, on a local Ray cluster with 1 worker and with 2 workers; texts/s of the encoding
   step and of the whole build (Ray: cluster start and model loads included), and the max abs
   difference of the Ray-built vectors from the local ones.
2. ``/v1/chat`` p50 on the seed with the dense vectors in Milvus Lite against FAISS, the two
   apps asked alternately in the same run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.corpus import load_corpus  # noqa: E402
from bot.embed import load_embedder  # noqa: E402
from bot.encoding import encode_locally  # noqa: E402
from bot.index import build_index  # noqa: E402
from bot.settings import Settings  # noqa: E402


def corpus_copies(dst: Path, copies: int) -> Path:
    src = ROOT / "corpus" / "qatar-defense-partnerships"
    for n in range(copies):
        folder = dst / f"copy-{n}"
        shutil.copytree(src, folder)
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        meta["id"] = f"copy-{n}"
        (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return dst


def timed(encode):
    spent = [0.0]

    def wrapper(items, progress):
        t = time.perf_counter()
        out = encode(items, progress)
        spent[0] += time.perf_counter() - t
        return out

    return wrapper, spent


def builds(tmp: Path, copies: int) -> None:
    from bot import ray_build

    settings = Settings(corpus_dir=corpus_copies(tmp / "corpus", copies), index_dir=tmp / "x")
    docs = load_corpus(settings.corpus_dir)
    embedder = load_embedder(settings)
    texts = sum(len(d.passages) * 2 for d in docs)
    print(
        f"corpus: {len(docs)} documents, {sum(len(d.passages) for d in docs)} passages, "
        f"{texts} texts (dense + sparse + token vectors each)"
    )
    t = time.perf_counter()
    enc, spent = timed(encode_locally(embedder))
    local, n = build_index(tmp / "local", docs, embedder, encode=enc)
    total = time.perf_counter() - t
    print(f"local      encode {n / spent[0]:6.1f} texts/s   build {n / total:6.1f} texts/s")
    base = local.vectors.vectors()
    for workers in (1, 2):
        t = time.perf_counter()
        ray_build.start(num_cpus=2)
        enc, spent = timed(
            ray_build.encode_on_ray(partial(load_embedder, settings), embedder, workers=workers)
        )
        built, n = build_index(tmp / f"ray{workers}", docs, embedder, encode=enc)
        ray_build.stop()
        total = time.perf_counter() - t
        diff = float(np.abs(built.vectors.vectors() - base).max())
        print(
            f"ray {workers} wkr  encode {n / spent[0]:6.1f} texts/s   build {n / total:6.1f} "
            f"texts/s   (encode / local encode time: see above)   max|dv| {diff:.2e}   "
            f"same id {built.id == local.id}"
        )


def chat_latency(tmp: Path, asks: int) -> None:
    from fastapi.testclient import TestClient

    from bot.api import create_app
    from bot.service import Sanad

    base = Settings(index_dir=tmp / "faiss")
    embedder = load_embedder(base)
    faiss = Sanad.open(base, embedder=embedder)
    shutil.copytree(tmp / "faiss", tmp / "milvus")  # the Milvus build reuses these vectors
    milvus = Sanad.open(
        base.model_copy(
            update={
                "index_dir": tmp / "milvus",
                "vector_store": "milvus",
                "milvus_uri": str(tmp / "m.db"),
            }
        ),
        embedder=embedder,
    )
    qs = [
        json.loads(line)["question"]
        for line in (ROOT / "tests" / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    times: dict[str, list[float]] = {"faiss": [], "milvus": []}
    with TestClient(create_app(sanad=faiss)) as a, TestClient(create_app(sanad=milvus)) as b:
        for i in range(asks):
            q = qs[i % len(qs)]
            for name, client in (("faiss", a), ("milvus", b)):
                t = time.perf_counter()
                r = client.post("/v1/chat", json={"question": q})
                times[name].append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
    p50 = {k: statistics.median(v) * 1000 for k, v in times.items()}
    print(
        f"/v1/chat p50 over {asks} questions: FAISS {p50['faiss']:.1f} ms, Milvus Lite "
        f"{p50['milvus']:.1f} ms, ratio {p50['milvus'] / p50['faiss']:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--asks", type=int, default=30)
    ap.add_argument("--skip-builds", action="store_true")
    ap.add_argument("--skip-chat", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not args.skip_builds:
            builds(tmp, args.copies)
        if not args.skip_chat:
            chat_latency(tmp, args.asks)


if __name__ == "__main__":
    main()
