"""The synthetic archive of scripts/bench_scale.py: real XQuAD-R documents, shuffled copies of
them, and the vectors of both (real encodings of the originals, perturbed for the copies).

* Base documents: XQuAD-R articles as corpus folders (one per article and language; language
  ``ar`` for Arabic, ``en`` for the others, the two the product knows), segmented by the
  product (``load_corpus``). Every row of them is encoded for real, once, by the product's
  own encoding step (``bot.encoding.encode_locally``); the vectors and the seconds it took
  are cached, keyed by the model, its sparse and token recipes and the texts.
* Copy ``c`` of a base document: each sentence's words shuffled (first and last word kept, so
  the segmentation is unchanged), a distinct id and title. Its vectors are the base row's,
  perturbed: dense ``v + 0.5 g``, ``g ~ N(0, I/384)``, renormalised (cosine ≈ 0.89 to the
  original); sparse weights times ``exp(N(0, 0.2))``; each token vector ``t + 0.3 g``,
  renormalised. The noise is seeded by the copy's text: a size is the same archive every run.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from xquad_to_jsonl import convert  # noqa: E402

LANGS = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
DENSE_NOISE, TOKEN_NOISE, SPARSE_NOISE = 0.5, 0.3, 0.2


def base_documents(
    data: Path, langs: tuple[str, ...], articles: list[int] | None = None
) -> list[dict]:
    """XQuAD-R articles (all, or the numbers given) as documents, ordered by article then
    language (so a prefix of the list covers every language)."""
    docs = [d for lang in langs for d in convert(lang, articles, data)[0]]
    return sorted(docs, key=lambda d: (d["id"].rsplit("-", 1)[1], d["id"]))


def shuffled(sentence: str, seed: str) -> str:
    """The sentence's words in another order; first and last word stay where they are."""
    words = sentence.split(" ")
    if len(words) < 4:
        return sentence
    mid = words[1:-1]
    random.Random(seed).shuffle(mid)
    return " ".join([words[0], *mid, words[-1]])


def write_doc(folder: Path, doc_id: str, title: str, lang: str, text: str, meta: dict) -> None:
    """One corpus folder (corpus/README.md)."""
    d = folder / doc_id
    d.mkdir(parents=True, exist_ok=True)
    (d / "document.txt").write_text(text, encoding="utf-8", newline="")
    m = {"id": doc_id, "title": title, "language": "ar" if lang == "ar" else "en", **meta}
    (d / "meta.json").write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")


def write_corpus(folder: Path, base: list, size: int) -> None:
    """Corpus folders holding at least ``size`` passages: base documents (``base`` are loaded
    ``Document``s), then shuffled copies of them."""
    base = sorted(base, key=lambda d: (d.id.rsplit("-", 1)[1], d.id))  # every language early
    total, copy = 0, 0
    while total < size:
        for doc in base:
            if total >= size:
                break
            raw, parts, at = doc.raw, [], 0
            for p in doc.passages:
                parts += [
                    raw[at : p.start],
                    shuffled(p.text, f"{doc.id}/{copy}/{p.n}") if copy else p.text,
                ]
                at = p.end
            parts.append(raw[at:])
            lang = doc.id.split("-")[1]
            write_doc(
                folder,
                f"{doc.id}-c{copy:03d}",
                f"{doc.title} #{copy}" if copy else doc.title,
                lang,
                "".join(parts),
                {"bench_base": doc.id, "bench_copy": copy},
            )
            total += len(doc.passages)
        copy += 1


def encoding_order(base, rows: int = 0) -> list:
    """The base documents in the order they are encoded: Arabic, English, then the other
    languages; only the first ones holding at most ``rows`` rows when ``rows`` is given (the
    encodings of a longer run's prefix are reused)."""
    from bot.index import passage_views

    ordered = sorted(base, key=lambda d: (d.language != "ar", d.id.split("-")[1] != "en", d.id))
    if not rows:
        return ordered
    out, n = [], 0
    for d in ordered:
        n += sum(len(passage_views(p, d)) for p in d.passages)
        if n > rows:
            break
        out.append(d)
    return out


def row_texts(docs) -> list[tuple[str, str]]:
    """(indexed text, token text) of every row of a build of ``docs``, in row order."""
    from bot.index import passage_views, token_text

    return [
        (text, token_text(p, view))
        for d in docs
        for p in d.passages
        for view, text in passage_views(p, d)
    ]


def real_encodings(base, embedder, cache: Path) -> dict:
    """Every row of the base documents encoded for real by the product's encoding step, in
    row order (cached); ``meta`` holds the rows and the seconds the encoding took."""
    from bot.embed import token_fingerprint
    from bot.encoding import EncodeItem, encode_locally

    texts = row_texts(base)
    recipe = f"{embedder.fingerprint}|{embedder.features.sparse}|{token_fingerprint(embedder)}"
    key = hashlib.sha256((recipe + "\x00".join(t for pair in texts for t in pair)).encode())
    path = cache / f"real-{key.hexdigest()[:16]}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            out = {k: z[k] for k in z.files}
        out["meta"] = json.loads(str(out["meta"]))
        return out
    has_sparse = embedder.features.sparse is not None
    has_tokens = embedder.features.tokens is not None
    items = [EncodeItem(t, tt, True, has_sparse, has_tokens) for t, tt in texts]
    cache.mkdir(parents=True, exist_ok=True)
    parts = []
    for s in range(0, len(items), CHUNK):  # chunk by chunk, kept: a killed run resumes
        chunk = "\x00".join(t for pair in texts[s : s + CHUNK] for t in pair)
        name = hashlib.sha256((recipe + chunk).encode()).hexdigest()[:16]
        part = cache / f"part-{name}.npz"  # by content: a prefix of the rows reuses them
        if not part.exists():
            t0 = time.perf_counter()
            enc = encode_locally(embedder)(items[s : s + CHUNK], None)
            _save(part, _arrays(enc, has_sparse, has_tokens), time.perf_counter() - t0)
        with np.load(part, allow_pickle=False) as z:
            parts.append({k: z[k] for k in z.files})
    out: dict = {"dense": np.concatenate([p["dense"] for p in parts])}
    if has_sparse:
        ends = np.cumsum([0] + [p["sp_indptr"][-1] for p in parts[:-1]])
        out["sp_indptr"] = np.concatenate(
            [[0]] + [p["sp_indptr"][1:] + e for p, e in zip(parts, ends, strict=True)]
        ).astype(np.int64)
        out["sp_indices"] = np.concatenate([p["sp_indices"] for p in parts])
        out["sp_values"] = np.concatenate([p["sp_values"] for p in parts])
    if has_tokens:
        ends = np.cumsum([0] + [p["late_offsets"][-1] for p in parts[:-1]])
        out["late_offsets"] = np.concatenate(
            [[0]] + [p["late_offsets"][1:] + e for p, e in zip(parts, ends, strict=True)]
        ).astype(np.int64)
        out["late_vectors"] = np.concatenate([p["late_vectors"] for p in parts])
    seconds = sum(float(json.loads(str(p["meta"]))["seconds"]) for p in parts)
    _save(path, out, seconds, len(items))
    out["meta"] = {"seconds": seconds, "rows": len(items)}
    return out


#: Rows encoded and kept at a time by :func:`real_encodings`.
CHUNK = 256


def _arrays(enc, has_sparse: bool, has_tokens: bool) -> dict:
    out: dict = {"dense": np.stack(enc.dense).astype(np.float32)}
    if has_sparse:
        sizes = [len(ix) for ix, _ in enc.sparse]
        out["sp_indptr"] = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        out["sp_indices"] = np.concatenate([ix for ix, _ in enc.sparse]).astype(np.int32)
        out["sp_values"] = np.concatenate([v for _, v in enc.sparse]).astype(np.float32)
    if has_tokens:
        out["late_offsets"] = np.concatenate([[0], np.cumsum([len(t) for t in enc.tokens])])
        out["late_vectors"] = np.concatenate(enc.tokens).astype(np.float16)
    return out


def _save(path: Path, arrays: dict, seconds: float, rows: int | None = None) -> None:
    meta = {"seconds": seconds, "rows": rows or len(arrays["dense"])}
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **arrays, meta=json.dumps(meta))
    os.replace(tmp, path)


def _rng(text: str) -> np.random.Generator:
    return np.random.default_rng(
        int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
    )


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def row_plan(docs, base) -> tuple[dict[str, tuple[int, int]], int]:
    """For the indexed text of every row of a build of ``docs``: the base row its vectors
    come from and its copy number; and how many copy passages had no same-numbered base
    passage (given the base document's last one)."""
    from bot.index import passage_views

    first, at, nviews = {}, 0, {}
    for d in base:
        first[d.id] = at
        counts = [len(passage_views(p, d)) for p in d.passages]
        nviews[d.id] = np.concatenate([[0], np.cumsum(counts)]), counts
        at += sum(counts)
    plan, odd = {}, 0
    for d in docs:
        b, c = d.meta["bench_base"], int(d.meta["bench_copy"])
        starts, counts = nviews[b]
        for p in d.passages:
            n = p.n
            if n > len(counts):
                odd, n = odd + 1, len(counts)
            for v, (_, text) in enumerate(passage_views(p, d)):
                plan.setdefault(
                    text, (first[b] + int(starts[n - 1]) + min(v, counts[n - 1] - 1), c)
                )
    return plan, odd


def dense_vector(real: dict, plan: dict[str, tuple[int, int]], text: str) -> np.ndarray:
    """The dense vector :func:`precomputed_encode` gives the row of ``text`` (the same
    numbers: the perturbation is the first draw of the text's generator)."""
    b, c = plan[text]
    v = real["dense"][b]
    if not c:
        return v
    g = _rng(text).standard_normal(v.shape, np.float32) / np.sqrt(len(v))
    return _unit(v + DENSE_NOISE * g).astype(np.float32)


def precomputed_encode(real: dict, plan: dict[str, tuple[int, int]], keep: bool = True):
    """The encoding step (``bot.encoding.Encode``) of a build of the archive: each item's
    vectors are its base row's, unchanged for copy 0 and perturbed otherwise. Returns the
    step, the seconds it spends (left out of the build time) and, with ``keep``, the dense
    vectors it gave by text (for the exact scan; at a million rows :func:`dense_vector`
    makes them again instead of holding 1.5 GB)."""
    from bot.encoding import Encoded

    dense, spent, given = real["dense"], [0.0], {}
    has_sparse, has_late = "sp_indptr" in real, "late_offsets" in real

    def encode(items, progress):
        t0 = time.perf_counter()
        n = len(items)
        out = Encoded([None] * n, [None] * n, [None] * n)
        for j, it in enumerate(items):
            b, c = plan[it.text]
            rng = _rng(it.text) if c else None
            if it.dense:
                v = dense[b]
                if c:
                    g = rng.standard_normal(v.shape, np.float32) / np.sqrt(len(v))
                    v = _unit(v + DENSE_NOISE * g).astype(np.float32)
                out.dense[j] = v
                if keep:
                    given[it.text] = v
            if it.sparse and has_sparse:
                a, z = real["sp_indptr"][b], real["sp_indptr"][b + 1]
                vals = real["sp_values"][a:z]
                if c:
                    vals = vals * np.exp(SPARSE_NOISE * rng.standard_normal(len(vals)))
                out.sparse[j] = (real["sp_indices"][a:z], vals.astype(np.float32))
            if it.tokens and has_late:
                a, z = real["late_offsets"][b], real["late_offsets"][b + 1]
                t = real["late_vectors"][a:z]
                if c:
                    t32 = t.astype(np.float32)
                    g = rng.standard_normal(t32.shape, np.float32) / np.sqrt(t32.shape[1])
                    t = _unit(t32 + TOKEN_NOISE * g)
                out.tokens[j] = t.astype(np.float16)
        if progress:
            progress(n)
        spent[0] += time.perf_counter() - t0
        return out

    return encode, spent, given
