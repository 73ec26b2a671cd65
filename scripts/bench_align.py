"""Cost of the token alignment in claim checking: judging claims with and without it.

Run over a corpus whose documents have no translation (scripts/claims_xl_corpus.py):

    SANAD_CORPUS_DIR=/tmp/xl/corpus SANAD_INDEX_DIR=/tmp/xl/index PYTHONPATH=. \\
        python scripts/bench_align.py [--rounds 7]

Prints medians of ``Verifier.candidates`` (encode, score, compare the closest passages) with
the alignment, without it (the same code with no alignment), and of a bare claim encoding,
all measured in one run: on a loaded machine only the ratios mean anything.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bot.service import Sanad
from bot.settings import Settings

CLAIMS = (
    "Qatari students enrol at Sandhurst every year.",
    "In March 2022, Joe Biden designated Qatar a major non-NATO ally.",
    "توفي تسلا في 7 يناير 1953.",
)


def main() -> None:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    verifier = Sanad.open(Settings()).verifier

    def median(call) -> float:
        times = []
        for _ in range(args.rounds):
            for claim in CLAIMS:
                t = time.perf_counter()
                call(claim)
                times.append(time.perf_counter() - t)
        return statistics.median(times)

    median(verifier.candidates)  # warm-up: model, caches of passage token spans
    aligned = median(verifier.candidates)
    keep = verifier.alignment
    verifier.alignment = lambda *a, **k: None  # type: ignore[method-assign]
    plain = median(verifier.candidates)
    verifier.alignment = keep  # type: ignore[method-assign]
    encode = median(verifier.retriever.encode_query)
    print(
        f"candidates with alignment {aligned * 1000:.1f} ms, without {plain * 1000:.1f} ms "
        f"({aligned / plain:.2f}x); bare encoding {encode * 1000:.1f} ms "
        f"(with alignment {aligned / encode:.2f}x)"
    )


if __name__ == "__main__":
    main()
