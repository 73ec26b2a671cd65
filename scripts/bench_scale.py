"""Archive-scale benchmark: build throughput, memory, disk, dense recall and /v1/chat latency
of the production index at 10k, 100k (and on request 1M) passages, each against the seed
article measured in the same run.

The archive (scripts/scale_archive.py): the 48 XQuAD-R articles in 11 languages as 528
corpus documents (10,412 passages as the product segments them), encoded for real once by the
product's encoding step and cached (``--cache``); past that, copies of them with each
sentence's words shuffled, whose vectors are the originals' plus seeded Gaussian noise,
renormalised. The index is written by ``bot.index.build_index`` with an injected encoding step
that returns those vectors (``bot.encoding.Encode``), so it is the production format, and the
server loads it as any index (``SANAD_CORPUS_DIR`` / ``SANAD_INDEX_DIR``).

Figures per size: **build** passages/s = passages / (real encode seconds per row, measured
on the base documents in this machine, x rows + the measured rest of ``build_index``:
segmenting aside, assembling, writing, loading); **RSS** of the serving process
after the questions (and minus the seed server's RSS: what the archive adds); **disk** bytes
per passage of the build folder; **dense recall@10** of the loaded vector index against an
exact scan of the same vectors (XQuAD-R questions, ar and en); ``/v1/chat`` **p50/p95**
through ``bot serve`` on loopback, questions from XQuAD-R (ar and en, each asked once), with
ratios to the seed article's p50/p95 in the same run. ``--milvus``: the same through
``SANAD_VECTOR_STORE=milvus`` (Milvus Lite), built by ``bot index build`` from the FAISS
build's vectors, and Milvus recall@10 against the exact scan.

The build's peak RSS (``VmHWM`` of this process during ``build_index``) is reported beside
its RSS before; ``--keep`` keeps the corpora and builds under ``--cache`` for re-measuring.

    PYTHONPATH=. .venv/bin/python scripts/bench_scale.py [--sizes 10k,100k,1M] [--milvus]
        [--questions 60] [--cache DIR] [--json out.json] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_api import pct, rss_mb, start_server  # noqa: E402
from scale_archive import (  # noqa: E402
    DENSE_NOISE,
    LANGS,
    SPARSE_NOISE,
    TOKEN_NOISE,
    base_documents,
    dense_vector,
    encoding_order,
    precomputed_encode,
    real_encodings,
    row_plan,
    row_texts,
    write_corpus,
    write_doc,
)
from xquad_to_jsonl import DATA, convert, parse_articles  # noqa: E402

K = 10


def parse_size(text: str) -> int:
    """``"10k"`` -> 10000, ``"1M"`` -> 1000000, ``"300"`` -> 300."""
    t = text.strip().lower()
    mult = {"k": 1000, "m": 1_000_000}.get(t[-1:], 1)
    try:
        n = int(float(t[:-1] if mult > 1 else t) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 10k, 100k, 1M)") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"size {text!r} must be positive")
    return n


# ------------------------------------------------------------------------------ measuring


def questions(data: Path, n: int, articles: set[int]) -> list[str]:
    """``n`` distinct XQuAD-R questions, Arabic and English interleaved, on the given
    articles (every third one, for a spread)."""
    per = {}
    for lang in ("ar", "en"):
        qs = [q for q in convert(lang, None, data)[1] if q["article"] in articles]
        per[lang] = list(dict.fromkeys(q["question"] for q in qs))[::3]
    mixed = [q for pair in zip(per["ar"], per["en"], strict=False) for q in pair]
    return mixed[:n]


def exact_blocks(real: dict, plan: dict, rows: list[str], block: int = 65_536):
    """The dense vectors of ``rows`` (texts, in row order) as the build was given them, made
    again block by block (scale_archive.dense_vector): at 1M rows they are not kept."""
    for a in range(0, len(rows), block):
        yield np.stack([dense_vector(real, plan, t) for t in rows[a : a + block]])


def folder_bytes(path: Path) -> int:
    """Bytes of the files under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def recall_at_k(exact, queries: np.ndarray, search, k: int = K) -> float:
    """Mean overlap of ``search``'s top ``k`` with the exact inner-product top ``k``;
    ``exact`` is the matrix of every row, or its blocks in row order (an iterable), so a
    million rows need not be in memory at once."""
    blocks = [exact] if isinstance(exact, np.ndarray) else exact
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_i = np.zeros((len(queries), 0), np.int64)
    at = 0
    for block in blocks:
        s = np.concatenate([best_s, queries @ np.asarray(block, np.float32).T], axis=1)
        ids = np.broadcast_to(np.arange(at, at + len(block)), (len(queries), len(block)))
        i = np.concatenate([best_i, ids], axis=1)
        top = np.argsort(-s, axis=1, kind="stable")[:, :k]
        best_s, best_i = np.take_along_axis(s, top, 1), np.take_along_axis(i, top, 1)
        at += len(block)
    truth = best_i
    _, found = search(queries, k)
    return float(np.mean([len(set(t) & set(f)) / k for t, f in zip(truth, found, strict=True)]))


def serve(corpus: Path, index: Path, qs: list[str], extra: dict | None = None) -> dict:
    """Start ``bot serve`` on the corpus and index, ask every question once; p50/p95 (s),
    seconds to become ready, and the server's RSS (MB) after the questions."""
    env = {**os.environ, "SANAD_CORPUS_DIR": str(corpus), "SANAD_INDEX_DIR": str(index)}
    env.update(SANAD_RATE_LIMIT="0", SANAD_ANSWER_CACHE="0", **(extra or {}))
    t0 = time.perf_counter()
    proc, url = start_server(env, wait_s=3600)
    ready = time.perf_counter() - t0
    try:
        with httpx.Client(timeout=300) as http:
            for q in ["warm-up question one", "سؤال للتسخين"]:
                http.post(f"{url}/v1/chat", json={"question": q}).raise_for_status()
            lat = []
            for q in qs:
                t = time.perf_counter()
                http.post(f"{url}/v1/chat", json={"question": q}).raise_for_status()
                lat.append(time.perf_counter() - t)
            info = http.get(f"{url}/v1/info").json()
        return {
            "p50": statistics.median(lat),
            "p95": pct(lat, 0.95),
            "ready_s": round(ready, 1),
            "rss_mb": rss_mb(proc.pid),
            "index": info["index"]["id"],
        }
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def reset_peak_rss() -> float:
    """Start this process's peak RSS (``VmHWM``) again from its current RSS (Linux
    ``clear_refs``); the current RSS in MB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # then the peak is the process's whole life's: still an upper bound
    return rss_mb(os.getpid())


def peak_rss_mb() -> float:
    """This process's peak RSS (``VmHWM``) in MB since :func:`reset_peak_rss`."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def ms(x: float) -> float:
    return round(x * 1000, 1)


def query_vectors(embedder, qs: list[str]) -> np.ndarray:
    """The dense query vectors the retriever searches with (``dense_text``, ``query`` kind)."""
    from bot.normalize import dense_text

    return np.concatenate(
        [
            embedder.encode([dense_text(q) for q in qs[s : s + 32]], "query").dense
            for s in range(0, len(qs), 32)
        ]
    ).astype(np.float32)


def open_dense(index_dir: Path):
    """The dense vector index of the live build, as the server opens it."""
    from bot.index import current_path, open_vectors

    path = current_path(index_dir)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    return path, open_vectors(path, manifest)


def milvus_build(corpus: Path, faiss_index: Path, target: Path, uri: Path) -> dict:
    """``bot index build`` with the Milvus store, on a copy (hard links) of the FAISS index: the
    product reuses its vectors by key and writes them to Milvus; seconds taken."""
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["cp", "-al", str(faiss_index), str(target)], check=True)
    env = {**os.environ, "SANAD_CORPUS_DIR": str(corpus), "SANAD_INDEX_DIR": str(target)}
    env.update(SANAD_VECTOR_STORE="milvus", SANAD_MILVUS_URI=str(uri))
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "index", "build"],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return {"SANAD_VECTOR_STORE": "milvus", "SANAD_MILVUS_URI": str(uri)}, time.perf_counter() - t0


def measure_size(
    size: int, work: Path, base, real: dict, embedder, qs, qvecs, seed: dict, milvus: bool
) -> dict:
    """Make the archive of ``size`` passages, build its index, serve it; the figures."""
    from bot.corpus import load_corpus
    from bot.index import build_index

    corpus, index = work / f"corpus-{size}", work / f"index-{size}"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)
    write_corpus(corpus, base, size)
    t0 = time.perf_counter()
    docs = load_corpus(corpus)
    load_s = time.perf_counter() - t0
    plan, odd = row_plan(docs, base)
    encode, spent, _ = precomputed_encode(real, plan, keep=False)
    rss_before = reset_peak_rss()
    t0 = time.perf_counter()
    loaded, texts = build_index(index, docs, embedder, force=True, encode=encode)
    build_s = time.perf_counter() - t0 - spent[0]
    build_peak = peak_rss_mb()
    passages = len(loaded.passages)
    del loaded
    rows = [t for t, _ in row_texts(docs)]
    ndocs = len(docs)
    del docs

    per_row = real["meta"]["seconds"] / real["meta"]["rows"]
    path, vecs = open_dense(index)
    r = {
        "passages": passages,
        "rows": len(rows),
        "documents": ndocs,
        "copy_passages_renumbered": odd,
        "corpus_load_s": round(load_s, 1),
        "encode_s_estimated": round(texts * per_row, 1),
        "assemble_write_s": round(build_s, 1),
        "build_passages_per_s": round(passages / (texts * per_row + build_s), 1),
        "build_vs_bare_encode": round(texts * per_row / (texts * per_row + build_s), 3),
        "disk_bytes_per_passage": round(folder_bytes(path) / passages),
        "corpus_bytes_per_passage": round(folder_bytes(corpus) / passages),
        "build_rss_before_mb": rss_before,
        "build_peak_rss_mb": build_peak,
        "build_peak_over_before_mb": round(build_peak - rss_before, 1),
        "disk_bytes": folder_bytes(path),
        "index_path": str(path),
        "dense_index": getattr(vecs, "kind", type(getattr(vecs, "_index", vecs)).__name__),
        "recall_at_10": round(recall_at_k(exact_blocks(real, plan, rows), qvecs, vecs.search), 4),
    }
    del vecs
    print(json.dumps({"built": r}), flush=True)  # the build's figures, before serving
    s = serve(corpus, index, qs)
    r.update(served(s, seed["faiss"]))
    if milvus:
        extra, secs = milvus_build(
            corpus, index, work / f"index-{size}-milvus", work / f"milvus-{size}.db"
        )
        m = serve(corpus, work / f"index-{size}-milvus", qs, extra)
        _, mv = open_dense(work / f"index-{size}-milvus")
        r["milvus"] = {
            "build_s": round(secs, 1),
            **served(m, seed["milvus"]),
            "p50_vs_faiss": round(m["p50"] / s["p50"], 2),
            "recall_at_10": round(recall_at_k(exact_blocks(real, plan, rows), qvecs, mv.search), 4),
        }
        mv.client.close()
    return r


def served(s: dict, ref: dict) -> dict:
    """Server figures, with ratios to the seed's."""
    return {
        "chat_p50_ms": ms(s["p50"]),
        "chat_p95_ms": ms(s["p95"]),
        "p50_vs_seed": round(s["p50"] / ref["p50"], 2),
        "p95_vs_seed": round(s["p95"] / ref["p95"], 2),
        "server_rss_mb": s["rss_mb"],
        "rss_over_seed_mb": round(s["rss_mb"] - ref["rss_mb"], 1),
        "ready_s": s["ready_s"],
    }


def table(result: dict) -> str:
    """The figures as a markdown table."""
    seed = result["seed"]["faiss"]
    head = (
        "| store | passages | build passages/s | RSS MB (over seed) | disk B/passage | recall@10 "
        "| /v1/chat p50 ms (x seed) | p95 ms (x seed) |\n|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| faiss | seed | – | {seed['rss_mb']} | – | – | {ms(seed['p50'])} | {ms(seed['p95'])} |"
    ]
    if "milvus" in result["seed"]:
        m = result["seed"]["milvus"]
        lines.append(
            f"| milvus | seed | – | {m['rss_mb']} | – | – | {ms(m['p50'])} | {ms(m['p95'])} |"
        )
    for name, r in result["sizes"].items():
        lines.append(
            f"| faiss ({r['dense_index']}) | {r['passages']:,} ({name}) "
            f"| {r['build_passages_per_s']} ({r['build_vs_bare_encode']}x bare encode) "
            f"| {r['server_rss_mb']} ({r['rss_over_seed_mb']:+}) | {r['disk_bytes_per_passage']:,} "
            f"| {r['recall_at_10']} | {r['chat_p50_ms']} ({r['p50_vs_seed']}x) "
            f"| {r['chat_p95_ms']} ({r['p95_vs_seed']}x) |"
        )
        if "milvus" in r:
            m = r["milvus"]
            lines.append(
                f"| milvus | {r['passages']:,} ({name}) | – "
                f"| {m['server_rss_mb']} ({m['rss_over_seed_mb']:+}) "
                f"| – | {m['recall_at_10']} | {m['chat_p50_ms']} ({m['p50_vs_seed']}x; "
                f"{m['p50_vs_faiss']}x faiss) | {m['chat_p95_ms']} ({m['p95_vs_seed']}x) |"
            )
    return head + "\n".join(lines)


def goals(r: dict) -> dict:
    """The issue's goals (stated for 1M passages) against one size's figures."""
    return {
        "index_rss_le_4gb": r["rss_over_seed_mb"] <= 4096,
        "p50_le_1.5x_seed": r["p50_vs_seed"] <= 1.5,
        "recall_at_10_ge_0.95": r["recall_at_10"] >= 0.95,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,100k", help="passages, comma-separated (10k,100k,1M)")
    ap.add_argument("--milvus", action="store_true", help="also serve from Milvus Lite")
    ap.add_argument(
        "--milvus-max",
        type=parse_size,
        default=parse_size("100k"),
        help="with --milvus: only sizes up to this one (Milvus Lite inserts slowly)",
    )
    ap.add_argument("--questions", type=int, default=60, help="/v1/chat questions per server")
    ap.add_argument("--recall-questions", type=int, default=200)
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "sanad-bench-scale",
        help="where the real encodings are kept between runs",
    )
    ap.add_argument("--data", type=Path, default=DATA, help="the XQuAD-R folder")
    ap.add_argument(
        "--langs", default=",".join(LANGS), help="XQuAD-R languages of the base documents"
    )
    ap.add_argument(
        "--base-rows",
        type=int,
        default=0,
        help="encode only the first documents (Arabic, English, then the others) up to this "
        "many rows for real (0: all 10,412); copies make up the rest",
    )
    ap.add_argument("--articles", help="XQuAD-R article numbers, e.g. 0-5,9 (default: all 48)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument(
        "--keep",
        action="store_true",
        help="keep the work folder (corpora and index builds) under --cache, for re-measuring",
    )
    args = ap.parse_args(argv)
    try:
        sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    except argparse.ArgumentTypeError as exc:
        ap.error(str(exc))
    langs = tuple(x.strip() for x in args.langs.split(",") if x.strip())
    if not (args.data / "en.json").is_file():
        ap.error(f"no XQuAD-R data in {args.data}: give --data")
    from bot.corpus import load_corpus
    from bot.embed import load_embedder
    from bot.settings import load_settings

    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="run-", dir=_mkdir(args.cache)))
    try:
        for d in base_documents(args.data, langs, parse_articles(args.articles)):
            meta = {"bench_base": d["id"], "bench_copy": 0}
            write_doc(work / "base", d["id"], d["title"], d["lang"], d["text"], meta)
        base = encoding_order(load_corpus(work / "base"), args.base_rows)
        embedder = load_embedder(load_settings())
        real = real_encodings(base, embedder, args.cache)
        present = {int(d.id.rsplit("-", 1)[1]) for d in base}
        qs = questions(args.data, args.questions + args.recall_questions, present)
        chat_qs, qvecs = qs[: args.questions], query_vectors(embedder, qs[args.questions :] or qs)
        result = {
            "model": embedder.model_id,
            "real_encode": {
                "rows": real["meta"]["rows"],
                "seconds": round(real["meta"]["seconds"], 1),
                "rows_per_s": round(real["meta"]["rows"] / real["meta"]["seconds"], 1),
            },
            "archive": {
                "base_documents": len(base),
                "copies": "each sentence's words shuffled (first and last kept); vectors of "
                "the base row plus seeded Gaussian noise, renormalised",
                "noise": {"dense": DENSE_NOISE, "tokens": TOKEN_NOISE, "sparse_log": SPARSE_NOISE},
            },
            "questions": len(chat_qs),
            "recall_questions": len(qvecs),
            "loadavg_before": [round(x, 1) for x in load_before],
            "seed": {"faiss": serve(ROOT / "corpus", work / "index-seed", chat_qs)},
            "sizes": {},
        }
        if args.milvus:
            extra, _ = milvus_build(
                ROOT / "corpus",
                work / "index-seed",
                work / "index-seed-milvus",
                work / "milvus-seed.db",
            )
            result["seed"]["milvus"] = serve(
                ROOT / "corpus", work / "index-seed-milvus", chat_qs, extra
            )
        for size in sizes:
            name = (
                f"{size // 1_000_000}M"
                if size % 1_000_000 == 0
                else f"{size // 1000}k"
                if size % 1000 == 0
                else str(size)
            )
            r = measure_size(
                size,
                work,
                [d for d in base],
                real,
                embedder,
                chat_qs,
                qvecs,
                result["seed"],
                args.milvus and size <= args.milvus_max,
            )
            r["goals"] = goals(r)
            result["sizes"][name] = r
            print(json.dumps({name: r}, ensure_ascii=False), flush=True)
        result["loadavg_after"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        if args.keep:
            print(f"kept {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    for v in result["seed"].values():
        v.update(p50=round(v["p50"], 4), p95=round(v["p95"], 4))
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


if __name__ == "__main__":
    sys.exit(main())
