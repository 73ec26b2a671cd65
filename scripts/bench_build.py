"""Index build throughput against the bare batched encode of the same sentences.

Real sentences: XQuAD-R articles (Arabic, then English until ``--n`` passages), one corpus
document per article (its paragraphs as the text, its title as the title), segmented by the
product. Measured in one run, each timing the best of ``--reps`` (the machine is shared):

- ``bare``: the embedder's ``encode(sentences, "passage")`` in batches of encoding.BATCH,
  which gives dense, sparse and token vectors in one pass;
- ``views``: the same over the texts the index embeds (title + sentence);
- ``build``: ``build_index`` from scratch (encode, pack, checkpoint, write, load).

Prints the ratio build/bare throughput (goal >= 0.9).

    PYTHONPATH=. python scripts/bench_build.py [--n 2000] [--reps 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.corpus import load_corpus  # noqa: E402
from bot.embed import load_embedder  # noqa: E402
from bot.encoding import BATCH  # noqa: E402
from bot.index import build_index, passage_views  # noqa: E402
from bot.normalize import dense_text  # noqa: E402
from bot.settings import load_settings  # noqa: E402

X = Path("/work/shared/bench-data/xquad-r")


def write_corpus(folder: Path, n: int) -> None:
    """XQuAD-R articles as corpus documents until they hold about ``n`` sentences."""
    count = 0
    for lang in ("ar", "en"):
        data = json.loads((X / f"{lang}.json").read_text(encoding="utf-8"))["data"]
        for a, article in enumerate(data):
            paras = [p["context"].strip() for p in article["paragraphs"]]
            doc = folder / f"{lang}-{a:02d}"
            doc.mkdir(parents=True)
            (doc / "document.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")
            meta = {"id": doc.name, "title": article.get("title", doc.name), "language": lang}
            (doc / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            count += sum(len(p["sentences"]) for p in article["paragraphs"])
            if count >= n:
                return


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="about this many sentences")
    ap.add_argument("--reps", type=int, default=2, help="best of this many runs of each")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    embedder = load_embedder(load_settings())
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        corpus = Path(tmp) / "corpus"
        write_corpus(corpus, args.n)
        docs = load_corpus(corpus)
        sentences = [dense_text(p.text) for d in docs for p in d.passages]
        views = [t for d in docs for p in d.passages for _, t in passage_views(p, d)]

        def bare(texts):
            for s in range(0, len(texts), BATCH):
                embedder.encode(texts[s : s + BATCH], "passage")

        embedder.encode(sentences[:BATCH], "passage")  # warm-up
        times: dict[str, list[float]] = {"bare": [], "views": [], "build": []}
        for r in range(args.reps):  # interleaved, so that load changes hit all alike
            times["bare"].append(timed(lambda: bare(sentences)))
            times["views"].append(timed(lambda: bare(views)))
            index_dir = Path(tmp) / f"index-{r}"
            times["build"].append(timed(lambda d=index_dir: build_index(d, docs, embedder)))
    best = {k: min(v) for k, v in times.items()}
    n = len(sentences)
    report = {
        "sentences": n,
        "texts_per_s": {k: round(n / v, 1) for k, v in best.items()},
        "seconds": {k: [round(x, 1) for x in v] for k, v in times.items()},
        "build_over_bare": round(best["bare"] / best["build"], 3),
        "build_over_views": round(best["views"] / best["build"], 3),
    }
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(
            f"{n} sentences: bare {report['texts_per_s']['bare']} texts/s, views "
            f"{report['texts_per_s']['views']}, build {report['texts_per_s']['build']}; "
            f"build/bare {report['build_over_bare']}, build/views {report['build_over_views']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
