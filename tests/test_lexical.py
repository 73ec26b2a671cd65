"""Tokeniser and BM25."""

import math
import random

import numpy as np
import pytest

from bot import arrays
from bot.lexical import BM25, light_stem, peak_idf, tokenize
from bot.postings import Postings


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("والعلاقات", "علاق"),  # prefix وال and suffix ات
        ("بالقاعده", "قاعد"),
        ("كتاب", "كتاب"),  # nothing to strip
        ("وهم", "وهم"),  # too short to strip: a root has three letters
        ("مدرستها", "مدرست"),
    ],
)
def test_light_stem(word, stem):
    assert light_stem(word) == stem


def test_tokenize_drops_stop_words_and_keeps_numbers():
    toks = tokenize("ماذا حدث في عام ١٩٧٢؟")
    assert "1972" in toks
    assert not {"ماذا", "في"} & set(toks)


def test_tokenize_matches_across_spellings_and_clitics():
    a = set(tokenize("العلاقات الدبلوماسية"))
    b = set(tokenize("وعلاقاتٍ دبلوماسيّةٍ"))
    assert a & b


def test_tokenize_stems_english():
    assert tokenize("The partnerships were strengthened") == ["partnership", "strengthen"]


def test_tokenize_empty_and_punctuation():
    assert tokenize("") == []
    assert tokenize("؟!، ...") == []


def test_chinese_yields_han_bigrams_and_keeps_latin_words_and_numbers():
    assert tokenize("黑豹队的防守") == ["黑豹", "豹队", "队的", "的防", "防守"]
    assert tokenize("ARPANET和SITA于1969年运营。") == [
        "arpanet", "和", "sita", "于", "1969", "年运", "运营"
    ]  # fmt: skip


def test_hindi_keeps_its_vowel_signs_and_thai_is_cut_at_them_as_before():
    assert tokenize("ทีมรับของแพนเธอร์ส") == ["ท", "มร", "บของแพนเธอร", "ส"]
    assert tokenize("पैंथर्स की डिफ़ेन्स ने। अब") == ["पैंथर्स", "की", "डिफ़ेन्स", "ने", "अब"]


def test_a_chinese_question_matches_its_sentence_by_bigrams():
    docs = [tokenize("黑豹队的防守只丢了308分。"), tokenize("职业碗防守截锋以11分领先。")]
    scores = BM25.of(docs).scores(tokenize("黑豹队丢了多少分？"))
    assert scores[0] > 0 == scores[1]  # 黑豹, 豹队, 丢了 match; nothing of the second


def test_bm25_ranks_the_matching_document_first():
    docs = [tokenize(t) for t in ["قاعدة العديد الجوية في قطر", "حرب الخليج", "كأس العالم"]]
    bm = BM25.of(docs)
    scores = bm.scores(tokenize("أين تقع قاعدة العديد؟"))
    assert int(np.argmax(scores)) == 0
    assert scores[1] == scores[2] == 0


def test_bm25_rare_words_weigh_more():
    bm = BM25.of([["a", "x"], ["a", "y"], ["a", "z"]])
    assert bm.scores(["x"])[0] > bm.scores(["a"])[0]


def test_bm25_coverage():
    bm = BM25.of([tokenize("قاعدة العديد")])
    assert bm.share(tokenize("قاعدة العديد")) == 1.0
    assert bm.share(tokenize("Where is Al Udeid?")) == 0.0
    assert bm.share([]) == 0.0


def test_bm25_empty_collection():
    bm = BM25.of([])
    assert bm.scores(["x"]).shape == (0,)


def test_tokenize_offers_the_rest_of_a_short_word_after_and_so_with():
    # وهوك ("and Hawk"): neither stem cuts it (Snowball gives وهو), so the rest is added.
    assert "هوك" in tokenize("أسراب الطائرات تايفون وهوك")
    assert "هوك" in tokenize("فهوك") and "هوك" in tokenize("بهوك")
    assert {"زير", "وزير"} <= set(tokenize("وزير"))  # the whole word stays too
    assert "ندن" not in tokenize("لندن")  # ل is not one of them


def _dense_bm25(docs: list[list[str]], query: list[str], k1=1.5, b=0.5) -> np.ndarray:
    """The textbook computation over every document (the reference the postings must match)."""
    n = len(docs)
    lengths = np.array([len(d) for d in docs], np.float32)
    norm = k1 * (1 - b + b * lengths / max(float(lengths.mean()) if n else 0.0, 1e-9))
    out = np.zeros(n, np.float32)
    for w in sorted(set(query)):
        tf = np.array([d.count(w) for d in docs], np.float32)
        df = int((tf > 0).sum())
        if df:
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            out += np.where(tf > 0, idf * tf * (k1 + 1) / (tf + norm), 0).astype(np.float32)
    return out


def _random_corpus(seed: int, n: int = 400) -> tuple[random.Random, list[str], list[list[str]]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(150)] + ["قطر", "العديد", "1972"]
    docs = [
        [rng.choice(vocab[: rng.randint(3, 153)]) for _ in range(rng.randint(0, 25))]
        for _ in range(n)
    ]
    return rng, vocab, docs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bm25_postings_equal_the_dense_computation(seed):
    rng, vocab, docs = _random_corpus(seed)
    bm = BM25.of(docs)
    for _ in range(60):
        query = [rng.choice(vocab + ["absent"]) for _ in range(rng.randint(0, 6))]
        want = _dense_bm25(docs, query)
        assert np.allclose(bm.scores(query), want, rtol=1e-6, atol=0), query
        ids, s = bm.candidates(query)
        assert ids.tolist() == np.flatnonzero(want).tolist()  # exactly the matching documents
        assert np.array_equal(s, bm.scores(query)[ids])


def test_group_postings_equal_bm25_over_concatenated_groups():
    rng, vocab, docs = _random_corpus(3)
    groups = np.sort(np.array([rng.randrange(60) for _ in docs]))
    groups = np.unique(groups, return_inverse=True)[1]  # consecutive, no empty group
    n_groups = int(groups.max()) + 1
    merged = [[t for i in np.flatnonzero(groups == g) for t in docs[i]] for g in range(n_groups)]
    bm = BM25(Postings.build(docs).grouped(groups, n_groups))
    assert bm.n == n_groups
    for _ in range(40):
        query = [rng.choice(vocab) for _ in range(rng.randint(1, 6))]
        assert np.allclose(bm.scores(query), _dense_bm25(merged, query), rtol=1e-6, atol=0)


def test_idf_mapping_and_postings_round_trip(tmp_path, monkeypatch):
    monkeypatch.setattr(arrays, "MMAP_MIN_BYTES", 0)  # as an archive's files
    _, vocab, docs = _random_corpus(4, 200)
    built = Postings.build(docs)
    built.save(tmp_path / "lexical")
    back = Postings.load(tmp_path / "lexical")
    assert isinstance(back.docs, np.memmap) and back.count == len(docs)
    idf = BM25(back).idf
    held = {t for d in docs for t in d}
    assert set(idf) == held and len(idf) == len(held)
    for w in held:
        df = sum(w in d for d in docs)
        assert idf[w] == math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
    assert "absent" not in idf and idf.get("absent") is None
    assert peak_idf(idf) == max(idf.values()) == max(dict(idf).values())
    assert peak_idf({}) == peak_idf(BM25.of([]).idf) == 1.0
    docs_of, held_n = back.matches(["w1", "w2", "absent"])
    want = [sum(w in d for w in ("w1", "w2")) for d in docs]
    assert docs_of.tolist() == [i for i, c in enumerate(want) if c]
    assert held_n.tolist() == [c for c in want if c]


def test_remembered_terms_and_scores_equal_fresh_ones(monkeypatch):
    """Term ids, IDFs and BM25 term scores are kept between questions (bounded): what comes
    back from memory, after forgetting, and in grouped postings equals a fresh computation."""
    from bot import lexical, postings

    rng, vocab, docs = _random_corpus(5)
    monkeypatch.setattr(postings, "TERM_MEMO", 7)  # forget often
    monkeypatch.setattr(lexical, "_POSTINGS_KEPT", 60)
    kept = BM25.of(docs)
    groups = np.arange(len(docs)) // 3
    grouped = BM25(kept.postings.grouped(groups, int(groups.max()) + 1))
    assert grouped.postings._ids is kept.postings._ids  # one vocabulary, one memory
    for _ in range(80):
        query = [rng.choice(vocab + ["absent"]) for _ in range(rng.randint(1, 6))]
        fresh = BM25.of(docs)
        assert np.array_equal(kept.scores(query), fresh.scores(query))
        assert kept.postings.lookup(query).tolist() == fresh.postings.lookup(query).tolist()
        assert [kept.idf.get(w) for w in query] == [fresh.idf.get(w) for w in query]
        assert [w in kept.idf for w in query] == [w in fresh.idf for w in query]
        assert np.array_equal(grouped.scores(query), BM25(fresh.postings.grouped(
            groups, int(groups.max()) + 1)).scores(query))  # fmt: skip
    assert len(kept.postings._ids) <= 7 and kept._kept <= 60


def test_tokenize_gives_a_new_list_each_time():
    from bot.lexical import tokenize_normalized
    from bot.normalize import normalize

    for text in ("Al Udeid Air Base", "قاعدة العديد الجوية " * 10, "قاعدة العديد " * 400):
        first = tokenize(text)  # a word, a text kept, and one too long to keep
        assert first == tokenize_normalized(normalize(text))
        first.append("changed")
        assert tokenize(text) == tokenize_normalized(normalize(text))
