"""scripts/bench_scale.py: the archive it makes, the index it builds, the figures it reports."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.corpus import load_corpus
from bot.index import load_index
from tests.fakes import HashEmbedder, HashSparse

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = {
    "en": [
        "The river floods every spring after the snow melts in the mountains.",
        "Farmers along its banks plant rice once the water goes down again.",
        "A dam was built upstream in 1970 to control the worst of the floods.",
    ],
    "ar": [
        "يفيض النهر كل ربيع بعد ذوبان الثلوج في الجبال البعيدة.",
        "يزرع المزارعون على ضفافه الأرز عندما تنخفض المياه من جديد.",
        "بُني سد في أعلى النهر عام 1970 للحد من أسوأ الفيضانات.",
    ],
}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bench = _load("bench_scale")
archive = _load("scale_archive")


def _xquad(folder: Path) -> Path:
    """A two-article XQuAD-R look-alike in Arabic and English."""
    folder.mkdir(parents=True, exist_ok=True)
    for lang, sents in SENTENCES.items():
        articles = []
        for a in range(2):
            context = " ".join(sents)
            breaks, at = [], 0
            for s in sents:
                breaks.append([at, at + len(s)])
                at += len(s) + 1
            qas = [
                {
                    "id": f"{lang}{a}",
                    "question": sents[1][:-1] + "?",
                    "answers": [{"answer_start": breaks[1][0] + 2, "text": "x"}],
                }
            ]
            articles.append(
                {
                    "title": f"River_{a}",
                    "paragraphs": [
                        {
                            "context": context,
                            "qas": qas,
                            "sentences": sents,
                            "sentence_breaks": breaks,
                        }
                    ],
                }
            )
        (folder / f"{lang}.json").write_text(json.dumps({"data": articles}), encoding="utf-8")
    return folder


def test_parse_size():
    assert [bench.parse_size(s) for s in ("10k", "100K", "1M", "300")] == [
        10_000,
        100_000,
        1_000_000,
        300,
    ]
    with pytest.raises(Exception, match="not a size"):
        bench.parse_size("lots")


def test_shuffled_keeps_first_and_last_word():
    s = "one two three four five six seven."
    out = archive.shuffled(s, "x")
    assert out != s and sorted(out.split()) == sorted(s.split())
    assert out.split()[0] == "one" and out.split()[-1] == "seven."
    assert archive.shuffled(s, "x") == out  # seeded


def test_archive_build_reuses_real_vectors_and_perturbs_copies(tmp_path, monkeypatch):
    data = _xquad(tmp_path / "xquad")
    for d in archive.base_documents(data, ("ar", "en")):
        meta = {"bench_base": d["id"], "bench_copy": 0}
        archive.write_doc(tmp_path / "base", d["id"], d["title"], d["lang"], d["text"], meta)
    base = load_corpus(tmp_path / "base")
    emb = HashEmbedder(tokens=True, sparse=HashSparse())
    real = archive.real_encodings(base, emb, tmp_path / "cache")
    calls = emb.calls
    again = archive.real_encodings(base, emb, tmp_path / "cache")  # from the cache
    assert emb.calls == calls and np.array_equal(again["dense"], real["dense"])
    monkeypatch.setattr(archive, "CHUNK", 5)  # in kept chunks, as a resumed run reads them
    chunked = archive.real_encodings(base, emb, tmp_path / "cache-chunked")
    for key in ("dense", "sp_indptr", "sp_indices", "sp_values", "late_offsets", "late_vectors"):
        assert np.array_equal(chunked[key], real[key]), key
    calls = emb.calls
    n_base = sum(len(d.passages) for d in base)
    archive.write_corpus(tmp_path / "corpus", base, 3 * n_base)
    docs = load_corpus(tmp_path / "corpus")
    assert sum(len(d.passages) for d in docs) == 3 * n_base
    plan, odd = archive.row_plan(docs, base)
    rows = [plan[t] for t, _ in archive.row_texts(docs)]
    assert odd == 0 and sorted({c for _, c in rows}) == [0, 1, 2]
    encode, spent, given = archive.precomputed_encode(real, plan)
    from bot.index import build_index

    loaded, _ = build_index(tmp_path / "index", docs, emb, force=True, encode=encode)
    assert spent[0] > 0 and emb.calls == calls  # nothing encoded by the model
    again = load_index(tmp_path / "index")
    vecs = again.vectors.vectors()
    for j, (b, c) in enumerate(rows):
        cos = float(vecs[j] @ real["dense"][b])
        assert cos == pytest.approx(1.0, abs=1e-5) if c == 0 else 0.7 < cos < 0.99
    assert again.late.count == len(rows) and again.sparse.count == len(rows)
    queries = bench.query_vectors(emb, ["when does the river flood?", "متى يفيض النهر؟"])
    _, dense = bench.open_dense(tmp_path / "index")
    assert bench.recall_at_k(vecs, queries, dense.search) == 1.0  # an exact index


@pytest.mark.model
@pytest.mark.slow
def test_end_to_end_tiny(tmp_path):
    """The whole script on a tiny archive: real model, real server on loopback."""
    data = _xquad(tmp_path / "xquad")
    out = tmp_path / "out.json"
    cmd = [
        sys.executable,
        str(ROOT / "scripts" / "bench_scale.py"),
        "--sizes",
        "20",
        "--langs",
        "ar,en",
        "--data",
        str(data),
        "--questions",
        "2",
        "--recall-questions",
        "2",
        "--cache",
        str(tmp_path / "cache"),
        "--json",
        str(out),
    ]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    r = result["sizes"]["20"]
    assert r["passages"] == 21 and r["recall_at_10"] == 1.0
    assert r["chat_p50_ms"] > 0 and r["server_rss_mb"] > 0 and r["disk_bytes_per_passage"] > 0
    assert "| faiss" in run.stdout
