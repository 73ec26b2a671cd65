"""Cost of `Sanad.verify`: a plain claim, the largest valid request, and the bare encoding.

    PYTHONPATH=. python scripts/bench_verify.py [--rounds 5]

Prints medians and the ratios measured in this one run (the machine may be loaded).
"""

from __future__ import annotations

import argparse
import statistics
import time

from bot.service import Sanad
from bot.settings import load_settings

CLAIM = "President Biden designated Qatar a major non-NATO ally in January 2022."


def median_ms(fn, rounds: int) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    rounds = ap.parse_args().rounds
    sanad = Sanad.open(load_settings())
    passages = sanad.index.passages
    doc = passages[0].doc_id
    long_claim = ((CLAIM + " ") * 14)[:1000]
    quotes = [
        {
            "doc_id": doc,
            "start": 0,
            "end": 10,
            "quote": (p.text.replace("قطر", "قطرr") + " " + p.text)[:1000],
        }
        for p in passages[:4]
    ]  # 4 x 1,000 characters: the bound of one request
    cites = [p.id for p in (passages * 2)[:20]]
    sanad.verify(CLAIM)  # warm
    encode = median_ms(lambda: sanad.embedder.encode_queries([CLAIM]), rounds)
    plain = median_ms(lambda: sanad.verify(CLAIM), rounds)
    worst = median_ms(lambda: sanad.verify(long_claim, cites, quotes), rounds)
    print(
        f"bare encode {encode:.1f} ms; plain verify {plain:.1f} ms "
        f"(x{plain / encode:.2f} encode); largest request {worst:.1f} ms "
        f"(x{worst / plain:.2f} plain)"
    )


if __name__ == "__main__":
    main()
