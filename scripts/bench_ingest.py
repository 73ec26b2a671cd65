"""Ingestion figures: extraction quality on sample pages, speed, and cross-language retrieval
on the XQuAD-R multi-document corpus built through ``bot corpus add``.

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_ingest.py extraction
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_ingest.py segmentation
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_ingest.py speed
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_ingest.py retrieval [--layouts mixed]
        [--per-article 5] [--articles 24-47]

Retrieval builds two corpora from the Arabic and English articles (scripts/xquad_to_jsonl.py):
``both`` holds every article in both languages (96 documents); ``mixed`` holds the even
articles in Arabic only and the odd ones in English only (48 documents), so half of the
questions of each language can only be answered from a document in the other language.
A question is a hit at rank 1 when the first citation is from its article (in any language).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

PAGES = ROOT / "tests" / "data" / "pages"


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def extraction() -> None:
    """Article paragraphs kept and boilerplate strings leaked, per page and in all."""
    import lxml.html

    from bot.extract import read_html

    expected = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))

    def visible_text(data: bytes):  # baseline: every text node of <body>
        tree = lxml.html.fromstring(data)
        for bad in tree.xpath("//script|//style|//head"):
            bad.drop_tree()
        return tree.text_content()

    for name, fn in (
        ("all visible text (baseline)", visible_text),
        ("bot.extract.read_html (trafilatura)", lambda d: read_html(d).text),
    ):
        kept = total = leaked = btotal = 0
        for f, e in expected.items():
            text = _flat(fn((PAGES / f).read_bytes()))
            kept += sum(p in text for p in e["article"])
            total += len(e["article"])
            leaked += sum(b in text for b in e["boilerplate"])
            btotal += len(e["boilerplate"])
        print(
            f"{name}: article paragraphs kept {kept}/{total}, "
            f"boilerplate strings leaked {leaked}/{btotal}"
        )
    meta_ok = 0
    for f, e in expected.items():
        x = read_html((PAGES / f).read_bytes())
        meta_ok += (x.title, x.date, x.url) == (e["title"], e["date"], e["url"])
    print(f"title, date and link all right on {meta_ok}/{len(expected)} pages")


def segmentation() -> None:
    """Sentence-boundary precision and recall against XQuAD-R's own sentence breaks."""
    from xquad_to_jsonl import DATA

    from bot.segment import _strip, segment

    for lang in ("en", "ar"):
        data = json.loads((DATA / f"{lang}.json").read_text(encoding="utf-8"))["data"]
        tp = fp = fn = 0
        for article in data:
            for p in article["paragraphs"]:
                ctx = p["context"]
                gold = {_strip(ctx, a, min(b, len(ctx)))[1] for a, b in p["sentence_breaks"]}
                got = {s.end for s in segment(ctx).sentences}
                tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
        print(
            f"{lang}: boundary precision {tp / (tp + fp):.3f}, recall {tp / (tp + fn):.3f} "
            f"({tp + fn} sentences)"
        )


def speed() -> None:
    """Seconds per document: extraction of the sample pages, and `bot corpus add` of jsonl."""
    from xquad_to_jsonl import convert, write_jsonl

    from bot.extract import read_html

    pages = [(f, f.read_bytes()) for f in sorted(PAGES.glob("*.html"))]
    n, t0 = 0, time.perf_counter()
    for _ in range(25):
        for _name, data in pages:
            read_html(data)
            n += 1
    print(f"html extraction: {1000 * (time.perf_counter() - t0) / n:.1f} ms per page ({n} pages)")
    with tempfile.TemporaryDirectory() as tmp:
        docs = convert("ar")[0] + convert("en")[0]
        src = Path(tmp) / "docs.jsonl"
        write_jsonl(docs, src)
        env_corpus = Path(tmp) / "corpus"
        for label in ("first add", "same add again"):
            t0 = time.perf_counter()
            out = _bot("corpus", "add", str(src), corpus=env_corpus)
            dt = time.perf_counter() - t0
            print(
                f"bot corpus add ({label}, {len(docs)} XQuAD-R documents, process start "
                f"included): {dt:.2f} s, {1000 * dt / len(docs):.1f} ms per document "
                f"[{out.strip().splitlines()[-2 if label == 'first add' else -1]}]"
            )


def _bot(*args: str, corpus: Path, index: Path | None = None) -> str:
    import os

    env = {**os.environ, "SANAD_CORPUS_DIR": str(corpus)}
    if index:
        env["SANAD_INDEX_DIR"] = str(index)
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def retrieval(
    articles: list[int] | None,
    layouts_wanted: list[str],
    per_article: int,
    work: Path | None = None,
    verbose: bool = False,
) -> None:
    """R@1 (first citation from the question's article) on the two corpora; the first
    ``per_article`` questions of each article and language, split into articles 0-23 and
    24-47."""
    from xquad_to_jsonl import convert, write_jsonl

    from bot.service import Sanad
    from bot.settings import Settings

    ar_docs, ar_qs = convert("ar")
    en_docs, en_qs = convert("en")
    keep = set(range(48)) if articles is None else set(articles)
    questions, taken = [], {}
    for q in ar_qs + en_qs:
        key = (q["lang"], q["article"])
        if q["article"] in keep and taken.get(key, 0) < per_article:
            taken[key] = taken.get(key, 0) + 1
            questions.append(q)
    layouts = {  # the documents of the chosen articles only
        "both": [d for i, d in enumerate(ar_docs + en_docs) if i % 48 in keep],
        "mixed": [d for i, d in enumerate(ar_docs) if i % 2 == 0 and i in keep]
        + [d for i, d in enumerate(en_docs) if i % 2 == 1 and i in keep],
    }
    embedder = None
    for name, docs in layouts.items():
        if name not in layouts_wanted:
            continue
        tmp = Path(work or tempfile.mkdtemp()) / name
        tmp.mkdir(parents=True, exist_ok=True)
        src = tmp / "docs.jsonl"
        write_jsonl(docs, src)
        _bot("corpus", "add", str(src), corpus=tmp / "corpus")
        settings = Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index")
        t0 = time.perf_counter()
        sanad = Sanad.open(settings, embedder=embedder)
        embedder = sanad.embedder
        print(
            f"[{name}] {len(docs)} documents, {len(sanad.index.passages)} passages, "
            f"index ready in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        present = {d["id"] for d in docs}
        stats: dict[tuple[str, str, str], list[int]] = {}
        for q in questions:
            cited = sanad.ask(q["question"], top_k=1).citations[0].doc_id
            hit = int(int(cited.rsplit("-", 1)[1]) == q["article"])
            same = "same-language" if q["doc_id"] in present else "cross-language"
            half = "articles 0-23" if q["article"] < 24 else "articles 24-47"
            stats.setdefault((half, q["lang"], same), []).append(hit)
            stats.setdefault(("all articles", q["lang"], same), []).append(hit)
            if verbose:
                print(f"  {hit} {q['lang']} a{q['article']:02d} {same} cited {cited}", flush=True)
        for (half, lang, kind), hits in sorted(stats.items()):
            print(
                f"  {half}: {lang} questions, {kind} article: R@1 "
                f"{sum(hits) / len(hits):.3f} ({sum(hits)}/{len(hits)})",
                flush=True,
            )


def main() -> int:
    """Command-line entry point."""
    from xquad_to_jsonl import parse_articles

    p = argparse.ArgumentParser(description="ingestion figures")
    p.add_argument("what", choices=["extraction", "segmentation", "speed", "retrieval"])
    p.add_argument("--articles", help="retrieval: only these articles, e.g. 24-31 (default all)")
    p.add_argument("--layouts", nargs="+", default=["mixed", "both"], choices=["mixed", "both"])
    p.add_argument(
        "--per-article",
        type=int,
        default=1000,
        help="retrieval: questions per article and language (default: all)",
    )
    p.add_argument("--work", type=Path, help="retrieval: keep corpus and index here (reused)")
    p.add_argument("-v", "--verbose", action="store_true", help="retrieval: one line a question")
    args = p.parse_args()
    if args.what == "extraction":
        extraction()
    elif args.what == "segmentation":
        segmentation()
    elif args.what == "speed":
        speed()
    else:
        retrieval(
            parse_articles(args.articles), args.layouts, args.per_article, args.work, args.verbose
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
