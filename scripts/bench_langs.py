"""Eleven languages on XQuAD-R (CC BY-SA 4.0, /work/shared/bench-data/xquad-r/SOURCE.md):
language detection and sentence segmentation.

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_langs.py detection
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_langs.py segmentation
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_langs.py answers

Retrieval in every language is measured with ``bot eval --squad L.json --pool *.json``
(docs/ingestion.md).

Every figure is split into articles 0-23 (looked at while choosing profiles, rules and
weights) and articles 24-47 (only measured).

* detection: documents (an article in one language) and single XQuAD-R sentences whose
  detected language (bot/language.py) is the file's.
* segmentation: boundary precision/recall of bot/segment.py against XQuAD-R's own
  ``sentence_breaks``, per paragraph, and the median length of our sentences.
* answers (real model): the Teacher and Southern California articles (5, 7) in all eleven
  languages added without ``lang`` (22 documents); the first four questions of each article
  in each language asked: cited article, cited own-language document, answered (not
  abstained); then three off-corpus questions a language (:data:`OFF_CORPUS`), which should
  be refused.
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


#: Questions no XQuAD-R article answers, written for this check (not from the data).
OFF_CORPUS = {
    "ar": ["من فاز بكأس العالم لكرة القدم عام 2010؟", "ما هي درجة غليان الزئبق؟",
           "من كتب رواية الحرب والسلام؟"],
    "en": ["Who won the 2010 football World Cup?", "What is the boiling point of mercury?",
           "Who wrote the novel War and Peace?"],
    "de": ["Wer hat die Fußball-Weltmeisterschaft 2010 gewonnen?",
           "Was ist der Siedepunkt von Quecksilber?", "Wer schrieb den Roman Krieg und Frieden?"],
    "es": ["¿Quién ganó la Copa Mundial de Fútbol de 2010?",
           "¿Cuál es el punto de ebullición del mercurio?",
           "¿Quién escribió la novela Guerra y paz?"],
    "hi": ["2010 फुटबॉल विश्व कप किसने जीता?", "पारे का क्वथनांक क्या है?",
           "युद्ध और शांति उपन्यास किसने लिखा?"],
    "ru": ["Кто выиграл чемпионат мира по футболу 2010 года?",
           "Какова температура кипения ртути?", "Кто написал роман «Война и мир»?"],
    "zh": ["谁赢得了2010年足球世界杯？", "汞的沸点是多少？", "谁写了小说《战争与和平》？"],
}  # fmt: skip


def answers() -> None:
    """Real model over two articles in eleven languages: citations and abstention."""
    import tempfile

    from xquad_to_jsonl import convert, write_jsonl

    from bot.ingest import add
    from bot.service import Sanad
    from bot.settings import Settings

    tmp = Path(tempfile.mkdtemp())
    docs, questions = [], []
    for lang in LANGS:
        d, q = convert(lang, [5, 7])
        docs += d
        questions += q
    src = tmp / "docs.jsonl"
    write_jsonl([{k: v for k, v in d.items() if k != "lang"} for d in docs], src)
    list(add(tmp / "corpus", [src], 1_000_000))
    sanad = Sanad.open(Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index"))
    asked, article, own, answered = Counter(), Counter(), Counter(), Counter()
    for q in questions:
        if asked[(q["lang"], q["article"])] == 4:
            continue
        asked[(q["lang"], q["article"])] += 1
        a = sanad.ask(q["question"], top_k=1)
        c = a.citations[0]
        article[q["lang"]] += int(c.doc_id.rsplit("-", 1)[1]) == q["article"]
        own[q["lang"]] += c.doc_id == q["doc_id"]
        answered[q["lang"]] += a.answerable
    print(
        "| question language | n | cited its article | cited its own-language document "
        "| answered | off-corpus questions answered (should be 0) |"
    )
    print("|---|---|---|---|---|---|")
    for lang in LANGS:
        n = asked[(lang, 5)] + asked[(lang, 7)]
        off = OFF_CORPUS.get(lang)
        wrong = f"{sum(sanad.ask(x).answerable for x in off)}/{len(off)}" if off else "-"
        print(
            f"| {lang} | {n} | {article[lang]}/{n} | {own[lang]}/{n} | {answered[lang]}/{n} "
            f"| {wrong} |",
            flush=True,
        )


def main() -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description="eleven-language figures on XQuAD-R")
    p.add_argument("what", choices=["detection", "segmentation", "answers"])
    args = p.parse_args()
    if args.what == "detection":
        detection()
    elif args.what == "segmentation":
        segmentation()
    else:
        answers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
