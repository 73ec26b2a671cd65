"""Latency of `ask` in-process against the bare model encode of the same questions.

Prints medians and their ratio (the overhead of retrieval, abstention and rendering on top of
the one model call a question needs). Not a test: timings depend on the machine.

    .venv/bin/python scripts/bench.py [--repeat 5] [--file tests/data/dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.retrieve import dense_text  # noqa: E402
from bot.service import Sanad  # noqa: E402
from bot.settings import ROOT, load_settings  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--file", default=str(ROOT / "tests/data/dev.jsonl"))
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    questions = [
        json.loads(line)["question"]
        for line in Path(args.file).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    sanad = Sanad.open(load_settings(answer_cache=0))  # every ask runs the whole path
    for q in questions[:5]:  # warm up
        sanad.ask(q)
    encode, ask = [], []
    for _ in range(args.repeat):
        for q in questions:
            t0 = time.perf_counter()
            sanad.embedder.encode_queries([sanad.embedder.cap(dense_text(q))])
            t1 = time.perf_counter()
            sanad.ask(q)
            t2 = time.perf_counter()
            encode.append(t1 - t0)
            ask.append(t2 - t1)
    e, a = statistics.median(encode) * 1000, statistics.median(ask) * 1000
    print(
        f"questions: {len(questions)} x {args.repeat}  retriever: {sanad.settings.retriever}  "
        f"passages: {len(sanad.index.passages)}"
    )
    print(f"median bare encode : {e:7.2f} ms")
    print(f"median ask         : {a:7.2f} ms")
    print(f"ratio ask / encode : {a / e:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
