"""The SQuAD-format benchmark: loading, gold sentences, metrics, and the report."""

import json
from pathlib import Path

import numpy as np
import pytest
from fakes import HashEmbedder, HashSparse

from bot.errors import InputError
from bot.squad import (
    build_index,
    evaluate,
    format_report,
    gold_rank,
    half,
    load,
    load_pool,
    load_pools,
    load_queries,
    metrics,
    parse_articles,
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


def test_token_vectors_are_built_from_the_sentences_own_tokens(files):
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


def parallel(sentences_by_article, questions_by_article):
    """A SQuAD file with one paragraph per article (the same question ids in every file)."""
    return {
        "data": [
            {"title": f"Article_{a}", "paragraphs": [paragraph(s, questions_by_article[a])]}
            for a, s in enumerate(sentences_by_article)
        ]
    }


# English counterpart of AR: the same articles, question ids and answers, translated.
EN_FULL = parallel(
    [
        [
            "Al Udeid is the largest American base in the region.",
            "The base was built in 1996.",
            "A repeated sentence.",
        ],
        ["Qatar hosted the World Cup in 2022.", "A repeated sentence."],
    ],
    [
        [
            ("q1", "When was Al Udeid built?", "1996"),
            ("q2", "Which is the largest American base?", "Al Udeid"),
        ],
        [("q3", "Which sentence repeats?", "repeated")],
    ],
)


@pytest.fixture
def pooled(files, tmp_path):
    en = tmp_path / "en.json"  # replaces the questions-only file: full paragraphs now
    en.write_text(json.dumps(EN_FULL), encoding="utf-8")
    return files[0], en


def test_a_pool_of_parallel_files_has_a_gold_sentence_in_each(pooled):
    ar, en = pooled
    pool = load_pools(ar, [ar, en])  # FILE named again in --pool is not added twice
    assert [p.id for p in pool.passages][:3] == ["ar/p0:1", "ar/p0:2", "ar/p0:3"]
    ids = [p.id for p in pool.passages][5:]
    assert ids == ["en/p0:1", "en/p0:2", "en/p0:3", "en/p1:1", "en/p1:2"]
    assert len(pool.parts) == 2 and [n for _, n in pool.parts] == [5, 5]
    by_id = {q.id: q for q in pool.questions}
    assert [q.text for q in pool.questions] == [q.text for q in load_pool(ar).questions]
    assert by_id["q1"].gold == {1, 6} and by_id["q1"].own == {1}
    assert by_id["q3"].gold == {2, 4, 7, 9} and by_id["q3"].own == {2, 4}
    [en_q1, *_] = load_queries(en, pool)
    assert (en_q1.text, en_q1.gold, en_q1.own) == ("When was Al Udeid built?", {1, 6}, {1})


def test_pool_files_need_distinct_names(pooled, tmp_path):
    other = tmp_path / "x"
    other.mkdir()
    (other / "ar.json").write_text(pooled[0].read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError, match="same name"):
        load_pools(pooled[0], [other / "ar.json"])


def test_a_pooled_run_counts_a_hit_in_any_file_and_in_the_question_file(pooled):
    ar, en = pooled
    report = run(ar, en, HashEmbedder(), [en])  # English questions, English sentences pooled
    assert report["pool"] == {"files": 2, "sentences": 10, "half": "all", "articles": "all"}
    anyf, own = report["retrievers"], report["own_language"]
    assert set(anyf) == set(own)
    for name in anyf:  # the same ranking; any-file gold is a superset of the file's own
        for k in ("R@1", "R@5", "R@10", "MRR@10"):
            assert anyf[name][k] >= own[name][k]
    # Word overlap puts the English sentence first: a hit in any file, not in ar.json.
    assert anyf["lexical"]["R@1"] > 0.6 > own["lexical"]["R@1"]
    assert "own_language" not in run(ar, en, HashEmbedder())


def test_articles_select_a_slice_of_every_file(pooled, tmp_path):
    ar, en = pooled
    pool, questions = load(ar, en, [en], articles=parse_articles("1"))
    assert [p.id for p in pool.passages] == ["ar/p0:1", "ar/p0:2", "en/p0:1", "en/p0:2"]
    assert [(q.id, q.article, q.text) for q in questions] == [("q3", 1, "Which sentence repeats?")]
    assert questions[0].gold == {1, 3} and questions[0].own == {1}
    # The slice reuses the whole files' cached vectors (they are found by text).
    emb = HashEmbedder(sparse=HashSparse())
    build_index(load_pools(ar, [en]), emb, tmp_path / "c")
    build_index(pool, emb, tmp_path / "c")
    assert emb.sparse.calls == 10
    assert parse_articles("0-2,5") == {0, 1, 2, 5} and parse_articles("") is None
    with pytest.raises(InputError, match="articles"):
        parse_articles("a-b")


def test_halves_split_on_articles(files):
    pool = load_pool(files[0])
    assert [q.id for q in half(pool.questions, "A")] == ["q1", "q2"]  # article 0
    assert [q.id for q in half(pool.questions, "B")] == ["q3"]  # article 1
    assert half(pool.questions, None) == pool.questions
    with pytest.raises(InputError, match="half"):
        half(pool.questions, "C")


def test_encoded_vectors_are_cached_per_file(pooled, tmp_path):
    ar, en = pooled
    emb = HashEmbedder(tokens=True, sparse=HashSparse())
    seen = []
    first = build_index(load_pools(ar, [en]), emb, tmp_path / "c", lambda d, t: seen.append(t))
    # Two files of 5 sentences, each sentence encoded once (with its title; its own tokens
    # sliced from that pass).
    assert emb.sparse.calls == 10 and seen[-1] == 5
    assert len(list((tmp_path / "c").glob("squad-vectors-*.npz"))) == 2
    again = build_index(load_pools(ar, [en]), emb, tmp_path / "c")
    assert emb.sparse.calls == 10  # nothing encoded again
    np.testing.assert_array_equal(first.vectors.vectors(), again.vectors.vectors())
    np.testing.assert_array_equal(first.late.codes, again.late.codes)
    np.testing.assert_array_equal(first.sparse.weights, again.sparse.weights)
    np.testing.assert_array_equal(first.sparse.rows, again.sparse.rows)
    alone = build_index(load_pool(ar), emb, tmp_path / "c")  # the Arabic file alone reuses it
    assert emb.sparse.calls == 10 and alone.vectors.count == 5
    # Another model's vectors are never read: its cache has another name.
    other = HashEmbedder(dim=64, tokens=True, sparse=HashSparse())
    build_index(load_pool(ar), other, tmp_path / "c")
    assert other.sparse.calls == 5
    # A changed file is encoded again (its hash names its cache).
    data = json.loads(en.read_text(encoding="utf-8"))
    data["data"][1]["paragraphs"][0]["sentences"][0] = "Qatar hosted the 2022 World Cup."
    en.write_text(json.dumps(data), encoding="utf-8")
    build_index(load_pools(ar, [en]), emb, tmp_path / "c")
    assert emb.sparse.calls == 10 + 1  # only the changed sentence


def test_a_broken_cache_file_is_encoded_again(files, tmp_path):
    emb = HashEmbedder(sparse=HashSparse())  # no token vectors: one pass a sentence
    build_index(load_pool(files[0]), emb, tmp_path)
    [cached] = tmp_path.glob("squad-vectors-*.npz")
    cached.write_bytes(b"not an npz")
    build_index(load_pool(files[0]), emb, tmp_path)
    assert emb.sparse.calls == 10
