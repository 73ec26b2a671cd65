"""Turn XQuAD-R articles into jsonl documents for ``bot corpus add`` (and their questions).

XQuAD-R (CC BY-SA 4.0; see /work/shared/bench-data/xquad-r/SOURCE.md) has 48 articles in 11
languages; each article becomes one document whose paragraphs are separated by a blank line:

    python scripts/xquad_to_jsonl.py --langs ar en --out docs.jsonl --questions qs.jsonl
    bot corpus add docs.jsonl

A document's id is ``xquad-<lang>-<article number>`` (``xquad-ar-07``); a question line is
``{"id", "lang", "question", "article", "doc_id", "sentence"}`` where ``sentence`` is the
gold sentence (the one holding the answer) of that language's document.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DATA = Path(os.environ.get("SANAD_XQUAD_DIR", "/work/shared/bench-data/xquad-r"))


def doc_id(lang: str, article: int) -> str:
    """The corpus id of one article in one language."""
    return f"xquad-{lang}-{article:02d}"


def convert(
    lang: str, articles: list[int] | None = None, data: Path = DATA
) -> tuple[list[dict], list[dict]]:
    """Documents and questions of one language, for the given article numbers (default all)."""
    squad = json.loads((data / f"{lang}.json").read_text(encoding="utf-8"))["data"]
    docs, questions = [], []
    for i, article in enumerate(squad):
        if articles is not None and i not in articles:
            continue
        contexts = [p["context"].strip() for p in article["paragraphs"]]
        docs.append(
            {
                "id": doc_id(lang, i),
                "lang": lang,
                "title": f"{article['title'].replace('_', ' ')} ({lang})",
                "text": "\n\n".join(contexts) + "\n",
            }
        )
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                start = qa["answers"][0]["answer_start"]
                gold = next(
                    (
                        s
                        for s, (a, b) in zip(p["sentences"], p["sentence_breaks"], strict=True)
                        if a <= start < b
                    ),
                    None,
                )
                questions.append(
                    {
                        "id": qa["id"],
                        "lang": lang,
                        "question": qa["question"],
                        "article": i,
                        "doc_id": doc_id(lang, i),
                        "sentence": gold.strip() if gold else None,
                    }
                )
    return docs, questions


def write_jsonl(rows: list[dict], path: Path) -> None:
    """One JSON object a line, UTF-8."""
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def parse_articles(spec: str | None) -> list[int] | None:
    """``"0-5,9"`` -> [0, 1, 2, 3, 4, 5, 9]; None means every article."""
    if not spec:
        return None
    out: list[int] = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--langs", nargs="+", default=["ar", "en"])
    p.add_argument("--articles", help="article numbers, e.g. 0-5,9 (default: all 48)")
    p.add_argument("--out", type=Path, required=True, help="documents jsonl")
    p.add_argument("--questions", type=Path, help="also write the questions here")
    p.add_argument("--data", type=Path, default=DATA)
    args = p.parse_args(argv)
    if not (args.data / "en.json").is_file():
        print(
            f"xquad_to_jsonl: no XQuAD-R data in {args.data} (set SANAD_XQUAD_DIR)", file=sys.stderr
        )
        return 2
    docs, questions = [], []
    for lang in args.langs:
        d, q = convert(lang, parse_articles(args.articles), args.data)
        docs += d
        questions += q
    write_jsonl(docs, args.out)
    if args.questions:
        write_jsonl(questions, args.questions)
    print(
        f"{len(docs)} documents -> {args.out}"
        + (f", {len(questions)} questions -> {args.questions}" if args.questions else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
