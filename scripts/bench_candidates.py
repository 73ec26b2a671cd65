"""Per-question cost of the candidate path on a built (approximate) index, in one process:
the learned-sparse and dense scores of the candidates and the whole ``Retriever.rank``, each
timed for the current path and for the path of index format 5 (sparse scores by binary search
in the postings of the question's features, dense rows decoded by FAISS's
``reconstruct_batch``), question by question in turn, so the machine's load falls on both
alike. Also checks that both give the same sparse scores and the same top 3.

    PYTHONPATH=. .venv/bin/python scripts/bench_candidates.py INDEX_DIR [--questions 60]
        [--rounds 2]

``INDEX_DIR`` is a ``SANAD_INDEX_DIR`` (e.g. an archive of ``bench_scale.py``); its build must
be approximate (from ``SANAD_ANN_MIN_ROWS`` rows). On an IVF build (format 7) the format-5
path needs FAISS's direct map of rows to cells, made here (``make_direct_map``) and not
counted in the times. Times are medians over the questions of the
last round (the first one warms the memory-mapped files), in ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_scale import questions  # noqa: E402
from xquad_to_jsonl import DATA  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    from bot.embed import load_embedder
    from bot.index import load_index
    from bot.retrieve import Matches, Retriever
    from bot.settings import load_settings
    from bot.sparse import SparseIndex

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index", type=Path, help="the index folder (SANAD_INDEX_DIR)")
    ap.add_argument("--questions", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--data", type=Path, default=DATA, help="the XQuAD-R folder")
    args = ap.parse_args(argv)
    index = load_index(args.index)
    r = Retriever(index, load_embedder(load_settings()))
    if not r.approximate or index.sparse is None or index.sparse.by_row is None:
        ap.error("the build is not approximate or has no row-major sparse copy (format 6)")
    sp = index.sparse
    by_postings = SparseIndex(sp.dim, sp.count, sp.fptr, sp.rows, sp.weights)  # format 5
    raw = index.vectors._index
    if isinstance(raw, faiss.IndexIVF):  # format 7: FAISS decodes its rows once given a map
        raw.make_direct_map()

    def path(which: str) -> None:
        index.sparse = by_postings if which == "format5" else sp
        # () marks "no 8-bit codes view": VectorIndex then decodes with FAISS.
        index.vectors._sq8 = () if which == "format5" else None

    asked = questions(args.data, args.questions, set(range(48)))
    queries = [q for s in range(0, len(asked), 32) for q in r.encode_queries(asked[s : s + 32])]
    for _ in range(args.rounds):
        times: dict[str, list[float]] = {}
        sizes, same_top3, same_sparse = [], 0, 0
        for q in queries:
            lexical = Matches(*r.bm25.candidates(q.lexical))
            cand = r.candidates(q, lexical, Matches(*r.group_bm25.candidates(q.lexical)))
            sizes.append(len(cand))
            out = {}
            for which in ("format5", "format6"):
                path(which)
                for part in ("sparse", "dense", "rank"):
                    t = time.perf_counter()
                    if part == "sparse":
                        out[which, part] = r.sparse_of(q.sparse, cand)
                    elif part == "dense":
                        out[which, part] = r.dense_of(q.dense, cand)
                    else:
                        out[which, part] = [h.passage.id for h in r.rank(q, 3).hits]
                    times.setdefault(f"{part}_{which}_ms", []).append(time.perf_counter() - t)
            path("format6")
            same_top3 += out["format5", "rank"] == out["format6", "rank"]
            same_sparse += bool(np.array_equal(out["format5", "sparse"], out["format6", "sparse"]))
    print(
        json.dumps(
            {
                "passages": len(index.passages),
                "questions": len(queries),
                "candidates_median": statistics.median(sizes),
                **{k: round(statistics.median(v) * 1000, 2) for k, v in sorted(times.items())},
                "same_top3": same_top3,
                "same_sparse_scores": same_sparse,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
