"""Tokeniser and BM25."""

import numpy as np
import pytest

from bot.lexical import BM25, light_stem, tokenize


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


def test_bm25_ranks_the_matching_document_first():
    docs = [tokenize(t) for t in ["قاعدة العديد الجوية في قطر", "حرب الخليج", "كأس العالم"]]
    bm = BM25(docs)
    scores = bm.scores(tokenize("أين تقع قاعدة العديد؟"))
    assert int(np.argmax(scores)) == 0
    assert scores[1] == scores[2] == 0


def test_bm25_rare_words_weigh_more():
    bm = BM25([["a", "x"], ["a", "y"], ["a", "z"]])
    assert bm.scores(["x"])[0] > bm.scores(["a"])[0]


def test_bm25_coverage():
    bm = BM25([tokenize("قاعدة العديد")])
    assert bm.share(tokenize("قاعدة العديد")) == 1.0
    assert bm.share(tokenize("Where is Al Udeid?")) == 0.0
    assert bm.share([]) == 0.0


def test_bm25_empty_collection():
    bm = BM25([])
    assert bm.scores(["x"]).shape == (0,)


def test_tokenize_offers_the_rest_of_a_short_word_after_and_so_with():
    # وهوك ("and Hawk"): neither stem cuts it (Snowball gives وهو), so the rest is added.
    assert "هوك" in tokenize("أسراب الطائرات تايفون وهوك")
    assert "هوك" in tokenize("فهوك") and "هوك" in tokenize("بهوك")
    assert {"زير", "وزير"} <= set(tokenize("وزير"))  # the whole word stays too
    assert "ندن" not in tokenize("لندن")  # ل is not one of them
