"""Ranking: fusion edge cases, sentence context, the learned sparse signal, and hybrid against
dense on a fake index."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fakes import HashEmbedder, HashSparse

from bot.corpus import Passage
from bot.embed import token_fingerprint
from bot.index import LoadedIndex, Row, SparseIndex, VectorIndex
from bot.late import LateIndex
from bot.lexical import tokenize
from bot.normalize import dense_text
from bot.postings import Postings
from bot.retrieve import Retriever, Weights, fuse, group_max, passage_groups, rrf, unit

# (document, section, sentence). Two sections of one document and a second document.
SENTENCES = [
    ("base", None, "قاعدة العديد الجوية هي أكبر قاعدة أمريكية في الشرق الأوسط."),
    ("base", None, "وقد بنيت عام 1996 بتكلفة مليار دولار."),
    ("base", None, "ويتمركز فيها نحو عشرة آلاف جندي."),
    ("base", "التاريخ", "استقلت قطر عن بريطانيا في عام 1971."),
    ("base", "التاريخ", "وبدأت العلاقات الدبلوماسية مع الولايات المتحدة عام 1972."),
    ("cup", None, "استضافت قطر كأس العالم لكرة القدم في ثمانية ملاعب."),
    ("cup", None, "وكان ملعب لوسيل أكبرها."),
]


def make_index(rows=SENTENCES, embedder=None, sparse=None) -> LoadedIndex:
    """An in-memory index over ``rows`` with the trigram test embedder (and ``sparse``)."""
    embedder = embedder or HashEmbedder()
    passages, counts = [], {}
    for doc, section, text in rows:
        counts[doc] = counts.get(doc, 0) + 1
        passages.append(
            Passage(f"{doc}:{counts[doc]}", doc, counts[doc], 0, len(text), text, section)
        )
    texts = [dense_text(p.text) for p in passages]
    sparse_index = SparseIndex.build(sparse.dim, sparse.encode(texts)) if sparse else None
    return LoadedIndex(
        {
            "id": "test",
            "passage_count": len(passages),
            "sparse": sparse.fingerprint if sparse else None,
        },
        passages,
        Postings.build(tokenize(p.text) for p in passages),
        [Row(i, "source", "") for i in range(len(passages))],
        VectorIndex.build(embedder.encode_passages(texts)),
        Path("."),
        sparse_index,
    )


class BlindEmbedder(HashEmbedder):
    """Every text gets the same vector: dense scores tie, so only other signals can rank."""

    def __init__(self, sparse=None):
        super().__init__()
        self.sparse = sparse

    def _vec(self, text):
        return np.full(self.dim, 1 / np.sqrt(self.dim), np.float32)


@pytest.fixture(scope="module")
def index():
    return make_index()


def ids(hits):
    return [h.passage.id for h in hits]


def test_passage_groups_follow_document_and_section(index):
    assert passage_groups(index.passages).tolist() == [0, 0, 0, 1, 1, 2, 2]


def test_group_max():
    scores = np.array([0.1, 0.5, 0.2, 0.9], np.float32)
    assert group_max(scores, np.array([0, 0, 1, 1]), 2).tolist() == pytest.approx(
        [0.5, 0.5, 0.9, 0.9]
    )


def test_unit_scales_by_the_best_and_leaves_zeros_alone():
    assert unit(np.array([2.0, 1.0, 0.0])).tolist() == [1.0, 0.5, 0.0]
    assert unit(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]
    assert unit(np.zeros(0)).size == 0


def test_fuse_without_lexical_evidence_is_dense_plus_context():
    dense = np.array([0.8, 0.7], np.float32)
    context = np.array([0.8, 0.9], np.float32)
    w = Weights(lexical=0.5, context=0.3)
    expected = dense + 0.3 * context
    assert fuse(dense, np.zeros(2), 1.0, context, weights=w).tolist() == pytest.approx(expected)
    assert fuse(dense, np.array([5.0, 0.0]), 0.0, context, weights=w).tolist() == pytest.approx(
        expected
    )


def test_fuse_weights_lexical_by_coverage():
    dense = np.array([0.80, 0.81], np.float32)
    lexical = np.array([4.0, 0.0], np.float32)
    assert np.argmax(fuse(dense, lexical, 1.0, weights=Weights(lexical=0.1))) == 0
    # The same lexical scores from a query the collection barely knows cannot flip the order.
    assert np.argmax(fuse(dense, lexical, 0.05, weights=Weights(lexical=0.1))) == 1


def test_fuse_adds_the_sparse_signal_scaled_to_its_best():
    dense = np.zeros(3, np.float32)
    sparse = np.array([0.0, 2.0, 4.0], np.float32)
    fused = fuse(dense, np.zeros(3), 0.0, sparse=sparse, weights=Weights(sparse=0.1))
    assert fused.tolist() == pytest.approx([0.0, 0.05, 0.1])
    assert fuse(dense, np.zeros(3), 0.0, sparse=sparse, weights=Weights(sparse=0.0)).tolist() == [
        0.0,
        0.0,
        0.0,
    ]


def test_rrf_rewards_agreement():
    a = np.array([3.0, 2.0, 1.0])
    b = np.array([1.0, 3.0, 2.0])
    assert int(np.argmax(rrf(a, b))) == 1


def test_query_with_no_lexical_match_ranks_as_dense(index):
    emb = HashEmbedder()
    no_context = Weights(context=0.0, group_lexical=0.0)
    hybrid = Retriever(index, emb, "hybrid", no_context).search("Zyxw qvort blenk", 7)
    dense = Retriever(index, emb, "dense").search("Zyxw qvort blenk", 7)
    assert ids(hybrid) == ids(dense)
    assert all(h.lexical == 0.0 for h in hybrid)
    assert [h.score for h in hybrid] == pytest.approx([h.dense for h in dense])


def test_lexical_retriever_with_no_match_still_returns_k_hits(index):
    hits = Retriever(index, HashEmbedder(), "lexical").search("Zyxw qvort", 3)
    assert len(hits) == 3 and all(h.score == 0.0 for h in hits)


@pytest.mark.parametrize(
    ("query", "gold"), [("1972", "base:5"), ("١٩٧١", "base:4"), ("1996", "base:2")]
)
def test_query_of_only_numbers(index, query, gold):
    for mode in ("hybrid", "lexical"):
        assert Retriever(index, HashEmbedder(), mode).search(query, 1)[0].passage.id == gold


def test_query_of_a_number_nobody_wrote(index):
    hits = Retriever(index, HashEmbedder(), "hybrid").search("2031", 3)
    assert len(hits) == 3 and all(h.lexical == 0.0 for h in hits)


def test_hit_dense_is_the_passages_own_cosine_not_its_context(index):
    emb = HashEmbedder()
    r = Retriever(index, emb, "hybrid")
    q = "متى بنيت قاعدة العديد؟"
    own = r.dense_scores(emb.encode_queries([q])[0])
    position = {p.id: i for i, p in enumerate(index.passages)}
    for h in r.search(q, 7):
        assert h.dense == pytest.approx(float(own[position[h.passage.id]]))
        assert h.context >= h.dense
    assert max(h.score for h in r.search(q, 7)) > max(own)  # context and lexical add to score


def test_hybrid_beats_dense_on_clitics_and_spelling():
    # Questions whose words occur in the gold sentence only with other clitics or spellings;
    # the trigram stand-in for the model is distracted by the shared frame of the sentences.
    rows = [
        ("d", None, "وصلت الطائرات الى القاعدة في الصيف."),
        ("d", None, "وصلت الطائرات الى المطار في الشتاء."),
        ("d", None, "وصلت السفن الى الميناء في الربيع."),
        ("d", None, "وصلت القوات الى المعسكر في الخريف."),
    ]
    index = make_index(rows)
    emb = HashEmbedder()
    questions = {
        "متى وصلت الطائرات للمطار؟": "d:2",
        "ما الذي وصل للميناء؟": "d:3",
        "متى وصلت القوات لمعسكرها؟": "d:4",
    }

    def r1(mode):
        r = Retriever(index, emb, mode)
        return sum(r.search(q, 1)[0].passage.id == g for q, g in questions.items())

    assert r1("hybrid") == len(questions)
    assert r1("hybrid") > r1("dense")


def test_unknown_mode_is_refused(index):
    with pytest.raises(ValueError, match="unknown retriever"):
        Retriever(index, HashEmbedder(), "bm42")


def test_empty_index():
    assert Retriever(make_index([]), HashEmbedder()).search("anything", 3) == []


def test_sparse_signal_decides_when_dense_and_lexical_are_silent():
    sparse = HashSparse()
    index = make_index(embedder=BlindEmbedder(), sparse=sparse)
    only_sparse = Weights(lexical=0.0, context=0.0, sparse=0.05)
    r = Retriever(index, BlindEmbedder(sparse), "hybrid", only_sparse)
    assert r.uses_sparse
    assert ids(r.search("ملعب لوسيل", 1)) == ["cup:2"]
    # Without the sparse signal every score ties and the first passage wins.
    off = Retriever(
        index, BlindEmbedder(sparse), "hybrid", Weights(lexical=0.0, context=0.0, sparse=0.0)
    )
    assert ids(off.search("ملعب لوسيل", 1)) == ["base:1"]


def test_caller_given_sparse_vector_is_used_as_is():
    sparse = HashSparse()
    r = Retriever(
        make_index(embedder=BlindEmbedder(), sparse=sparse),
        BlindEmbedder(sparse),
        "hybrid",
        Weights(lexical=0.0, context=0.0),
    )
    [vec] = sparse.encode(["جندي"])
    query = r.encode_query("ملعب لوسيل")
    calls = sparse.calls
    assert ids(r.rank(replace(query, sparse=vec), 1).hits) == ["base:3"]
    assert sparse.calls == calls  # nothing encoded again


def test_sparse_scores_take_the_best_view_of_a_passage():
    sparse = HashSparse()
    index = make_index(SENTENCES[:2], sparse=sparse)
    # A second row for passage 0 (as a translation view is), matching the query better.
    views = sparse.encode([dense_text(p.text) for p in index.passages] + ["air base Qatar"])
    index.rows.append(Row(0, "translation.en", ""))
    index.sparse = SparseIndex.build(sparse.dim, views)
    r = Retriever(index, BlindEmbedder(sparse), "hybrid")
    scores = r.sparse_scores(sparse.encode(["air base Qatar 1996"])[0])
    assert scores.tolist() == [3.0, 1.0]  # "air base qatar" vs "1996"


def test_index_from_another_sparse_encoder_is_ranked_without_it():
    index = make_index(sparse=HashSparse())
    other = HashSparse(dim=1024)
    other.fingerprint = "hash-words-1024"
    r = Retriever(index, BlindEmbedder(other), "hybrid")
    assert not r.uses_sparse
    assert len(r.search("ملعب لوسيل", 3)) == 3
    assert not Retriever(index, HashEmbedder(), "hybrid").uses_sparse


def with_late(index: LoadedIndex, embedder: HashEmbedder) -> LoadedIndex:
    """``index`` with one one-hot token vector per passage (passage i is token i)."""
    dim = embedder.dim
    index.late = LateIndex.build(
        [np.eye(1, dim, i, dtype=np.float16) for i in range(len(index.passages))], dim
    )
    index.manifest["late"] = token_fingerprint(embedder)
    return index


ONLY_LATE = Weights(lexical=0.0, context=0.0, sparse=0.0, late=1.0)


def test_late_interaction_reranks_the_head_when_lexical_matching_is_blind():
    emb = BlindEmbedder()
    emb.token_recipe = "one-hot"
    r = Retriever(with_late(make_index(embedder=emb), emb), emb, "hybrid", ONLY_LATE)
    assert r.reranks
    token_of = lambda i: np.eye(1, emb.dim, i, dtype=np.float32)  # noqa: E731
    # "zzz" matches no word of the corpus (coverage 0): the late term has its full weight.
    hits = r.rank(replace(r.encode_query("zzz"), tokens=token_of(3)), 2).hits
    # Token vectors are stored as int8 with a float16 scale: a cosine of 1 reads as ~0.99997.
    assert ids(hits) == ["base:4", "base:1"] and hits[1].late == 0.0
    assert hits[0].late == pytest.approx(1.0, abs=1e-3)
    assert hits[0].score == pytest.approx(hits[1].score + 1.0, abs=1e-3)


def test_late_interaction_leaves_passages_below_the_head_alone(monkeypatch):
    emb = BlindEmbedder()
    emb.token_recipe = "one-hot"
    r = Retriever(with_late(make_index(embedder=emb), emb), emb, "hybrid", ONLY_LATE)
    monkeypatch.setattr("bot.retrieve.RERANK_DEPTH", 2)
    n = len(r.index.passages)
    # Passage 3 would win, but the tie-ordered head is passages 0 and 1: it is not reranked.
    query = r.encode_query("zzz")
    hits = r.rank(replace(query, tokens=np.eye(1, emb.dim, 3, dtype=np.float32)), n).hits
    assert ids(hits)[:4] == ["base:1", "base:2", "base:3", "base:4"]
    hits = r.rank(replace(query, tokens=np.eye(1, emb.dim, 1, dtype=np.float32)), n).hits
    assert ids(hits)[:3] == ["base:2", "base:1", "base:3"]


def test_late_interaction_is_silent_when_the_words_already_matched():
    emb = BlindEmbedder()
    emb.token_recipe = "one-hot"
    r = Retriever(with_late(make_index(embedder=emb), emb), emb, "hybrid", ONLY_LATE)
    query = replace(r.encode_query("ملعب لوسيل"), tokens=np.eye(1, emb.dim, 3, dtype=np.float32))
    hits = r.rank(query, 3).hits
    assert r.bm25.share(tokenize("ملعب لوسيل")) == 1.0
    assert all(h.late == 0.0 for h in hits) and ids(hits)[0] == "base:1"  # ties, in order


def test_late_interaction_needs_this_models_token_vectors():
    emb = HashEmbedder(tokens=True)
    index = make_index(embedder=emb)
    assert not Retriever(index, emb, "hybrid").reranks  # the index has no token vectors
    other = HashEmbedder(tokens=True)
    other.token_recipe = "another-recipe"
    assert not Retriever(with_late(make_index(embedder=emb), emb), other, "hybrid").reranks
    assert not Retriever(with_late(make_index(embedder=emb), emb), emb, "dense").reranks
    r = Retriever(with_late(make_index(embedder=emb), emb), emb, "hybrid")
    assert r.reranks
    query = r.encode_query("ملعب لوسيل")
    assert query.dense.shape == (emb.dim,) and query.tokens.shape == (2, emb.dim)
    assert len(r.search("Lusail stadium", 3)) == 3  # encodes its own token vectors
