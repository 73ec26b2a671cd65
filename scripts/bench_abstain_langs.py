"""Refusing what is not in the corpus, in each of the eleven languages, on XQuAD-R
(CC BY-SA 4.0, /work/shared/bench-data/xquad-r/SOURCE.md). Real model, product path
(``Sanad.ask``).

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_abstain_langs.py collect --out /tmp/ev.jsonl
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_abstain_langs.py report /tmp/ev.jsonl
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_abstain_langs.py fit /tmp/ev.jsonl [--save]

The sample (:func:`sample`) is fixed before anything is measured: :data:`PER_LANGUAGE` question
ids drawn with a seeded shuffle from the ids XQuAD-R shares across its eleven languages (the
same questions in every language), split into ``tune`` and ``heldout`` by a hash of the id.
Each sampled question is asked, in each language:

* ``seed``: against the seed article (Qatar's defence partnerships, Arabic with its English
  translation). No XQuAD-R question is about it: every one must be refused;
* ``in``/``out``: against an index of that language's XQuAD-R articles with an even number
  (24 articles, about 600 sentences). A question from an even article (``in``) is answerable
  and must be answered; a question from an odd article (``out``) is about a Wikipedia topic
  the index does not hold and must be refused.

``collect`` writes one line per (question, language, corpus) with the evidence the abstention
rule reads (bot/answerability.py) and whether the shipped rules answered. ``fit`` fits, per
language other than Arabic and English, the threshold of the shipped score (its weights kept)
on the tune split, measures it on the held-out split and the other way round (cross-fitted),
and with ``--save`` writes bot/calibration_langs.json (bot/langrule.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

LANGS = ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]
#: Questions sampled per language (the same ids in every language).
PER_LANGUAGE = 200
SEED = 20261130
#: Articles indexed for the ``in``/``out`` measurement.
INDEXED = range(0, 48, 2)
SETS = ("seed", "in", "out")


def split_of(qid: str) -> str:
    """``tune`` or ``heldout``, from a hash of the question id (fixed before measuring)."""
    return "tune" if int(hashlib.sha1(qid.encode()).hexdigest()[:8], 16) % 2 == 0 else "heldout"


def sample(n: int = PER_LANGUAGE) -> list[str]:
    """``n`` question ids that every language has, drawn with a seeded shuffle."""
    from xquad_to_jsonl import convert

    common = None
    for lang in LANGS:
        ids = {q["id"] for q in convert(lang)[1]}
        common = ids if common is None else common & ids
    ids = sorted(common)
    random.Random(SEED).shuffle(ids)
    return sorted(ids[:n])


def _row(q: dict, lang: str, corpus: str, a) -> dict:
    ev = a.evidence
    cited = a.citations[0] if a.citations else None
    return {
        "id": q["id"],
        "lang": lang,
        "split": split_of(q["id"]),
        "set": corpus,
        "unanswerable": corpus != "in",
        "answered": a.answerable,
        "cited_doc": bool(cited and cited.doc_id == q["doc_id"]),
        "cited_gold": bool(
            cited and q["sentence"] and (q["sentence"] in cited.text or cited.text in q["sentence"])
        ),
        "evidence": asdict(ev),
    }


def collect(out: Path, langs: list[str], n: int) -> None:
    """Ask every sampled question in each language against the seed and an XQuAD-R index."""
    from xquad_to_jsonl import convert, write_jsonl

    from bot.embed import load_embedder
    from bot.ingest import add
    from bot.service import Sanad
    from bot.settings import ROOT as PKG_ROOT
    from bot.settings import Settings

    ids = set(sample(n))
    tmp = Path(tempfile.mkdtemp(prefix="abstain-langs-"))
    base = Settings(corpus_dir=PKG_ROOT / "corpus", index_dir=tmp / "seed-index", answer_cache=0)
    embedder = load_embedder(base)
    seed = Sanad.open(base, embedder)
    with out.open("a", encoding="utf-8") as f:
        for lang in langs:
            t0 = time.perf_counter()
            docs, questions = convert(lang)
            questions = [q for q in questions if q["id"] in ids]
            src = tmp / f"{lang}.jsonl"
            write_jsonl([d for d in docs if d["id"] in {f"xquad-{lang}-{i:02d}" for i in INDEXED}], src)
            list(add(tmp / f"{lang}-corpus", [src], 1_000_000))
            xq = Sanad.open(
                base.model_copy(
                    update={"corpus_dir": tmp / f"{lang}-corpus", "index_dir": tmp / f"{lang}-index"}
                ),
                embedder,
            )
            built = time.perf_counter() - t0
            for q in questions:
                f.write(json.dumps(_row(q, lang, "seed", seed.ask(q["question"])), ensure_ascii=False) + "\n")
                corpus = "in" if q["article"] in INDEXED else "out"
                f.write(json.dumps(_row(q, lang, corpus, xq.ask(q["question"])), ensure_ascii=False) + "\n")
            f.flush()
            print(
                f"{lang}: {len(questions)} questions, index built in {built:.0f} s, "
                f"asked in {time.perf_counter() - t0 - built:.0f} s",
                flush=True,
            )


def read(path: Path) -> list[dict]:
    """The rows ``collect`` wrote."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def report(rows: list[dict]) -> None:
    """Per language and split, with the rules as shipped when the rows were collected."""
    cells: dict = defaultdict(Counter)
    for r in rows:
        key = (r["lang"], r["split"], r["set"])
        cells[key]["n"] += 1
        cells[key]["ok"] += r["answered"] != r["unanswerable"]
    print(
        "| language | seed refused tune | seed refused held-out | other articles refused tune "
        "| held-out | answerable wrongly refused tune | held-out |"
    )
    print("|---|---|---|---|---|---|---|")
    for lang in LANGS:
        out = []
        for s in SETS:
            for split in ("tune", "heldout"):
                c = cells[(lang, split, s)]
                wrong = c["n"] - c["ok"]
                shown = c["ok"] if s != "in" else wrong
                out.append(f"{shown}/{c['n']}" if c["n"] else "-")
        if any(x != "-" for x in out):
            print(f"| {lang} | " + " | ".join(out) + " |")


def _score(ev: dict, w: dict) -> float:
    """The main rule's score with weights ``w``; -1 when the focus-kind gate refuses."""
    if not ev["type_ok"]:
        return -1.0
    return (
        ev["top"]
        + w["w_peak"] * ev["peak"]
        + w["w_coverage"] * ev["coverage"]
        + w["w_focus"] * ev["focus"]
    )


def fit_threshold(rows: list[dict], w: dict) -> tuple[float, int, int]:
    """The threshold on the score with weights ``w`` that makes the fewest errors on ``rows``
    (ties: fewer wrong refusals, then the widest gap), midway between the two scores it
    separates, as ``bot calibrate`` does; with the wrong refusals and wrong answers."""
    scored = sorted((_score(r["evidence"], w), r["unanswerable"]) for r in rows)
    best = None
    for i in range(len(scored) + 1):
        lo = scored[i - 1][0] if i else scored[0][0] - 0.01
        hi = scored[i][0] if i < len(scored) else scored[-1][0] + 0.01
        if i and hi <= lo:
            continue  # equal scores cannot be split
        wrong_refused = sum(1 for _, u in scored[:i] if not u)
        wrong_answered = sum(1 for _, u in scored[i:] if u)
        key = (wrong_refused + wrong_answered, wrong_refused, -(hi - lo))
        if best is None or key < best[0]:
            best = (key, round((lo + hi) / 2, 5), wrong_refused, wrong_answered)
    assert best is not None
    return best[1], best[2], best[3]


def measure(rows: list[dict], w: dict, t: float) -> Counter:
    """Refused seed / other-article questions and wrongly refused answerable ones."""
    c: Counter = Counter()
    for r in rows:
        answered = _score(r["evidence"], w) >= t
        c[r["set"]] += 1
        c[r["set"] + "_ok"] += answered != r["unanswerable"]
    return c


def _cells(c: Counter) -> list[str]:
    def cell(s: str, good: bool) -> str:
        n = c[s]
        k = c[s + "_ok"] if good else n - c[s + "_ok"]
        return f"{k}/{n} ({k / n:.0%})" if n else "-"

    return [cell("seed", True), cell("out", True), cell("in", False)]


def fit(rows: list[dict], save: bool) -> None:
    """Per language: the threshold fitted on each split, measured on both."""
    from bot.answerability import load_rule
    from bot.embed import DEFAULT_MODEL
    from bot.langrule import MAIN, SCRIPT_LANGUAGES, save_thresholds

    main = load_rule(DEFAULT_MODEL)
    assert main is not None
    w = {"w_peak": main.w_peak, "w_coverage": main.w_coverage, "w_focus": main.w_focus}
    print(f"main rule: {main}")
    print(
        "| language | rule | fitted on | measured on | seed refused | other articles refused "
        "| answerable wrongly refused |"
    )
    print("|---|---|---|---|---|---|---|")
    thresholds, info = {}, {}
    for lang in LANGS:
        mine = [r for r in rows if r["lang"] == lang]
        if not mine:
            continue
        by = {s: [r for r in mine if r["split"] == s] for s in ("tune", "heldout")}
        for s in ("tune", "heldout"):
            cells = _cells(measure(by[s], w, main.threshold))
            print(f"| {lang} | main {main.threshold} | — | {s} | " + " | ".join(cells) + " |")
        if lang in MAIN:
            continue
        for fit_on, other in (("tune", "heldout"), ("heldout", "tune")):
            t, _, _ = fit_threshold(by[fit_on], w)
            for s in (fit_on, other):
                cells = _cells(measure(by[s], w, t))
                print(f"| {lang} | own {t} | {fit_on} | {s} | " + " | ".join(cells) + " |")
            if fit_on == "tune" and lang in SCRIPT_LANGUAGES:
                thresholds[lang] = t
                info[lang] = {"n": len(by["tune"])}
    if save:
        save_thresholds(
            DEFAULT_MODEL,
            w,
            thresholds,
            {"fitted_on": "XQuAD-R (scripts/bench_abstain_langs.py)", "split": "tune", "n": info},
        )
        print(f"saved {thresholds}")


def main() -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description="abstention per language on XQuAD-R")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--langs", nargs="+", default=LANGS, choices=LANGS)
    c.add_argument("-n", type=int, default=PER_LANGUAGE)
    r = sub.add_parser("report")
    r.add_argument("file", type=Path)
    f = sub.add_parser("fit")
    f.add_argument("file", type=Path)
    f.add_argument("--save", action="store_true")
    args = p.parse_args()
    if args.cmd == "collect":
        collect(args.out, args.langs, args.n)
    elif args.cmd == "report":
        report(read(args.file))
    else:
        fit(read(args.file), args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
