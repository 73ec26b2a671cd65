"""Write the corpus of the cross-language claims set (tests/data/claims_xl.jsonl).

Two documents, so every claim meets a passage in the *other* language with no aligned
translation to read it through:

* ``qatar-defense-partnerships``: the seed article, copied without its English translation
  (``translation.en.jsonl`` left out, ``translations`` dropped from meta.json);
* ``nikola-tesla``: three English paragraphs of the XQuAD-R article "Nikola_Tesla"
  (Wikipedia text, CC BY-SA 4.0, through XQuAD).

    python scripts/claims_xl_corpus.py OUT_DIR [--xquad /work/shared/bench-data/xquad-r/en.json]
    SANAD_CORPUS_DIR=OUT_DIR SANAD_INDEX_DIR=OUT_DIR.index \\
        bot eval-claims tests/data/claims_xl.jsonl

With ``--english-seed`` it writes instead a corpus whose only document is the seed
article's English translation on its own (``qatar-defense-partnerships-en``, language en):
the Arabic claims of tests/data/claims.jsonl are then checked against English text with no
Arabic view, and its English claims against the first corpus (the Arabic article without
its translation), so the larger same-language set measures the cross-language path too
(docs/quality.md, "Across languages without a translation").

The shipped corpus is not touched: only the measurement runs without the translation.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = "qatar-defense-partnerships"
TESLA_PARAGRAPHS = 3


def write(out: Path, xquad: Path) -> None:
    """Write the two documents into ``out`` (replaced if present)."""
    if out.exists():
        shutil.rmtree(out)
    seed = out / SEED
    seed.mkdir(parents=True)
    shutil.copyfile(ROOT / "corpus" / SEED / "document.txt", seed / "document.txt")
    meta = json.loads((ROOT / "corpus" / SEED / "meta.json").read_text(encoding="utf-8"))
    meta.pop("translations", None)
    meta["source"] += " Copied without its aligned English translation."
    (seed / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")

    data = json.loads(xquad.read_text(encoding="utf-8"))["data"]
    article = next(a for a in data if a["title"] == "Nikola_Tesla")
    text = "\n\n".join(p["context"] for p in article["paragraphs"][:TESLA_PARAGRAPHS]) + "\n"
    tesla = out / "nikola-tesla"
    tesla.mkdir()
    (tesla / "document.txt").write_text(text, encoding="utf-8")
    (tesla / "meta.json").write_text(
        json.dumps(
            {
                "id": "nikola-tesla",
                "title": "Nikola Tesla",
                "language": "en",
                "source": "Wikipedia, 'Nikola Tesla' (CC BY-SA 4.0), first three paragraphs "
                "of the XQuAD-R article.",
            },
            indent=2,
        ),
        encoding="utf-8",
    )


def write_english_seed(out: Path) -> None:
    """Write the seed article's English translation as a document of its own into ``out``."""
    if out.exists():
        shutil.rmtree(out)
    doc = out / f"{SEED}-en"
    doc.mkdir(parents=True)
    rows = (ROOT / "corpus" / SEED / "translation.en.jsonl").read_text(encoding="utf-8")
    sentences = [json.loads(line)["text"] for line in rows.splitlines() if line.strip()]
    (doc / "document.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    meta = json.loads((ROOT / "corpus" / SEED / "meta.json").read_text(encoding="utf-8"))
    (doc / "meta.json").write_text(
        json.dumps(
            {
                "id": f"{SEED}-en",
                "title": meta["title_en"],
                "language": "en",
                "source": "The project's English translation of the seed article, alone "
                "(no Arabic view).",
            },
            indent=2,
        ),
        encoding="utf-8",
    )


def main() -> None:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--xquad", type=Path, default=Path("/work/shared/bench-data/xquad-r/en.json"))
    ap.add_argument(
        "--english-seed",
        action="store_true",
        help="write the seed article's English translation alone instead",
    )
    args = ap.parse_args()
    if args.english_seed:
        write_english_seed(args.out)
    else:
        write(args.out, args.xquad)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
