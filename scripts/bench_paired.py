"""Paired `/v1/chat` latency of several servers asked the same questions in turn.

`scripts/bench_scale.py` measures the seed server first and each archive's server after it; on
a shared machine whose load changes within minutes, those ratios measure the load as much as
the code. Here every server is started first (each its own code tree, corpus and index), then
each question goes to every server in turn (q1 to A, q1 to B, ..., q2 to A, ...), so a change
of load falls on all of them alike, and the p50 of each is reported beside its ratio to the
first server's.

    PYTHONPATH=. .venv/bin/python scripts/bench_paired.py \\
        seed=.:corpus:/tmp/seed-index big=.:/tmp/archive/corpus:/tmp/archive/index \\
        [--questions 60] [--rounds 3]

A server is ``NAME=CODE:CORPUS:INDEX``: the folder whose ``bot`` package it runs (another
checkout compares code versions on the same machine at the same time), its
``SANAD_CORPUS_DIR`` and ``SANAD_INDEX_DIR`` (built at start when missing, as ``bot serve``
does). Questions: XQuAD-R, Arabic and English (``bench_scale.questions``); two warm-up
questions and the first five are asked of every server before timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from bench_api import pct, start_server  # noqa: E402
from bench_scale import questions  # noqa: E402
from xquad_to_jsonl import DATA  # noqa: E402


def parse_server(text: str) -> tuple[str, Path, Path, Path]:
    """``NAME=CODE:CORPUS:INDEX`` -> (name, code, corpus, index)."""
    name, _, spec = text.partition("=")
    parts = spec.split(":")
    if not name or len(parts) != 3:
        raise argparse.ArgumentTypeError(f"{text!r}: give NAME=CODE:CORPUS:INDEX")
    return name, *(Path(p).resolve() for p in parts)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("servers", nargs="+", type=parse_server, help="NAME=CODE:CORPUS:INDEX")
    ap.add_argument("--questions", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3, help="times each question is asked")
    ap.add_argument("--data", type=Path, default=DATA, help="the XQuAD-R folder")
    args = ap.parse_args(argv)
    qs = questions(args.data, args.questions, set(range(48)))
    running = {}
    try:
        for name, code, corpus, index in args.servers:
            env = {**os.environ, "PYTHONPATH": str(code), "SANAD_CORPUS_DIR": str(corpus)}
            env.update(SANAD_INDEX_DIR=str(index), SANAD_RATE_LIMIT="0", SANAD_ANSWER_CACHE="0")
            running[name] = start_server(env, wait_s=3600, cwd=code)
        load = os.getloadavg()
        lat: dict[str, list[float]] = {name: [] for name in running}
        with httpx.Client(timeout=300) as http:
            for _, url in running.values():
                for q in ["warm-up question one", "سؤال للتسخين", *qs[:5]]:
                    http.post(f"{url}/v1/chat", json={"question": q}).raise_for_status()
            for _ in range(args.rounds):
                for q in qs:
                    for name, (_, url) in running.items():
                        t = time.perf_counter()
                        http.post(f"{url}/v1/chat", json={"question": q}).raise_for_status()
                        lat[name].append(time.perf_counter() - t)
        p50 = {name: statistics.median(v) for name, v in lat.items()}
        first = next(iter(p50))
        print(
            json.dumps(
                {
                    "loadavg": [round(x, 1) for x in load],
                    "loadavg_after": [round(x, 1) for x in os.getloadavg()],
                    "questions": len(qs),
                    "rounds": args.rounds,
                    "p50_ms": {n: round(v * 1000, 1) for n, v in p50.items()},
                    f"p50_vs_{first}": {n: round(v / p50[first], 2) for n, v in p50.items()},
                    "p95_ms": {n: round(pct(v, 0.95) * 1000, 1) for n, v in lat.items()},
                },
                ensure_ascii=False,
            )
        )
    finally:
        for proc, _ in running.values():
            proc.terminate()
            proc.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
