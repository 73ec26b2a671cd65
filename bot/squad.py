"""Retrieval benchmark on SQuAD-format data split into sentences (XQuAD-R).

A question's gold sentence is the one whose ``sentence_breaks`` span holds the answer start;
a sentence that occurs twice in the pool counts wherever it occurs (gold is matched by text).
The pool is every sentence of the file, indexed in memory: one document per paragraph, the
article title as its title, so sentence context (the paragraph) works as it does on the
corpus. Sentences are encoded once and questions once; every retriever variant then ranks
from the same vectors, so the comparison is on the same data in the same run.

Several files make one pool (``--pool``): every sentence of every file is a candidate. The
files are parallel (XQuAD-R: the same questions, by id, over translated paragraphs), so a
question has one gold sentence per language. A run over such a pool reports two ways of
counting from the same ranking: a hit is any of them (``retrievers``: the LAReQA multilingual
pool), or only the question file's own gold sentence, the other languages' sentences being
distractors (``own_language``). Encoded vectors are cached per file (vector_cache.py).

XQuAD-R (google-research-datasets/lareqa) is CC BY-SA 4.0; see its SOURCE.md.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from . import vector_cache
from .ann import ANN_MIN_ROWS
from .corpus import Passage
from .embed import Embedder, token_fingerprint
from .errors import InputError
from .index import LoadedIndex, Previous, encode_rows
from .normalize import dense_text
from .retrieve import DEFAULT_WEIGHTS, Retriever, Weights

DEPTH = 10

#: The variants every run reports: name -> (mode, weights). "hybrid" is the default one.
VARIANTS: dict[str, tuple[str, Weights]] = {
    "lexical": ("lexical", DEFAULT_WEIGHTS),
    "dense": ("dense", DEFAULT_WEIGHTS),
    "rrf": ("rrf", DEFAULT_WEIGHTS),
    "hybrid-sentence": ("hybrid", Weights(context=0.0, group_lexical=0.0, sparse=0.0, late=0.0)),
    "hybrid-no-sparse": ("hybrid", Weights(sparse=0.0, late=0.0)),
    "hybrid-no-late": ("hybrid", Weights(late=0.0)),
    "hybrid": ("hybrid", DEFAULT_WEIGHTS),
}
DEFAULT_VARIANT = "hybrid"


@dataclass(frozen=True)
class Question:
    """One benchmark question and the pool positions of its gold sentence."""

    id: str
    text: str
    gold: frozenset[int]
    article: int = 0  # position of its article in the file: the halves split on it
    own: frozenset[int] | None = None  # in a pool of several files: the first file's gold only


@dataclass(frozen=True)
class Pool:
    """All sentences of a SQuAD file as passages, with their article titles."""

    passages: list[Passage]
    titles: list[str]  # per passage
    questions: list[Question]
    source: str  # sha256 of the file (of all files' hashes for a pool of several)
    parts: tuple[tuple[str, int], ...] = ()  # (sha256, sentences) of each file, in order


def _read(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise InputError(f'{path} is not SQuAD format: expected {{"data": [...]}}')
    return data


def load_pool(path: Path, prefix: str = "", articles: frozenset[int] | None = None) -> Pool:
    """Read a SQuAD file with ``sentences``/``sentence_breaks`` into a sentence pool; its
    paragraphs (documents) are named ``{prefix}p0``, ``{prefix}p1``, ... With ``articles``,
    only those articles (numbered from 0 in the file) are read."""
    data = _read(path)
    passages: list[Passage] = []
    titles: list[str] = []
    gold_text: list[tuple[str, str, str, int]] = []  # (id, question, gold sentence, article)
    k = 0
    for a, article in enumerate(data["data"]):
        if articles is not None and a not in articles:
            continue
        title = str(article.get("title", "")).replace("_", " ")
        for para in article.get("paragraphs", []):
            if "sentences" not in para or "sentence_breaks" not in para:
                raise InputError(
                    f"{path}: paragraph {k} has no sentences/sentence_breaks "
                    "(use XQuAD-R-style data)"
                )
            doc = f"{prefix}p{k}"
            breaks = para["sentence_breaks"]
            for n, (text, (start, end)) in enumerate(
                zip(para["sentences"], breaks, strict=True), 1
            ):
                passages.append(Passage(f"{doc}:{n}", doc, n, start, end, text))
                titles.append(title)
            for qa in para.get("qas", []):
                at = qa["answers"][0]["answer_start"]
                j = next((j for j, (s, e) in enumerate(breaks) if s <= at < e), None)
                if j is None:
                    raise InputError(
                        f"{path}: answer of question {qa['id']} is outside every sentence"
                    )
                gold_text.append((qa["id"], qa["question"], para["sentences"][j], a))
            k += 1
    if not gold_text:
        raise InputError(f"{path} holds no questions")
    where: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        where.setdefault(p.text, []).append(i)
    questions = [Question(qid, q, frozenset(where[s]), a) for qid, q, s, a in gold_text]
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if articles is not None:
        digest = hashlib.sha256(f"{digest}:{sorted(articles)}".encode()).hexdigest()
    return Pool(passages, titles, questions, digest, ((digest, len(passages)),))


def parse_articles(spec: str | None) -> frozenset[int] | None:
    """``"0-11"`` or ``"0-5,9"`` -> those article numbers; None or "" -> every article."""
    if not spec:
        return None
    out: set[int] = set()
    try:
        for part in spec.split(","):
            a, _, b = part.partition("-")
            out.update(range(int(a), int(b or a) + 1))
    except ValueError:
        raise InputError(
            f"--articles {spec!r}: give numbers and ranges, e.g. 0-11 or 0-5,9"
        ) from None
    return frozenset(out)


def load_pools(file: Path, others: Sequence[Path], articles: frozenset[int] | None = None) -> Pool:
    """``file`` and ``others`` (parallel SQuAD files) as one pool of all their sentences,
    ``file``'s questions asked. A question's ``gold`` is its gold sentence in every file (by
    question id), ``own`` the one in ``file`` only; both are matched by text over the whole
    pool, as in one file. ``file`` is not added twice when ``others`` names it too."""
    paths = [Path(file)]
    for p in map(Path, others):
        if all(p.resolve() != q.resolve() for q in paths):
            paths.append(p)
    stems = [p.stem for p in paths]
    if len(set(stems)) < len(stems):
        raise InputError("two pool files have the same name; give each language its own file")
    pools = [load_pool(p, f"{p.stem}/", articles) for p in paths]
    gold_texts: dict[str, set[str]] = {}
    for one in pools:
        for q in one.questions:
            gold_texts.setdefault(q.id, set()).update(one.passages[i].text for i in q.gold)
    passages = [p for one in pools for p in one.passages]
    where: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        where.setdefault(p.text, []).append(i)

    def at(texts) -> frozenset[int]:
        return frozenset(i for t in texts for i in where[t])

    first = pools[0]
    questions = [
        replace(
            q,
            gold=at(gold_texts[q.id]),
            own=at(first.passages[i].text for i in q.gold),
        )
        for q in first.questions
    ]
    parts = tuple(part for one in pools for part in one.parts)
    source = hashlib.sha256("".join(s for s, _ in parts).encode()).hexdigest()
    titles = [t for one in pools for t in one.titles]
    return Pool(passages, titles, questions, source, parts)


def half(questions: list[Question], name: str | None) -> list[Question]:
    """Questions of the even-numbered articles (half ``"A"``, tuned on) or the odd ones
    (``"B"``, only measured); all of them for ``None``."""
    if name is None:
        return questions
    if name not in ("A", "B"):
        raise InputError(f"half must be A (even articles) or B (odd articles), not {name!r}")
    return [q for q in questions if q.article % 2 == (name == "B")]


def load_queries(path: Path, pool: Pool, articles: frozenset[int] | None = None) -> list[Question]:
    """Questions of another SQuAD file asked against ``pool``, matched by id (only those of
    ``articles``, when the pool was read with them)."""
    known = {q.id: q for q in pool.questions}
    out = []
    for a, part in enumerate(_read(path)["data"]):
        if articles is not None and a not in articles:
            continue
        for para in part.get("paragraphs", []):
            for qa in para.get("qas", []):
                if qa["id"] not in known:
                    raise InputError(f"{path}: question id {qa['id']} is not in the pool file")
                out.append(replace(known[qa["id"]], text=qa["question"]))
    if not out:
        raise InputError(f"{path} holds no questions")
    return out


def passage_text(pool: Pool, i: int) -> str:
    """What the model embeds for pool sentence ``i``: its article title, then the sentence."""
    title, text = pool.titles[i], pool.passages[i].text
    return dense_text(f"{title}: {text}" if title else text)


def build_index(
    pool: Pool,
    embedder: Embedder,
    cache: Path | None = None,
    progress: Callable[[int, int], object] | None = None,
    ann_min_rows: int = ANN_MIN_ROWS,
) -> LoadedIndex:
    """A throw-away in-memory index over every sentence of the pool, encoded by the
    product's own index code (index.encode_rows): one view per sentence, its article title
    as context, the sentence's own tokens for its token vectors. With ``cache`` (a folder),
    each file's vectors are read from and written to it (vector_cache.py). ``progress(done,
    total)`` is told of every batch of texts encoded. Approximate (bot/ann.py) from
    ``ann_min_rows`` sentences, as a built index would be."""
    views = [[("source", passage_text(pool, i))] for i in range(len(pool.passages))]
    prev = Previous()
    if cache is not None:
        parts = pool.parts or ((pool.source, len(pool.passages)),)
        prev = vector_cache.prefill(cache, embedder, parts, pool.passages, views, progress)
    encode = vector_cache.counting_encoder(embedder, progress)
    built, _ = encode_rows(embedder, pool.passages, views, prev, encode=encode)
    manifest = {
        "id": f"squad-{pool.source[:12]}",
        "passage_count": len(pool.passages),
        "sparse": embedder.features.sparse,
        "late": token_fingerprint(embedder),
    }
    return built.loaded(manifest, ann_min_rows=ann_min_rows)


def metrics(ranks: list[int | None]) -> dict:
    """R@1, R@5, R@10 and MRR@10 from the 1-based rank of each question's gold (None: missed)."""
    n = len(ranks)

    def recall(k: int) -> float:
        return round(sum(1 for r in ranks if r is not None and r <= k) / n, 4) if n else 0.0

    mrr = sum(1 / r for r in ranks if r is not None and r <= DEPTH) / n if n else 0.0
    return {"R@1": recall(1), "R@5": recall(5), "R@10": recall(10), "MRR@10": round(mrr, 4), "n": n}


def gold_rank(hit_positions: list[int], gold: frozenset[int]) -> int | None:
    """1-based rank of the first gold passage among ``hit_positions``."""
    return next((r for r, i in enumerate(hit_positions, 1) if i in gold), None)


def evaluate(
    index: LoadedIndex,
    questions: list[Question],
    embedder: Embedder,
    variants: dict[str, tuple[str, Weights]] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> dict:
    """Rank every question with every variant; the ``--json`` report of ``bot eval --squad``.

    ``ms_per_query`` is the ranking time plus, for variants using the model, the question's
    share of the (batched) query encoding.
    """
    variants = variants or VARIANTS
    n = max(len(questions), 1)
    t0 = clock()
    # One model pass per batch of questions gives every variant its dense, token and sparse
    # vectors (Retriever.encode_queries, as the product encodes a question).
    encoder = Retriever(index, embedder)
    queries = [
        q
        for s in range(0, len(questions), 32)
        for q in encoder.encode_queries([x.text for x in questions[s : s + 32]])
    ]
    encode_ms = (clock() - t0) * 1000 / n
    position = {p.id: i for i, p in enumerate(index.passages)}
    pooled = any(q.own is not None for q in questions)
    out: dict[str, dict] = {}
    own: dict[str, dict] = {}
    for name, (mode, weights) in variants.items():
        retriever = Retriever(index, embedder, mode, weights)
        ranks, own_ranks = [], []
        t0 = clock()
        for q, query in zip(questions, queries, strict=True):
            hits = [position[h.passage.id] for h in retriever.rank(query, DEPTH).hits]
            ranks.append(gold_rank(hits, q.gold))
            own_ranks.append(gold_rank(hits, q.own if q.own is not None else q.gold))
        ms = round((clock() - t0) * 1000 / n + (0.0 if mode == "lexical" else encode_ms), 2)
        out[name] = {**metrics(ranks), "ms_per_query": ms}
        own[name] = {**metrics(own_ranks), "ms_per_query": ms}
    report = {"default": DEFAULT_VARIANT, "retrievers": out}
    if pooled:  # the same rankings, a hit being the question file's own gold sentence only
        report["own_language"] = own
    return report


def format_report(report: dict, title: str = "") -> str:
    """A plain-text table of a report from :func:`evaluate`."""
    lines = [title] if title else []
    lines.append(
        f"{'retriever':16} {'n':>5} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR@10':>7} {'ms/q':>7}"
    )
    for name, r in report["retrievers"].items():
        mark = " *" if name == report["default"] else ""
        lines.append(
            f"{name:16} {r['n']:5d} {r['R@1']:6.3f} {r['R@5']:6.3f} {r['R@10']:6.3f} "
            f"{r['MRR@10']:7.3f} {r['ms_per_query']:7.2f}{mark}"
        )
    lines.append("* default retriever. Data: XQuAD-R (CC BY-SA 4.0) when run on it.")
    return "\n".join(lines)


def load(
    file: Path,
    queries: Path | None,
    pool: Sequence[Path] = (),
    half_name: str | None = None,
    articles: frozenset[int] | None = None,
) -> tuple[Pool, list[Question]]:
    """The sentence pool (``file``, with the ``pool`` files if any; only ``articles`` if
    given) and the questions asked: ``queries``'s (or ``file``'s own), only half
    ``half_name`` of the articles if given."""
    sentences = load_pools(file, pool, articles) if pool else load_pool(file, "", articles)
    questions = load_queries(queries, sentences, articles) if queries else sentences.questions
    return sentences, half(questions, half_name)


def run(
    file: Path,
    queries: Path | None,
    embedder: Embedder,
    pool: Sequence[Path] = (),
    half_name: str | None = None,
    cache: Path | None = None,
    progress: Callable[[int, int], object] | None = None,
    articles: frozenset[int] | None = None,
    ann_min_rows: int = ANN_MIN_ROWS,
) -> dict:
    """Load the pool and questions (:func:`load`), build the index, evaluate."""
    sentences, questions = load(file, queries, pool, half_name, articles)
    return _run(sentences, questions, embedder, half_name, cache, progress, articles, ann_min_rows)


def _run(
    sentences, questions, embedder, half_name, cache, progress, articles, ann_min_rows=ANN_MIN_ROWS
) -> dict:
    index = build_index(sentences, embedder, cache, progress, ann_min_rows)
    report = evaluate(index, questions, embedder)
    report["pool"] = {
        "files": len(sentences.parts),
        "sentences": len(sentences.passages),
        "half": half_name or "all",
        "articles": sorted(articles) if articles is not None else "all",
    }
    return report


def run_cli(
    file: str | None,
    queries: str | None,
    as_json: bool,
    settings,
    pool: Sequence[str] = (),
    half_name: str | None = None,
    cache: str | None = None,
    articles: str | None = None,
) -> int:
    """``bot eval --squad FILE [--queries FILE] [--pool FILE...] [--articles SPEC]
    [--half A|B] [--cache DIR|--no-cache] [--json]``: print the report, return 0."""
    from tqdm import tqdm

    from .embed import load_embedder

    if not file:
        raise InputError("give a JSONL question file, or --squad FILE (SQuAD-format data)")

    def progress(done: int, total: int) -> None:
        if done < bar.n or total != bar.total:  # the next file of the pool
            bar.reset(total)
        bar.update(done - bar.n)

    # The data first: a bad file is reported before the model loads.
    sentences, questions = load(
        Path(file),
        Path(queries) if queries else None,
        [Path(p) for p in pool],
        half_name,
        parse_articles(articles),
    )
    embedder = load_embedder(settings)
    bar = tqdm(total=0, unit="text", desc="encoding the pool", mininterval=5, delay=1)
    try:
        report = _run(
            sentences,
            questions,
            embedder,
            half_name,
            Path(cache) if cache else None,
            progress,
            parse_articles(articles),
            settings.ann_min_rows,
        )
    finally:
        bar.close()
    if as_json:
        print(json.dumps(report, indent=1))
        return 0
    info = report["pool"]
    what = f"questions {queries or file}, articles: {articles or 'all'}, half: {info['half']}"
    if not pool:
        print(format_report(report, f"pool {file}; {what}"))
        return 0
    size = f"{info['sentences']} sentences of {info['files']} files"
    print(format_report(report, f"pool {file} + --pool ({size}), a hit in any file; {what}"))
    print()
    own = {**report, "retrievers": report["own_language"]}
    print(format_report(own, f"same rankings, a hit in {file} only (the rest distractors)"))
    return 0
