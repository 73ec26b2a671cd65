"""CPU time of ``Sanad.ask`` beside the model: everything a question costs after its encoding.

The benchmark's throughput questions (XQuAD-R en/ar/de/es, else the seed ones; as
scripts/bench_api.py) are encoded first; ``ask`` then runs with those encodings looked up, so
the figure is ranking, abstention, answer choice, the focus check and rendering, in CPU
milliseconds per question of this thread (steady on a shared machine). The answer cache is
emptied first and every question is distinct.

    PYTHONPATH=. .venv/bin/python scripts/bench_ask.py [-n 1200] [--dump answers.json]

``--dump`` writes every answer (answerable, citation ids and scores, text, the abstention
evidence, and the ranking's scores as exact reprs) to compare two versions of the code: speed
work must leave the file byte for byte the same.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_api import many_questions  # noqa: E402

from bot.service import Sanad  # noqa: E402
from bot.settings import load_settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1200, help="questions (after 200 skipped)")
    ap.add_argument("--dump", type=Path, help="write every answer here (JSON)")
    args = ap.parse_args()
    sanad = Sanad.open(load_settings())
    questions = many_questions(args.n + 200)[200:]
    retriever = sanad._state[1]
    encoded = {}
    start = time.thread_time()
    for q in questions:
        text = retriever.query_text(q.strip())
        encoded[text] = retriever.encode_query(text, capped=True)
    encode_ms = (time.thread_time() - start) / len(questions) * 1000
    retriever.encode_query = lambda text, capped=False: encoded[text]
    rankings = {}
    if args.dump:  # the ranking's every score, before ask (which is what is timed)
        rankings = {t: retriever.rank(q, 20) for t, q in encoded.items()}
    sanad._answers.clear()
    for q in questions[:50]:  # warm: imports, templates
        sanad.ask(q)
    sanad._answers.clear()
    start = time.thread_time()
    answers = [sanad.ask(q) for q in questions]
    ask_ms = (time.thread_time() - start) / len(questions) * 1000
    print(json.dumps({"questions": len(questions), "encode_ms": round(encode_ms, 2),
                      "ask_without_encode_ms": round(ask_ms, 3)}))  # fmt: skip
    if args.dump:
        out = []
        for q, a in zip(questions, answers, strict=True):
            r = rankings[retriever.query_text(q.strip())]
            hits = [
                (h.passage.id, *map(repr, (h.score, h.dense, h.lexical, h.context, h.late)))
                for h in r.hits
            ]
            cites = [(c.id, repr(c.score)) for c in a.citations]
            out.append([q, a.answerable, cites, a.answer, repr(a.evidence), hits, repr(r.stats)])
        args.dump.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
