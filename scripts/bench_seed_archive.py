"""The seed's questions asked of the seed article alone and of an archive that holds it among
24 other articles, with the main abstention rule, and with an "archive rule" for Arabic and
English added on top of it. Measurement only: nothing in Sanad changes.

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_seed_archive.py collect ar --out ar.jsonl
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_seed_archive.py collect en --out en.jsonl
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_seed_archive.py report ar.jsonl en.jsonl \\
        --ev ev.jsonl --pool pool.jsonl

``collect LANG`` asks every question of tests/data/{dev,heldout,nearmiss,kinds}.jsonl (written
before any of this was measured; their ``split`` as given, dev being ``tune``) against the
seed alone and against the seed plus the 24 even XQuAD-R articles in LANG (the articles
scripts/bench_abstain_langs.py indexes; CC BY-SA 4.0), and stores the evidence the abstention
rule reads with the main rule's decision.

``report`` fits the archive rule on the ``tune`` split of the XQuAD-R evidence that
``bench_abstain_langs.py collect``/``collect-pool`` stored for Arabic and English: an Arabic
or English question answered by the main rule from a passage in its own language is also
required to reach ``top + 0.01·peak + 0.05·coverage ≥ t[language]`` (the nine other
languages' weights, bot/calibration_langs.json). ``t`` is the threshold with the fewest
errors among those that refuse at most 2% more of the tune split's answerable questions. It
then reports the held-out split of that evidence, and the seed's questions on the seed and
in the archives, under both rules. The archive rule is applied only to the archives (and the
XQuAD-R indexes), never to the seed alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

SETS = ("dev", "heldout", "nearmiss", "kinds")
WEIGHTS = (0.01, 0.05)  # peak, coverage
MAX_EXTRA_WRONG = 0.02


def collect(lang: str, out: Path) -> None:
    from bench_abstain_langs import INDEXED
    from xquad_to_jsonl import convert, write_jsonl

    from bot.ingest import add
    from bot.language import detect_language
    from bot.service import Sanad
    from bot.settings import ROOT as PKG_ROOT
    from bot.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="seed-archive-"))
    shutil.copytree(PKG_ROOT / "corpus", tmp / "corpus")
    docs, _ = convert(lang)
    wanted = {f"xquad-{lang}-{i:02d}" for i in INDEXED}
    write_jsonl([d for d in docs if d["id"] in wanted], tmp / "articles.jsonl")
    list(add(tmp / "corpus", [tmp / "articles.jsonl"], 1_000_000))
    corpora = {
        "seed": Settings(
            corpus_dir=PKG_ROOT / "corpus", index_dir=tmp / "seed-index", answer_cache=0
        ),
        f"archive-{lang}": Settings(
            corpus_dir=tmp / "corpus", index_dir=tmp / "index", answer_cache=0
        ),
    }
    rows = []
    for corpus, settings in corpora.items():
        sanad = Sanad.open(settings)
        for name in SETS:
            text = (ROOT / "tests" / "data" / f"{name}.jsonl").read_text(encoding="utf-8")
            for line in filter(str.strip, text.splitlines()):
                q = json.loads(line)
                a = sanad.ask(q["question"])
                cited = a.citations[0] if a.citations else None
                doc = sanad.docs.get(cited.doc_id) if cited else None
                rows.append(
                    {
                        "corpus": corpus,
                        "set": name,
                        "split": q.get("split") or ("tune" if name == "dev" else "heldout"),
                        "lang": detect_language(q["question"]),
                        "passage_lang": doc.language if doc else None,
                        "unanswerable": bool(q.get("unanswerable")) or not q.get("gold_ids"),
                        "answered": a.answerable,
                        "cited_gold": bool(cited and cited.id in (q.get("gold_ids") or [])),
                        "evidence": asdict(a.evidence),
                    }
                )
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    print(f"{len(rows)} rows written to {out}")


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def score(r: dict) -> float:
    e = r["evidence"]
    return e["top"] + WEIGHTS[0] * e["peak"] + WEIGHTS[1] * e["coverage"]


def answered(r: dict, t: dict[str, float] | None) -> bool:
    """The main rule's decision, and with thresholds ``t`` the archive rule on top of it for a
    question answered from a passage in its own language (never on the seed alone)."""
    if not r["answered"] or t is None or r.get("corpus") == "seed":
        return r["answered"]
    lang = r["lang"]
    if lang not in t or r.get("passage_lang", lang) != lang:
        return True
    return score(r) >= t[lang]


def fit(rows: list[dict]) -> float:
    """The threshold with the fewest errors on ``rows`` (main rule then archive rule) among
    those refusing at most MAX_EXTRA_WRONG more answerable ones; midway between scores."""
    answerable = [r for r in rows if not r["unanswerable"]]
    allowed = int(MAX_EXTRA_WRONG * len(answerable))
    scores = sorted({score(r) for r in rows if r["answered"]})
    best = None
    for lo, hi in zip([scores[0] - 0.01, *scores], [*scores, scores[-1] + 0.01], strict=True):
        t = (lo + hi) / 2
        wrong = sum(r["answered"] and score(r) < t for r in answerable)
        if wrong > allowed:
            break
        errors = wrong + sum(r["answered"] and score(r) >= t for r in rows if r["unanswerable"])
        if best is None or (errors, wrong) < best[0]:
            best = ((errors, wrong), round(t, 5))
    assert best is not None
    return best[1]


def cells(rows: list[dict], t: dict[str, float] | None) -> str:
    c = Counter()
    for r in rows:
        ok = answered(r, t)
        c["un" if r["unanswerable"] else "ans"] += 1
        c["refused" if r["unanswerable"] else "answered"] += (not ok) if r["unanswerable"] else ok
    return f"{c['answered']}/{c['ans']} answered, {c['refused']}/{c['un']} refused"


def report(files: list[Path], ev: Path | None, pool: Path | None) -> None:
    t: dict[str, float] = {}
    xq = [r for p in (ev, pool) if p for r in read(p) if r["lang"] in ("ar", "en")]
    xq = [r for r in xq if r["set"] != "seed"]
    for r in xq:
        r.setdefault("passage_lang", r["lang"])
    if xq:
        print("| XQuAD-R, held-out (fit on tune) | main rule | main + archive rule |")
        print("|---|---|---|")
        for lang in ("ar", "en"):
            t[lang] = fit([r for r in xq if r["lang"] == lang and r["split"] == "tune"])
            for kind, sets in (("24 articles", ("in", "out")), ("pool", ("pool-in", "pool-out"))):
                rows = [
                    r
                    for r in xq
                    if r["lang"] == lang and r["split"] == "heldout" and r["set"] in sets
                ]
                print(
                    f"| {lang}, {kind} (t = {t[lang]}) | {cells(rows, None)} | {cells(rows, t)} |"
                )
    # Every file asks the seed alone too: its rows are read from the first one only.
    seed_rows = [r for i, p in enumerate(files) for r in read(p) if i == 0 or r["corpus"] != "seed"]
    print("\n| seed questions | corpus | main rule | main + archive rule |")
    print("|---|---|---|---|")
    seen = set()
    for r in seed_rows:
        key = (r["lang"], r["corpus"])
        if key in seen or r["lang"] not in ("ar", "en"):
            continue
        seen.add(key)
        rows = [x for x in seed_rows if (x["lang"], x["corpus"]) == key]
        print(f"| {key[0]} | {key[1]} | {cells(rows, None)} | {cells(rows, t or None)} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("lang", choices=("ar", "en"))
    c.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("report")
    r.add_argument("files", type=Path, nargs="+")
    r.add_argument("--ev", type=Path, help="bench_abstain_langs.py collect output (ar, en)")
    r.add_argument("--pool", type=Path, help="bench_abstain_langs.py collect-pool output")
    args = ap.parse_args()
    if args.cmd == "collect":
        collect(args.lang, args.out)
    else:
        report(args.files, args.ev, args.pool)
    return 0


if __name__ == "__main__":
    sys.exit(main())
