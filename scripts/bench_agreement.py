"""How often ranking on candidates (the approximate path) gives the exact path's top 3, on
XQuAD-R: the pool of one language's sentences indexed twice from the same vectors (exact flat
scan; approximate, as ``SANAD_ANN_MIN_ROWS=0`` builds it), every question ranked both ways.

    PYTHONPATH=. .venv/bin/python scripts/bench_agreement.py [--pool ar] [--queries ar,en]

Reports, per question language, the share of questions whose top 3 (and top 1) are the same
on both paths, and R@1 of each. Vectors come from the cache of ``bot eval --squad``
(vector_cache.py), so a run after an eval encodes only the questions.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from xquad_to_jsonl import DATA  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    from bot.embed import load_embedder
    from bot.retrieve import Retriever
    from bot.settings import load_settings
    from bot.squad import build_index, load_pool, load_queries

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", default="ar", help="the language whose sentences are the pool")
    ap.add_argument("--queries", default="ar,en", help="question languages, comma-separated")
    ap.add_argument("--data", type=Path, default=DATA, help="the XQuAD-R folder")
    args = ap.parse_args(argv)
    settings = load_settings()
    embedder = load_embedder(settings)
    pool = load_pool(args.data / f"{args.pool}.json")
    cache = settings.cache_dir / "squad-vectors"
    exact = Retriever(build_index(pool, embedder, cache), embedder)
    approx = Retriever(build_index(pool, embedder, cache, ann_min_rows=0), embedder)
    assert approx.approximate and not exact.approximate
    position = {p.id: i for i, p in enumerate(pool.passages)}
    out = {}
    for lang in (x.strip() for x in args.queries.split(",") if x.strip()):
        asked = (
            pool.questions if lang == args.pool else load_queries(args.data / f"{lang}.json", pool)
        )
        texts = [q.text for q in asked]
        queries = [
            q for s in range(0, len(texts), 32) for q in exact.encode_queries(texts[s : s + 32])
        ]
        top3 = top1 = hit_exact = hit_approx = 0
        for q, query in zip(asked, queries, strict=True):
            a = [position[h.passage.id] for h in exact.rank(query, 3).hits]
            b = [position[h.passage.id] for h in approx.rank(query, 3).hits]
            top3 += a == b
            top1 += a[:1] == b[:1]
            hit_exact += bool(a) and a[0] in q.gold
            hit_approx += bool(b) and b[0] in q.gold
        n = max(len(asked), 1)
        out[lang] = {
            "questions": len(asked),
            "same_top3": round(top3 / n, 4),
            "same_top1": round(top1 / n, 4),
            "r1_exact": round(hit_exact / n, 4),
            "r1_candidates": round(hit_approx / n, 4),
        }
    print(json.dumps({"pool": args.pool, "sentences": len(pool.passages), **out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
