"""Retrieval benchmark on SQuAD-format data split into sentences (XQuAD-R).

A question's gold sentence is the one whose ``sentence_breaks`` span holds the answer start;
a sentence that occurs twice in the pool counts wherever it occurs (gold is matched by text).
The pool is every sentence of the file, indexed in memory: one document per paragraph, the
article title as its title, so sentence context (the paragraph) works as it does on the
corpus. Sentences are encoded once and questions once; every retriever variant then ranks
from the same vectors, so the comparison is on the same data in the same run.

XQuAD-R (google-research-datasets/lareqa) is CC BY-SA 4.0; see its SOURCE.md.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .ann import ANN_MIN_ROWS
from .corpus import Passage
from .embed import Embedder, token_fingerprint
from .errors import InputError
from .index import LoadedIndex, encode_rows
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


@dataclass(frozen=True)
class Pool:
    """All sentences of a SQuAD file as passages, with their article titles."""

    passages: list[Passage]
    titles: list[str]  # per passage
    questions: list[Question]
    source: str  # sha256 of the file, for the throw-away index id


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


def load_pool(path: Path) -> Pool:
    """Read a SQuAD file with ``sentences``/``sentence_breaks`` into a sentence pool."""
    data = _read(path)
    passages: list[Passage] = []
    titles: list[str] = []
    gold_text: list[tuple[str, str, str]] = []  # (id, question, gold sentence)
    k = 0
    for article in data["data"]:
        title = str(article.get("title", "")).replace("_", " ")
        for para in article.get("paragraphs", []):
            if "sentences" not in para or "sentence_breaks" not in para:
                raise InputError(
                    f"{path}: paragraph {k} has no sentences/sentence_breaks "
                    "(use XQuAD-R-style data)"
                )
            doc = f"p{k}"
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
                gold_text.append((qa["id"], qa["question"], para["sentences"][j]))
            k += 1
    if not gold_text:
        raise InputError(f"{path} holds no questions")
    where: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        where.setdefault(p.text, []).append(i)
    questions = [Question(qid, q, frozenset(where[s])) for qid, q, s in gold_text]
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return Pool(passages, titles, questions, digest)


def load_queries(path: Path, pool: Pool) -> list[Question]:
    """Questions of another SQuAD file asked against ``pool``, matched by id."""
    gold = {q.id: q.gold for q in pool.questions}
    out = []
    for article in _read(path)["data"]:
        for para in article.get("paragraphs", []):
            for qa in para.get("qas", []):
                if qa["id"] not in gold:
                    raise InputError(f"{path}: question id {qa['id']} is not in the pool file")
                out.append(Question(qa["id"], qa["question"], gold[qa["id"]]))
    if not out:
        raise InputError(f"{path} holds no questions")
    return out


def passage_text(pool: Pool, i: int) -> str:
    """What the model embeds for pool sentence ``i``: its article title, then the sentence."""
    title, text = pool.titles[i], pool.passages[i].text
    return dense_text(f"{title}: {text}" if title else text)


def build_index(pool: Pool, embedder: Embedder, ann_min_rows: int = ANN_MIN_ROWS) -> LoadedIndex:
    """A throw-away in-memory index over every sentence of the pool, encoded by the
    product's own index code (index.encode_rows): one view per sentence, its article title
    as context, the sentence's own tokens for its token vectors; approximate (bot/ann.py)
    from ``ann_min_rows`` sentences, as a built index would be."""
    views = [[("source", passage_text(pool, i))] for i in range(len(pool.passages))]
    built, _ = encode_rows(embedder, pool.passages, views)
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
    out = {}
    for name, (mode, weights) in variants.items():
        retriever = Retriever(index, embedder, mode, weights)
        ranks = []
        t0 = clock()
        for q, query in zip(questions, queries, strict=True):
            hits = retriever.rank(query, DEPTH).hits
            ranks.append(gold_rank([position[h.passage.id] for h in hits], q.gold))
        ms = (clock() - t0) * 1000 / n
        row = metrics(ranks)
        row["ms_per_query"] = round(ms + (0.0 if mode == "lexical" else encode_ms), 2)
        out[name] = row
    return {"default": DEFAULT_VARIANT, "retrievers": out}


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


def run(
    file: Path, queries: Path | None, embedder: Embedder, ann_min_rows: int = ANN_MIN_ROWS
) -> dict:
    """Load ``file`` as the pool, ask ``queries`` (or its own questions), and evaluate."""
    pool = load_pool(file)
    questions = load_queries(queries, pool) if queries else pool.questions
    return evaluate(build_index(pool, embedder, ann_min_rows), questions, embedder)


def run_cli(file: str | None, queries: str | None, as_json: bool, settings) -> int:
    """``bot eval --squad FILE [--queries FILE] [--json]``: print the report, return 0."""
    from .embed import load_embedder

    if not file:
        raise InputError("give a JSONL question file, or --squad FILE (SQuAD-format data)")
    report = run(
        Path(file),
        Path(queries) if queries else None,
        load_embedder(settings),
        settings.ann_min_rows,
    )
    if as_json:
        print(json.dumps(report, indent=1))
    else:
        print(format_report(report, f"pool {file}; questions {queries or file}"))
    return 0
