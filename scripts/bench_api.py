"""Benchmark: p50 latency of POST /v1/chat on a live server vs the bare model encode.

Starts `bot serve` on a free port (index in a temp folder unless SANAD_INDEX_DIR is set),
sends each dev-set question N times, then times `embedder.encode_queries([q])` for the same
questions in this process, and prints both medians and their ratio.

    SANAD_CACHE_DIR=... .venv/bin/python scripts/bench_api.py [--rounds 3] [--json]
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
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def questions() -> list[str]:
    rows = (ROOT / "tests" / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(r)["question"] for r in rows if r.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    qs = questions()
    tmp = tempfile.mkdtemp(prefix="sanad-bench-")
    env = {**os.environ}
    env.setdefault("SANAD_INDEX_DIR", str(Path(tmp) / "index"))
    os.environ.update({k: v for k, v in env.items() if k.startswith("SANAD_")})
    # The bare encode first, in this process, before the server competes for the CPU.
    from bot.embed import load_embedder
    from bot.retrieve import dense_text
    from bot.settings import load_settings

    embedder = load_embedder(load_settings())
    embedder.encode_queries([qs[0]])  # warm-up
    enc = []
    for _ in range(args.rounds):
        for q in qs:
            t = time.perf_counter()
            embedder.encode_queries([dense_text(q)])
            enc.append(time.perf_counter() - t)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=60) as http:
            for _ in range(600):
                try:
                    if http.get(f"{url}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.3)
            else:
                raise SystemExit("bot serve did not become ready")
            http.post(f"{url}/v1/chat", json={"question": qs[0]})  # warm-up
            api = []
            for _ in range(args.rounds):
                for q in qs:
                    t = time.perf_counter()
                    r = http.post(f"{url}/v1/chat", json={"question": q})
                    api.append(time.perf_counter() - t)
                    r.raise_for_status()
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    result = {"questions": len(qs), "rounds": args.rounds,
              "api_p50_ms": round(statistics.median(api) * 1000, 2),
              "encode_p50_ms": round(statistics.median(enc) * 1000, 2)}
    result["ratio"] = round(result["api_p50_ms"] / result["encode_p50_ms"], 2)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"POST /v1/chat p50 {result['api_p50_ms']} ms; bare encode p50 "
              f"{result['encode_p50_ms']} ms; ratio {result['ratio']} "
              f"({len(qs)} questions x {args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
