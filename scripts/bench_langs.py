"""Eleven languages on XQuAD-R (CC BY-SA 4.0, /work/shared/bench-data/xquad-r/SOURCE.md):
language detection and sentence segmentation.

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_langs.py detection
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_langs.py segmentation

Retrieval in every language is measured with ``bot eval --squad L.json --pool *.json``
(docs/ingestion.md).

Every figure is split into articles 0-23 (looked at while choosing profiles, rules and
weights) and articles 24-47 (only measured).

* detection: documents (an article in one language) and single XQuAD-R sentences whose
  detected language (bot/language.py) is the file's.
* segmentation: boundary precision/recall of bot/segment.py against XQuAD-R's own
  ``sentence_breaks``, per paragraph, and the median length of our sentences.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
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


def main() -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description="eleven-language figures on XQuAD-R")
    p.add_argument("what", choices=["detection", "segmentation"])
    args = p.parse_args()
    if args.what == "detection":
        detection()
    else:
        segmentation()
    return 0


if __name__ == "__main__":
    sys.exit(main())
