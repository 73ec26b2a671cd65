"""Refusing what is not in the corpus, in each of the eleven languages, on XQuAD-R
(CC BY-SA 4.0, /work/shared/bench-data/xquad-r/SOURCE.md). Real model, product path
(``Sanad.ask``).

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_abstain_langs.py collect --out ev.jsonl
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_abstain_langs.py collect-pool --out pool.jsonl
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_abstain_langs.py fit ev.jsonl pool.jsonl [--save]
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_abstain_langs.py report ev.jsonl
    PYTHONPATH=$PWD .venv/bin/python scripts/bench_abstain_langs.py seed

The sample (:func:`sample`) is fixed before anything is measured: :data:`PER_LANGUAGE` question
ids drawn with a seeded shuffle from the ids XQuAD-R shares across its eleven languages (the
same questions in every language), split into ``tune`` and ``heldout`` by a hash of the id.
Each sampled question is asked, in each language:

* ``seed``: against the seed article (Qatar's defence partnerships, Arabic with its English
  translation). No XQuAD-R question is about it: every one must be refused;
* ``in``/``out``: against an index of that language's XQuAD-R articles with an even number
  (24 articles, about 600 sentences). A question from an even article (``in``) is answerable
  and must be answered; a question from an odd article (``out``) is about a Wikipedia topic
  the index does not hold and must be refused;
* ``pool-in``/``pool-out`` (``collect-pool``): against one small index of articles 6 and 8 in
  all eleven languages; every question of those articles, and some sampled ones of others.

``collect`` writes one line per (question, language, corpus) with the evidence the abstention
rule reads (bot/answerability.py) and whether the rules of the time answered. ``fit`` fits
the per-language rules (bot/langrule.py: shared weights, a threshold per language other than
Arabic and English) on the tune split and on the held-out split, measures each on both
(fitted and cross-fitted) beside the main rule, judging every question as Sanad does, and with
``--save`` writes the tune fit to bot/calibration_langs.json. ``seed`` asks
tests/data/langs_seed.jsonl (questions about the seed article in the nine other languages).
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


def _row(q: dict, lang: str, corpus: str, a, docs: dict | None = None) -> dict:
    ev = a.evidence
    cited = a.citations[0] if a.citations else None
    return {
        "passage_lang": docs[cited.doc_id].language if docs and cited else None,
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
            write_jsonl(
                [d for d in docs if d["id"] in {f"xquad-{lang}-{i:02d}" for i in INDEXED}], src
            )
            list(add(tmp / f"{lang}-corpus", [src], 1_000_000))
            xq = Sanad.open(
                base.model_copy(
                    update={
                        "corpus_dir": tmp / f"{lang}-corpus",
                        "index_dir": tmp / f"{lang}-index",
                    }
                ),
                embedder,
            )
            built = time.perf_counter() - t0
            for q in questions:
                f.write(
                    json.dumps(_row(q, lang, "seed", seed.ask(q["question"])), ensure_ascii=False)
                    + "\n"
                )
                corpus = "in" if q["article"] in INDEXED else "out"
                f.write(
                    json.dumps(_row(q, lang, corpus, xq.ask(q["question"])), ensure_ascii=False)
                    + "\n"
                )
            f.flush()
            print(
                f"{lang}: {len(questions)} questions, index built in {built:.0f} s, "
                f"asked in {time.perf_counter() - t0 - built:.0f} s",
                flush=True,
            )


#: Articles of the small multilingual corpus (``collect-pool``), in all eleven languages.
POOLED = (6, 8)
#: Questions from other articles asked against it, per language.
POOL_OUT = 60


def collect_pool(out: Path, langs: list[str], n: int) -> None:
    """Every question of the :data:`POOLED` articles (``pool-in``, answerable) and
    :data:`POOL_OUT` sampled questions of other articles (``pool-out``), in each language,
    against one index of those two articles in all eleven languages (22 documents)."""
    from xquad_to_jsonl import convert, write_jsonl

    from bot.ingest import add
    from bot.service import Sanad
    from bot.settings import Settings

    ids = sample(n)
    tmp = Path(tempfile.mkdtemp(prefix="abstain-pool-"))
    docs, questions = [], {}
    for lang in LANGS:
        d, q = convert(lang, list(POOLED))
        docs += d
        questions[lang] = convert(lang)[1]
    write_jsonl(docs, tmp / "docs.jsonl")
    list(add(tmp / "corpus", [tmp / "docs.jsonl"], 1_000_000))
    t0 = time.perf_counter()
    sanad = Sanad.open(Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index", answer_cache=0))
    print(f"pool: {len(sanad.index.passages)} passages, built in {time.perf_counter() - t0:.0f} s")
    with out.open("a", encoding="utf-8") as f:
        for lang in langs:
            inside = [q for q in questions[lang] if q["article"] in POOLED]
            others = [q for q in questions[lang] if q["article"] not in POOLED and q["id"] in ids]
            for q in inside + sorted(others, key=lambda q: q["id"])[:POOL_OUT]:
                kind = "pool-in" if q["article"] in POOLED else "pool-out"
                row = _row(q, lang, kind, sanad.ask(q["question"]), sanad.docs)
                row["unanswerable"] = kind == "pool-out"
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            print(f"{lang}: {len(inside)} in, {min(len(others), POOL_OUT)} out", flush=True)


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
    """A rule's score with weights ``w``; -1 when the focus-kind gate refuses."""
    if not ev["type_ok"]:
        return -1.0
    return (
        ev["top"]
        + w["w_peak"] * ev["peak"]
        + w["w_coverage"] * ev["coverage"]
        + w["w_focus"] * ev["focus"]
    )


#: At most this share of the answerable questions may be wrongly refused (the goal the
#: project sets for Arabic and English); ``fit --max-wrong 1`` lifts it.
MAX_WRONG = 0.02


def fit_threshold(
    rows: list[dict], w: dict, max_wrong: float = MAX_WRONG
) -> tuple[float, int, int]:
    """The threshold on the score with weights ``w`` that makes the fewest errors on ``rows``
    while refusing at most ``max_wrong`` of the answerable ones (ties: fewer wrong refusals,
    then the widest gap), midway between the two scores it separates, as ``bot calibrate``
    does; with the wrong refusals and wrong answers."""
    scored = sorted((_score(r["evidence"], w), r["unanswerable"]) for r in rows)
    if not scored:
        return 0.0, 0, 0
    allowed = int(max_wrong * sum(1 for _, u in scored if not u))
    best = None
    for i in range(len(scored) + 1):
        lo = scored[i - 1][0] if i else scored[0][0] - 0.01
        hi = scored[i][0] if i < len(scored) else scored[-1][0] + 0.01
        if i and hi <= lo:
            continue  # equal scores cannot be split
        wrong_refused = sum(1 for _, u in scored[:i] if not u)
        wrong_answered = sum(1 for _, u in scored[i:] if u)
        if wrong_refused > allowed:
            break  # a higher threshold refuses as many or more
        key = (wrong_refused + wrong_answered, wrong_refused, -(hi - lo))
        if best is None or key < best[0]:
            best = (key, round((lo + hi) / 2, 5), wrong_refused, wrong_answered)
    assert best is not None
    return best[1], best[2], best[3]


def judged_by_language(rows: list[dict]) -> None:
    """Mark each row with whether Sanad judges it by its language's rule (langrule.py):
    the question's detected language is the answer passage's (a question on the seed, an
    Arabic article, never is)."""
    from xquad_to_jsonl import convert

    from bot.langrule import CALIBRATED
    from bot.language import detect_language

    text = {}
    for lang in {r["lang"] for r in rows}:
        text.update({(lang, q["id"]): q["question"] for q in convert(lang)[1]})
    for r in rows:
        # The per-language index holds that language only; the pool's rows say.
        passage = "ar" if r["set"] == "seed" else r.get("passage_lang") or r["lang"]
        r["own_rule"] = (
            r["lang"] in CALIBRATED
            and passage == r["lang"]
            and detect_language(text[(r["lang"], r["id"])]) == r["lang"]
        )


def measure(rows: list[dict], main, w: dict | None, t: float | None) -> Counter:
    """Per set: questions judged right (refused when unanswerable, answered when not), by
    the main rule, or, for the rows Sanad judges by their language's rule, by weights ``w``
    and threshold ``t``."""
    main_w = {"w_peak": main.w_peak, "w_coverage": main.w_coverage, "w_focus": main.w_focus}
    c: Counter = Counter()
    for r in rows:
        if w is not None and r["own_rule"]:
            answered = _score(r["evidence"], w) >= t
        else:
            answered = _score(r["evidence"], main_w) >= main.threshold
        c[r["set"]] += 1
        c[r["set"] + "_ok"] += answered != r["unanswerable"]
    return c


#: Sets in the table: (set, what is counted), unanswerable sets count refusals.
COLUMNS = (
    ("seed", "seed refused"),
    ("out", "other articles refused"),
    ("in", "answerable wrongly refused"),
    ("pool-out", "small pool: other articles refused"),
    ("pool-in", "small pool: answerable wrongly refused"),
)


def _cells(c: Counter) -> list[str]:
    out = []
    for s, _ in COLUMNS:
        n = c[s]
        k = n - c[s + "_ok"] if s.endswith("in") else c[s + "_ok"]
        out.append(f"{k}/{n} ({k / n:.0%})" if n else "-")
    return out


#: Weights tried for the languages' own rules (shared by all of them); no focus term:
#: the focus check reads Arabic and English question words only.
W_PEAK = (0.0, 0.01, 0.02, 0.04)
W_COVERAGE = (0.0, 0.05, 0.1)


def fit_all(
    rows: list[dict], split: str, max_wrong: float = MAX_WRONG
) -> tuple[dict, dict[str, float], int]:
    """Shared weights and per-language thresholds fitted on ``split``: the weights whose
    per-language thresholds (:func:`fit_threshold`) make the fewest errors over all
    calibrated languages."""
    from bot.langrule import CALIBRATED

    best = None
    for wp in W_PEAK:
        for wc in W_COVERAGE:
            w = {"w_peak": wp, "w_coverage": wc, "w_focus": 0.0}
            ts, errors = {}, 0
            for lang in CALIBRATED:
                own = [
                    r for r in rows if r["lang"] == lang and r["split"] == split and r["own_rule"]
                ]
                if not own:
                    continue
                t, wa, wu = fit_threshold(own, w, max_wrong)
                ts[lang] = t
                errors += wa + wu
            if best is None or errors < best[2]:
                best = (w, ts, errors)
    assert best is not None
    return best


def fit(rows: list[dict], save: bool, max_wrong: float = MAX_WRONG) -> None:
    """Fit on each split, measure on both; print the table; save the tune fit."""
    from bot.answerability import load_rule
    from bot.embed import DEFAULT_MODEL
    from bot.langrule import save_thresholds

    main = load_rule(DEFAULT_MODEL)
    assert main is not None
    judged_by_language(rows)
    fits = {s: fit_all(rows, s, max_wrong) for s in ("tune", "heldout")}
    print(f"main rule: {main}")
    for s, (w, ts, e) in fits.items():
        print(f"fitted on {s}: weights {w}, {e} errors, thresholds {ts}")
    print("| language | rule | measured on | " + " | ".join(name for _, name in COLUMNS) + " |")
    print("|---|---|---|" + "---|" * len(COLUMNS))
    for lang in LANGS:
        mine = [r for r in rows if r["lang"] == lang]
        if not mine:
            continue
        for s in ("tune", "heldout"):
            part = [r for r in mine if r["split"] == s]
            print(
                f"| {lang} | main | {s} | "
                + " | ".join(_cells(measure(part, main, None, None)))
                + " |"
            )
        for fit_on in ("tune", "heldout"):
            w, ts, _ = fits[fit_on]
            if lang not in ts:
                continue
            for s in ("tune", "heldout"):
                part = [r for r in mine if r["split"] == s]
                tag = "fitted" if s == fit_on else "cross-fitted"
                cells = _cells(measure(part, main, w, ts[lang]))
                print(
                    f"| {lang} | own {ts[lang]} (fit on {fit_on}) | {s} ({tag}) | "
                    + " | ".join(cells)
                    + " |"
                )
    if save:
        w, ts, e = fits["tune"]
        info = {
            "fitted_on": "XQuAD-R (scripts/bench_abstain_langs.py fit)",
            "split": "tune",
            "max_wrong": max_wrong,
            "errors": e,
        }
        save_thresholds(DEFAULT_MODEL, w, ts, info)
        print(f"saved {w} {ts}")


def seed_answers(path: Path, out: Path | None) -> None:
    """Per language and split: questions about the seed article (tests/data/langs_seed.jsonl:
    answerable ones and near misses) answered, refused, and cited with the right sentence
    first; with ``out``, their evidence as ``collect`` writes it (set ``seed-answerable`` and
    ``seed-nearmiss``)."""
    from bot.service import Sanad
    from bot.settings import ROOT as PKG_ROOT
    from bot.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="abstain-langs-"))
    sanad = Sanad.open(Settings(corpus_dir=PKG_ROOT / "corpus", index_dir=tmp / "index"))
    c: Counter = Counter()
    rows = []
    for r in read(path):
        a = sanad.ask(r["question"])
        kind = "nearmiss" if r.get("unanswerable") else "answerable"
        key = (r["lang"], r["split"], kind)
        c[key] += 1
        c[key + ("ok",)] += a.answerable != bool(r.get("unanswerable"))
        first = bool(a.citations) and a.citations[0].id in r.get("gold_ids", ())
        c[key + ("first",)] += first
        rows.append(
            {
                "id": r["question"],
                "lang": r["lang"],
                "split": r["split"],
                "set": f"seed-{kind}",
                "unanswerable": bool(r.get("unanswerable")),
                "answered": a.answerable,
                "cited_gold": first,
                "evidence": asdict(a.evidence),
            }
        )
    print(
        "| question language | answerable answered tune | held-out | right sentence first "
        "tune | held-out | near misses refused tune | held-out |"
    )
    print("|---|---|---|---|---|---|---|")
    for lang in LANGS:
        cells = []
        for what, kind in (("ok", "answerable"), ("first", "answerable"), ("ok", "nearmiss")):
            for split in ("tune", "heldout"):
                n = c[(lang, split, kind)]
                cells.append(f"{c[(lang, split, kind, what)]}/{n}" if n else "-")
        if any(x != "-" for x in cells):
            print(f"| {lang} | " + " | ".join(cells) + " |")
    if out:
        with out.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description="abstention per language on XQuAD-R")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--langs", nargs="+", default=LANGS, choices=LANGS)
    c.add_argument("-n", type=int, default=PER_LANGUAGE)
    cp = sub.add_parser("collect-pool")
    cp.add_argument("--out", type=Path, required=True)
    cp.add_argument("--langs", nargs="+", default=LANGS, choices=LANGS)
    cp.add_argument("-n", type=int, default=PER_LANGUAGE)
    r = sub.add_parser("report")
    r.add_argument("file", type=Path)
    sd = sub.add_parser("seed")
    sd.add_argument("file", type=Path, nargs="?", default=ROOT / "tests/data/langs_seed.jsonl")
    sd.add_argument("--out", type=Path)
    f = sub.add_parser("fit")
    f.add_argument("file", type=Path, nargs="+")
    f.add_argument("--save", action="store_true")
    f.add_argument(
        "--max-wrong",
        type=float,
        default=MAX_WRONG,
        help="largest share of answerable questions a threshold may refuse (default 0.02)",
    )
    args = p.parse_args()
    if args.cmd == "collect":
        collect(args.out, args.langs, args.n)
    elif args.cmd == "collect-pool":
        collect_pool(args.out, args.langs, args.n)
    elif args.cmd == "seed":
        seed_answers(args.file, args.out)
    elif args.cmd == "report":
        report(read(args.file))
    else:
        fit([r for path in args.file for r in read(path)], args.save, args.max_wrong)
    return 0


if __name__ == "__main__":
    sys.exit(main())
