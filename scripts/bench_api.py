"""Benchmark of the question path, every figure a ratio to the raw torch fp32 forward.

In one run:

1. the **raw forward**: the provisioned model as a plain transformers ``BertModel``, float32,
   one question (``query: `` + text) at a time, tokenising included; its median is the unit;
2. each backend's **bare forward** (bot/engine.py: the same pass plus the sparse head and the
   pooling of the dense, token and sparse vectors), one question at a time, and batched 16 at
   a time (questions/s: the "bare batched encoder" throughput);
3. a live ``bot serve`` (default backend unless SANAD_BACKEND is set): ``POST /v1/chat`` p50
   and p95 from one client (each question asked once, so none is cached), a repeated question
   (answer cache), 1,000-character hostile questions (U+FDFA, emoji, "a b a b ..."), and
   questions/s at 1, 4 and 16 clients (distinct XQuAD-R questions, none cached) with p50/p95,
   errors, the server's RSS, the CPU time per question of the server and of the clients, and
   the cores left idle meanwhile.

The 16-client figure is compared with the bare batched encoder as questions/s and as CPU time
per question (bare / (server + clients): what the ratio comes to when they fill the machine's
cores; steadier than questions/s on a shared machine). The bare encoder runs the same batches
of 16 three ways: one ONNX Runtime session with every core, batches one after another, with
the runtime's thread spinning (its default) and without, and two streams of batches side by
side, each on the one-thread session (what the server does with overlapping passes,
bot/engine.py); the fastest counts (``batched16_best``).

    PYTHONPATH=. .venv/bin/python scripts/bench_api.py [--backends torch,onnx,onnx-int8]
        [--json out.json] [--only throughput] [--levels 1,4,16]

``--only throughput`` measures only the served backend's bare batched encoder and the
concurrent clients (with their ratio): a short run for work on concurrency.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
XQUAD = Path(os.environ.get("SANAD_XQUAD", "/work/shared/bench-data/xquad-r"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, wait_s: float = 600, cwd: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """``bot serve`` with ``env`` on a free loopback port; returns (process, base URL) once
    ``/readyz`` answers 200. A server that exits first, or is not ready in ``wait_s``, ends
    the benchmark with its last words (stderr goes to a file, so a chatty server never
    blocks on a full pipe). ``cwd``: the checkout whose ``bot`` package the server runs."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + wait_s
    with httpx.Client(timeout=30) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                log.seek(0)
                raise SystemExit(f"bot serve exited: {log.read().decode(errors='replace')[-2000:]}")
            try:
                if http.get(f"{url}/readyz").status_code == 200:
                    return proc, url
            except httpx.TransportError:
                pass
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"bot serve was not ready in {wait_s:.0f} s")


def seed_questions() -> list[str]:
    out = []
    for name in ("dev", "heldout"):
        rows = (ROOT / "tests" / "data" / f"{name}.jsonl").read_text(encoding="utf-8")
        out += [json.loads(r)["question"] for r in rows.splitlines() if r.strip()]
    return out


def many_questions(n: int) -> list[str]:
    """Distinct questions for the throughput runs (XQuAD-R, else the seed ones numbered)."""
    out: list[str] = []
    for lang in ("en", "ar", "de", "es"):
        path = XQUAD / f"{lang}.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            out += [
                qa["question"] for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]
            ]
    if len(set(out)) < n:
        out = [f"{q} ({i})" for i in range(n) for q in seed_questions()]
    return list(dict.fromkeys(out))[:n]


def hostile(kind: str, i: int) -> str:
    """A 1,000-character hostile question; ``i`` makes each one distinct (no cache): it
    comes first, since everything past the token cap is the same question."""
    head = f"{i} "
    body = {"fdfa": "\ufdfa" * 1000, "emoji": "\U0001f600" * 1000, "ab": "a b " * 250}[kind]
    return head + body[: 1000 - len(head)]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def ms(x: float) -> float:
    return round(x * 1000, 2)


def raw_forward(questions: list[str]) -> list[float]:
    """Seconds per question of the plain transformers model (tokenising included)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from bot.normalize import dense_text
    from bot.provision import provision

    folder = provision(
        Path(os.environ.get("SANAD_CACHE_DIR", "") or Path.home() / ".cache" / "sanad")
    )
    tok = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder)).eval()
    out = []
    with torch.inference_mode():
        for q in questions[:3] + questions:
            t = time.perf_counter()
            x = tok(["query: " + dense_text(q)], return_tensors="pt")
            h = model(**x).last_hidden_state
            (h * x["attention_mask"][..., None]).sum(1) / x["attention_mask"].sum()
            out.append(time.perf_counter() - t)
    return out[3:]


def bare(backend: str, questions: list[str], batch_questions: list[str]) -> dict:
    """One backend's forward, one at a time and batched by 16 (questions/s, CPU time per
    question). ONNX Runtime runs with its default thread spinning, then (batched) without:
    the faster of the two is the bare encoder's throughput."""
    from bot.embed import load_embedder
    from bot.engine import OnnxRunner
    from bot.normalize import dense_text
    from bot.settings import load_settings

    emb = load_embedder(load_settings(backend=backend, model_spin=True))
    if isinstance(emb.run, OnnxRunner):  # one session with every core, as in earlier runs
        emb.run = OnnxRunner(emb.run.path, spin=True, lanes=False)
    emb.encode([dense_text(q) for q in questions[:3]], "query")  # warm up
    one = []
    for q in questions:
        t = time.perf_counter()
        emb.encode([emb.cap(dense_text(q))], "query")
        one.append(time.perf_counter() - t)
    texts = [emb.cap(dense_text(q)) for q in batch_questions]

    def batched() -> tuple[float, float]:
        t, cpu = time.perf_counter(), time.process_time()
        for s in range(0, len(texts), 16):
            emb.encode(texts[s : s + 16], "query")
        return len(texts) / (time.perf_counter() - t), (time.process_time() - cpu) / len(texts)

    runs = {"spin": batched()}
    if isinstance(emb.run, OnnxRunner):
        emb.run = OnnxRunner(emb.run.path, spin=False, lanes=False)
        emb.encode(texts[:16], "query")  # warm up
        runs["no spin"] = batched()
        runs["two narrow"] = two_narrow(emb, texts)
    best = max(runs, key=lambda k: runs[k][0])
    return {
        "p50": statistics.median(one),
        "qps16": runs[best][0],
        "cpu16": runs[best][1],
        "best": best,
        "runs": {k: round(v[0], 1) for k, v in runs.items()},
        "cpu_runs": {k: ms(v[1]) for k, v in runs.items()},
    }


def two_narrow(emb, texts: list[str]) -> tuple[float, float]:
    """The same batches of 16 in two streams side by side, each on the one-thread session
    (what the server does with overlapping passes); questions/s and CPU time per question."""
    from bot.engine import OnnxRunner

    runner = OnnxRunner(emb.run.path, spin=False)  # holds the weights the session reads
    if runner.narrow is None:  # one core: nothing to compare
        return (float("nan"), float("nan"))
    emb.run = lambda ids, mask: tuple(
        runner.narrow.run(None, {"input_ids": ids, "attention_mask": mask})
    )
    emb.encode(texts[:16], "query")  # warm up
    starts = list(range(0, len(texts), 16))
    t, cpu = time.perf_counter(), time.process_time()
    streams = [
        threading.Thread(
            target=lambda s=starts[i::2]: [emb.encode(texts[j : j + 16], "query") for j in s]
        )
        for i in range(2)
    ]
    for th in streams:
        th.start()
    for th in streams:
        th.join()
    return len(texts) / (time.perf_counter() - t), (time.process_time() - cpu) / len(texts)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ticks() -> tuple[int, int]:
    """The machine's (idle, total) CPU time so far, in clock ticks over all cores."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[3] + fields[4], sum(fields[:8])  # idle + iowait; up to steal


def clients(url: str, questions: list[str], n: int, pid: int) -> dict:
    """``questions`` split over ``n`` concurrent clients; questions/s, p50/p95, errors, the
    CPU time per question of the server (``pid``) and of the clients (this process), and
    how many of the machine's cores stood idle meanwhile (on average): what keeps the
    questions/s below what the CPU time per question allows."""
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()
    share = [questions[i::n] for i in range(n)]

    def run(qs: list[str]) -> None:
        # A plain keep-alive connection, not httpx: the clients share the server's two cores,
        # and httpx cost ~4 ms of CPU a request that the server's throughput then paid for.
        nonlocal errors
        where = urlsplit(url)
        http = HTTPConnection(where.hostname, where.port, timeout=120)
        try:
            for q in qs:
                body = json.dumps({"question": q}).encode()
                t = time.perf_counter()
                try:
                    http.request("POST", "/v1/chat", body, {"Content-Type": "application/json"})
                    reply = http.getresponse()
                    reply.read()
                    ok = reply.status == 200
                except (OSError, HTTPException):
                    http.close()
                    ok = False
                with lock:
                    lat.append(time.perf_counter() - t)
                    errors += not ok
        finally:
            http.close()

    threads = [threading.Thread(target=run, args=(s,)) for s in share]
    t, server_cpu, client_cpu = time.perf_counter(), cpu_seconds(pid), time.process_time()
    idle, total = cpu_ticks()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t
    idle2, total2 = cpu_ticks()
    return {
        "clients": n,
        "qps": round(len(questions) / wall, 1),
        "server_cpu_ms": ms((cpu_seconds(pid) - server_cpu) / len(questions)),
        "client_cpu_ms": ms((time.process_time() - client_cpu) / len(questions)),
        "idle_cores": round((os.cpu_count() or 1) * (idle2 - idle) / max(1, total2 - total), 2),
        "p50": pct(lat, 0.5),
        "p95": pct(lat, 0.95),
        "errors": errors,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="torch,onnx,onnx-int8")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--per-client", type=int, default=8, help="questions per client")
    ap.add_argument(
        "--questions",
        type=int,
        default=0,
        help="use only this many seed questions (0: all; for loaded machines)",
    )
    ap.add_argument(
        "--only",
        choices=("all", "throughput"),
        default="all",
        help="throughput: only the bare batched encoder and the concurrent clients",
    )
    ap.add_argument("--levels", default="1,4,16", help="numbers of concurrent clients")
    ap.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the server only (the bare encoder keeps the defaults)",
    )
    args = ap.parse_args()
    only_tp = args.only == "throughput"
    levels_n = [int(x) for x in args.levels.split(",")]
    from bot.settings import load_settings

    served = load_settings().backend  # what `bot serve` runs (SANAD_BACKEND or the default)
    backends = [served] if only_tp else list(dict.fromkeys(args.backends.split(",") + [served]))
    qs = seed_questions()
    if args.questions:
        qs = qs[:: max(1, len(qs) // args.questions)][: args.questions]
    load_before = os.getloadavg()
    ref = float("nan") if only_tp else statistics.median(raw_forward(qs))
    result: dict = {
        "questions": len(qs),
        "raw_forward_ms": ms(ref),
        "backends": {},
        "loadavg_before": [round(x, 1) for x in load_before],
    }
    batch_qs = many_questions(160)
    for backend in backends:
        b = bare(backend, qs, batch_qs)
        result["backends"][backend] = {
            "p50_ms": ms(b["p50"]),
            "ratio": None if only_tp else round(b["p50"] / ref, 2),
            "batched16_qps": round(b["qps16"], 1),
            "batched16_cpu_ms": ms(b["cpu16"]),
            "batched16_best": b["best"],
            "batched16_qps_by_run": b["runs"],
            "batched16_cpu_ms_by_run": b["cpu_runs"],
        }
    tmp = tempfile.mkdtemp(prefix="sanad-bench-")
    env = {**os.environ}
    env.setdefault("SANAD_INDEX_DIR", str(Path(tmp) / "index"))
    env.setdefault("SANAD_RATE_LIMIT", "0")  # one client address sends everything here
    env.update(kv.split("=", 1) for kv in args.server_env)
    result["server_env"] = args.server_env
    proc, url = start_server(env)
    try:
        with httpx.Client(timeout=120) as http:
            info = http.get(f"{url}/v1/info").json()
            result["server"] = {"backend": served, "index": info["index"]["id"]}
            for q in ["warm-up question one", "سؤال للتسخين"]:
                http.post(f"{url}/v1/chat", json={"question": q})

            def timed(q: str) -> float:
                t = time.perf_counter()
                http.post(f"{url}/v1/chat", json={"question": q}).raise_for_status()
                return time.perf_counter() - t

            if not only_tp:
                one = [timed(q) for q in qs]
                repeat = [timed(qs[0]) for _ in range(40)]
                hostile_ms = {
                    k: statistics.median([timed(hostile(k, i)) for i in range(5)])
                    for k in ("fdfa", "emoji", "ab")
                }
                p50 = statistics.median(one)
                result["server"].update(
                    chat_p50_ms=ms(p50),
                    chat_p95_ms=ms(pct(one, 0.95)),
                    chat_p50_ratio=round(p50 / ref, 2),
                    chat_p95_ratio=round(pct(one, 0.95) / ref, 2),
                    repeat_p50_ms=ms(statistics.median(repeat)),
                    repeat_ratio=round(statistics.median(repeat) / ref, 3),
                    hostile={
                        k: {"ms": ms(v), "x_typical": round(v / p50, 2)}
                        for k, v in hostile_ms.items()
                    },
                )
        pool = many_questions(args.per_client * sum(levels_n) + 200)[200:]
        levels, start = [], 0
        for n in levels_n:
            chunk = pool[start : start + args.per_client * n]
            start += len(chunk)
            r = clients(url, chunk, n, proc.pid)
            r.update(p50_ms=ms(r.pop("p50")), p95_ms=ms(r.pop("p95")), rss_mb=rss_mb(proc.pid))
            levels.append(r)
        result["throughput"] = levels
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    bare16 = result["backends"][served]["batched16_qps"]
    result[f"throughput_{levels_n[-1]}_vs_bare_batched"] = round(levels[-1]["qps"] / bare16, 2)
    # What that ratio is bound to be on a machine whose cores the server and its clients fill:
    # the bare encoder's CPU per question against theirs (steadier than q/s on a shared machine).
    spent = levels[-1]["server_cpu_ms"] + levels[-1]["client_cpu_ms"]
    bare_cpu = result["backends"][served]["batched16_cpu_ms"]
    result[f"cpu_{levels_n[-1]}_vs_bare_batched"] = round(bare_cpu / spent, 2)
    result["loadavg_after"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(result, indent=1, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
