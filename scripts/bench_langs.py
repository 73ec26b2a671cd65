"""Eleven languages on XQuAD-R (CC BY-SA 4.0, /work/shared/bench-data/xquad-r/SOURCE.md):
language detection, sentence segmentation, and retrieval over the 528-document corpus.

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_langs.py detection
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_langs.py segmentation
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_langs.py retrieval [--per-article 2]
        [--articles 24-47] [--work DIR]

Every figure is split into articles 0-23 (looked at while choosing profiles, rules and
weights) and articles 24-47 (only measured).

* detection: documents (an article in one language) and single XQuAD-R sentences whose
  detected language (bot/language.py) is the file's.
* segmentation: boundary precision/recall of bot/segment.py against XQuAD-R's own
  ``sentence_breaks``, per paragraph, and the median length of our sentences.
* retrieval: all 528 documents (no ``lang`` given) added with `bot corpus add`, Sanad opened
  with the real model, and the first ``--per-article`` questions of each article asked in
  each language. A question is a hit at rank 1 when the first citation comes from its
  article in any language ("article"), from its article in its own language ("own"), and
  when that citation overlaps the gold sentence of its own-language document ("sentence").
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

LANGS = ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]
HALVES = (("0-23", range(0, 24)), ("24-47", range(24, 48)))


def _squad(lang: str) -> list[dict]:
    from xquad_to_jsonl import DATA

    return json.loads((DATA / f"{lang}.json").read_text(encoding="utf-8"))["data"]


def detection() -> None:
    """Per language and half: documents and sentences detected as their own language."""
    from bot.language import detect_language

    print(
        "| language | documents 0-23 | sentences 0-23 | documents 24-47 | sentences 24-47 "
        "| wrong sentences called |"
    )
    print("|---|---|---|---|---|---|")
    for lang in LANGS:
        data, cells, wrong = _squad(lang), [], Counter()
        for _, articles in HALVES:
            docs = sents = doc_ok = sent_ok = 0
            for i in articles:
                paragraphs = data[i]["paragraphs"]
                doc = "\n\n".join(p["context"].strip() for p in paragraphs)
                docs += 1
                doc_ok += detect_language(doc) == lang
                for s in (s for p in paragraphs for s in p["sentences"] if s.strip()):
                    got = detect_language(s)
                    sents += 1
                    sent_ok += got == lang
                    if got != lang:
                        wrong[got or "none"] += 1
            cells += [f"{doc_ok}/{docs}", f"{sent_ok / sents:.3f} ({sent_ok}/{sents})"]
        called = ", ".join(f"{k} {n}" for k, n in wrong.most_common())
        print(f"| {lang} | " + " | ".join(cells) + f" | {called or '-'} |")


def segmentation() -> None:
    """Per language and half: boundary precision/recall against XQuAD-R's sentence breaks."""
    from bot.segment import _strip, segment

    print(
        "| language | P 0-23 | R 0-23 | P 24-47 | R 24-47 | sentences (ours / XQuAD-R) "
        "| median length |"
    )
    print("|---|---|---|---|---|---|---|")
    for lang in LANGS:
        data, cells, ours, gold_n, lengths = _squad(lang), [], 0, 0, []
        for _, articles in HALVES:
            tp = fp = fn = 0
            for i in articles:
                for p in data[i]["paragraphs"]:
                    ctx = p["context"]
                    gold = {_strip(ctx, a, min(b, len(ctx)))[1] for a, b in p["sentence_breaks"]}
                    sents = segment(ctx, lang).sentences
                    got = {s.end for s in sents}
                    tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
                    ours += len(sents)
                    gold_n += len(gold)
                    lengths += [s.end - s.start for s in sents]
            cells += [f"{tp / (tp + fp):.3f}", f"{tp / (tp + fn):.3f}"]
        median = statistics.median(lengths)
        print(f"| {lang} | " + " | ".join(cells) + f" | {ours} / {gold_n} | {median:.0f} |")


def retrieval(per_article: int, articles: list[int] | None, work: Path | None) -> None:
    """R@1 of questions in each language over all 528 documents, through the product path."""
    import os

    from xquad_to_jsonl import convert, write_jsonl

    from bot.service import Sanad
    from bot.settings import Settings

    tmp = Path(work or tempfile.mkdtemp())
    tmp.mkdir(parents=True, exist_ok=True)
    docs, questions = [], []
    for lang in LANGS:
        d, q = convert(lang)
        docs += d
        questions += q
    src = tmp / "docs.jsonl"
    write_jsonl([{k: v for k, v in d.items() if k != "lang"} for d in docs], src)
    env = {**os.environ, "SANAD_CORPUS_DIR": str(tmp / "corpus")}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "corpus", "add", str(src)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    print(out.strip().splitlines()[-2], flush=True)
    settings = Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index")
    t0 = time.perf_counter()
    sanad = Sanad.open(settings)
    print(
        f"{len(sanad.docs)} documents, {len(sanad.index.passages)} passages, index ready in "
        f"{time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    keep = set(articles if articles is not None else range(48))
    taken: Counter = Counter()
    hits: dict[tuple[str, str], list[tuple[int, int, int]]] = defaultdict(list)
    for q in questions:
        key = (q["lang"], q["article"])
        if q["article"] not in keep or taken[key] >= per_article:
            continue
        taken[key] += 1
        c = sanad.ask(q["question"], top_k=1).citations[0]
        article = int(c.doc_id.rsplit("-", 1)[1]) == q["article"]
        own = c.doc_id == q["doc_id"]
        gold = q["sentence"] or ""
        sentence = own and bool(gold) and (c.text in gold or gold in c.text)
        half = "0-23" if q["article"] < 24 else "24-47"
        hits[(q["lang"], half)].append((article, own, sentence))
    halves = [h for h, _ in HALVES if any(k[1] == h for k in hits)]
    head = " | ".join(f"{k} {h}" for h in halves for k in ("article", "own", "sentence"))
    print(f"| question language | n | {head} |")
    print("|---|---|" + "---|" * (3 * len(halves)))
    for lang in LANGS:
        cells, n = [], 0
        for h in halves:
            rows = hits[(lang, h)]
            n += len(rows)
            cells += [f"{sum(r[j] for r in rows) / len(rows):.3f}" for j in range(3)]
        print(f"| {lang} | {n} | " + " | ".join(cells) + " |", flush=True)


def main() -> int:
    """Command-line entry point."""
    from xquad_to_jsonl import parse_articles

    p = argparse.ArgumentParser(description="eleven-language figures on XQuAD-R")
    p.add_argument("what", choices=["detection", "segmentation", "retrieval"])
    p.add_argument(
        "--per-article", type=int, default=2, help="retrieval: questions per article and language"
    )
    p.add_argument("--articles", help="retrieval: only these articles, e.g. 24-47")
    p.add_argument("--work", type=Path, help="retrieval: keep corpus and index here (reused)")
    args = p.parse_args()
    if args.what == "detection":
        detection()
    elif args.what == "segmentation":
        segmentation()
    else:
        retrieval(args.per_article, parse_articles(args.articles), args.work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
