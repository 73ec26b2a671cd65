"""Peak memory of an index build at archive size: ``bot.index.build_index`` of the archive of
scripts/scale_archive.py (real XQuAD-R encodings, cached; perturbed copies past them), the
encoding step injected, so what is measured is the build's own assembling and writing.

Prints one JSON line: passages, the process RSS before the build, its peak during the build
(``VmHWM`` after ``clear_refs``; the build ends by loading the index back, as ``build_index``
returns it), and the build's seconds without the injected encoding. The ``bot`` package comes
from ``PYTHONPATH`` when it names one (to measure another version of the build with the
same archive), else from this checkout.

    PYTHONPATH=. .venv/bin/python scripts/bench_build_rss.py --size 100k [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after PYTHONPATH: another checkout's bot can be measured

from bench_scale import parse_size, peak_rss_mb, reset_peak_rss  # noqa: E402
from scale_archive import (  # noqa: E402
    LANGS,
    base_documents,
    encoding_order,
    precomputed_encode,
    real_encodings,
    row_plan,
    write_corpus,
    write_doc,
)
from xquad_to_jsonl import DATA  # noqa: E402

# The modules above put this checkout first on the path; PYTHONPATH goes first again, and a
# ``bot`` they imported is forgotten, so the build measured is the one PYTHONPATH names.
for _p in reversed([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]):
    sys.path.insert(0, str(Path(_p).resolve()))
for _name in [m for m in sys.modules if m == "bot" or m.startswith("bot.")]:
    del sys.modules[_name]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=parse_size, default=parse_size("100k"))
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "sanad-bench-scale")
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args(argv)
    import bot
    from bot.corpus import load_corpus
    from bot.embed import load_embedder
    from bot.index import build_index
    from bot.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="rss-", dir=args.cache))
    try:
        for d in base_documents(args.data, LANGS):
            meta = {"bench_base": d["id"], "bench_copy": 0}
            write_doc(work / "base", d["id"], d["title"], d["lang"], d["text"], meta)
        base = encoding_order(load_corpus(work / "base"))
        embedder = load_embedder(load_settings())
        real = real_encodings(base, embedder, args.cache)
        write_corpus(work / "corpus", base, args.size)
        docs = load_corpus(work / "corpus")
        plan, _ = row_plan(docs, base)
        encode, spent, _ = precomputed_encode(real, plan, keep=False)
        before = reset_peak_rss()
        t0 = time.perf_counter()
        loaded, _ = build_index(work / "index", docs, embedder, force=True, encode=encode)
        seconds = time.perf_counter() - t0 - spent[0]
        peak = peak_rss_mb()
        out = {
            "bot": str(Path(bot.__file__).parent),
            "passages": len(loaded.passages),
            "rss_before_mb": before,
            "build_peak_rss_mb": peak,
            "build_peak_over_before_mb": round(peak - before, 1),
            "build_s_without_encoding": round(seconds, 1),
        }
        print(json.dumps(out), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
