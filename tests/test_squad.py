"""The SQuAD-format benchmark: loading, gold sentences, metrics, and the report."""

import json
from pathlib import Path

import pytest
from fakes import HashEmbedder, HashSparse

from bot.errors import InputError
from bot.squad import (
    build_index,
    evaluate,
    format_report,
    gold_rank,
    load_pool,
    load_queries,
    metrics,
    run,
)

XQUAD = Path("/work/shared/bench-data/xquad-r")  # CC BY-SA 4.0, see SOURCE.md there


def paragraph(sentences, qas):
    context, breaks = "", []
    for s in sentences:
        if context:
            context += " "
        breaks.append([len(context), len(context) + len(s)])
        context += s
    return {
        "context": context,
        "sentences": sentences,
        "sentence_breaks": breaks,
        "qas": [
            {"id": i, "question": q, "answers": [{"answer_start": context.index(a), "text": a}]}
            for i, q, a in qas
        ],
    }


AR = {
    "data": [
        {
            "title": "Qatar_Base",
            "paragraphs": [
                paragraph(
                    [
                        "قاعدة العديد هي أكبر قاعدة أمريكية في المنطقة.",
                        "بنيت القاعدة عام 1996.",
                        "تكرار الجملة.",
                    ],
                    [
                        ("q1", "متى بنيت قاعدة العديد؟", "1996"),
                        ("q2", "ما أكبر قاعدة أمريكية؟", "العديد"),
                    ],
                )
            ],
        },
        {
            "title": "World_Cup",
            "paragraphs": [
                paragraph(
                    ["استضافت قطر كأس العالم عام 2022.", "تكرار الجملة."],
                    [("q3", "أي جملة تتكرر؟", "تكرار")],
                )
            ],
        },
    ]
}
EN = {
    "data": [
        {
            "title": "Qatar_Base",
            "paragraphs": [
                {
                    "context": "",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "When was Al Udeid built?",
                            "answers": [{"answer_start": 0}],
                        }
                    ],
                }
            ],
        }
    ]
}


@pytest.fixture
def files(tmp_path):
    ar, en = tmp_path / "ar.json", tmp_path / "en.json"
    ar.write_text(json.dumps(AR, ensure_ascii=False), encoding="utf-8")
    en.write_text(json.dumps(EN), encoding="utf-8")
    return ar, en


def test_pool_has_every_sentence_and_the_gold_by_answer_start(files):
    pool = load_pool(files[0])
    assert [p.id for p in pool.passages] == ["p0:1", "p0:2", "p0:3", "p1:1", "p1:2"]
    assert pool.titles[0] == "Qatar Base"
    gold = {q.id: q.gold for q in pool.questions}
    assert gold["q1"] == {1} and gold["q2"] == {0}
    assert gold["q3"] == {2, 4}  # the sentence occurs twice: matched by text


def test_queries_take_the_gold_of_the_pool(files):
    pool = load_pool(files[0])
    [q] = load_queries(files[1], pool)
    assert (q.id, q.text, q.gold) == ("q1", "When was Al Udeid built?", frozenset({1}))


def test_query_ids_must_exist_in_the_pool(files, tmp_path):
    bad = tmp_path / "bad.json"
    qas = [{"id": "zz", "question": "?"}]
    bad.write_text(json.dumps({"data": [{"paragraphs": [{"qas": qas}]}]}))
    with pytest.raises(InputError, match="zz"):
        load_queries(bad, load_pool(files[0]))


@pytest.mark.parametrize(
    "content",
    ["not json", '{"rows": []}', '{"data": [{"paragraphs": [{"context": "x", "qas": []}]}]}'],
)
def test_bad_files_say_what_is_wrong(tmp_path, content):
    f = tmp_path / "x.json"
    f.write_text(content)
    with pytest.raises(InputError):
        load_pool(f)


def test_metrics_from_ranks():
    m = metrics([1, 2, 6, None])
    assert m == {
        "R@1": 0.25,
        "R@5": 0.5,
        "R@10": 0.75,
        "MRR@10": round((1 + 0.5 + 1 / 6) / 4, 4),
        "n": 4,
    }


def test_gold_rank():
    assert gold_rank([4, 2, 7], frozenset({2, 9})) == 2
    assert gold_rank([4, 2, 7], frozenset({1})) is None


def test_report_has_every_retriever_in_the_documented_shape(files):
    report = run(files[0], None, HashEmbedder())
    assert report["default"] == "hybrid"
    assert {"lexical", "dense", "hybrid"} <= set(report["retrievers"])
    for row in report["retrievers"].values():
        assert set(row) == {"R@1", "R@5", "R@10", "MRR@10", "ms_per_query", "n"}
        assert row["n"] == 3 and 0 <= row["R@1"] <= row["R@5"] <= row["R@10"] <= 1
    # Every question's gold is in a pool of five sentences, so all are found by rank 5.
    assert all(r["R@5"] == 1.0 for r in report["retrievers"].values())
    assert "hybrid" in format_report(report)
    assert {"hybrid-no-sparse", "hybrid-no-late", "hybrid-sentence", "rrf"} <= set(
        report["retrievers"]
    )


def test_sparse_vectors_are_built_and_each_question_encoded_once(files):
    emb = HashEmbedder()
    emb.sparse = HashSparse()
    pool = load_pool(files[0])
    index = build_index(pool, emb)
    assert index.sparse is not None and index.sparse.count == 5
    assert index.manifest["sparse"] == "hash-words-v1"
    report = evaluate(index, pool.questions, emb)
    assert emb.sparse.calls == 5 + 3  # the pool once, then every question once for all variants
    assert report["retrievers"]["hybrid"]["R@5"] == 1.0
    assert build_index(pool, HashEmbedder()).sparse is None


def test_lexical_finds_the_number_question(files):
    pool = load_pool(files[0])
    report = evaluate(build_index(pool, HashEmbedder()), [pool.questions[0]], HashEmbedder())
    assert report["retrievers"]["lexical"]["R@1"] == 1.0


@pytest.mark.model
@pytest.mark.skipif(not (XQUAD / "ar.json").exists(), reason="XQuAD-R is not on this machine")
def test_real_model_on_a_slice_of_xquad_r(real_embedder, tmp_path):
    def head(name):
        data = json.loads((XQUAD / name).read_text(encoding="utf-8"))
        path = tmp_path / name
        path.write_text(
            json.dumps({"data": data["data"][:3]}, ensure_ascii=False), encoding="utf-8"
        )
        return path

    ar, en = head("ar.json"), head("en.json")
    same = run(ar, None, real_embedder)["retrievers"]
    cross = run(ar, en, real_embedder)["retrievers"]
    assert same["hybrid"]["n"] > 50
    assert same["hybrid"]["R@1"] >= max(same["dense"]["R@1"], same["lexical"]["R@1"])
    assert same["hybrid"]["R@1"] >= 0.7
    # Lexical cannot cross scripts; hybrid must not be dragged down by it.
    assert cross["lexical"]["R@1"] < 0.2
    assert cross["hybrid"]["R@1"] >= cross["dense"]["R@1"] - 0.02
    # Late interaction helps most across scripts (on this slice 0.619 -> 0.638 R@1).
    assert cross["hybrid"]["MRR@10"] > cross["hybrid-no-late"]["MRR@10"]


def test_token_vectors_are_built_from_the_sentences_alone(files):
    emb = HashEmbedder(tokens=True)
    pool = load_pool(files[0])
    index = build_index(pool, emb)
    assert index.late is not None and index.late.count == len(pool.passages)
    assert index.manifest["late"] == "hash-trigrams-v1+hash-words-v1"
    first = pool.passages[0].text  # no article title in the token vectors
    assert len(index.late.row(0).scales) == len(emb.encode([first], "passage").tokens[0])
    report = evaluate(index, pool.questions, emb)
    assert report["retrievers"]["hybrid"]["R@5"] == 1.0
    assert build_index(pool, HashEmbedder()).late is None
