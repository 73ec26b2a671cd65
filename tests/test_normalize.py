"""The matching normaliser and the model's light fold, as tables of input and output."""

import pytest

from bot.normalize import dense_text, is_arabic, normalize, question_language

NORMALIZE = [
    ("كَيْفَ", "كيف"),  # harakat
    ("مُدَرِّس", "مدرس"),  # shadda and damma
    ("هٰذا", "هذا"),  # superscript alef
    ("العلاقـــات", "العلاقات"),  # tatweel
    ("أحمد", "احمد"),
    ("إسلام", "اسلام"),
    ("آمن", "امن"),
    ("ٱلله", "الله"),  # alef wasla
    ("مستشفى", "مستشفي"),  # alef maqsura -> yaa
    ("مدرسة", "مدرسه"),  # taa marbuta -> haa
    ("١٩٧٢", "1972"),  # Arabic-Indic digits
    ("۱۹۷۲", "1972"),  # Persian digits
    ("٣٫٥", "3.5"),  # Arabic decimal separator
    ("کتاب", "كتاب"),  # Persian kaf
    ("فارسی", "فارسي"),  # Persian yeh
    ("\ufefb", "لا"),  # lam-alef presentation form (NFKC)
    ("\ufe8d\ufedf\ufe92\ufe8e\ufe8f", "الباب"),  # isolated/initial/final presentation forms
    ("Qatar  AND\tthe UK", "qatar and the uk"),  # case and whitespace
    ("", ""),
]


@pytest.mark.parametrize(("raw", "folded"), NORMALIZE)
def test_normalize(raw, folded):
    assert normalize(raw) == folded


def test_normalize_unifies_spellings_of_one_question():
    variants = ["متـــى بدأت العلاقات؟", "مَتَى بَدَأَتِ العَلاقَاتُ؟", "متي بدات العلاقات؟"]
    assert len({normalize(v) for v in variants}) == 1


DENSE = [
    ("كَيْفَ", "كيف"),
    ("العلاقـــات", "العلاقات"),
    ("أحمد", "أحمد"),  # hamza forms kept: the model knows them
    ("مدرسة", "مدرسة"),  # taa marbuta kept
    ("\ufefb", "لا"),  # NFKC still applies
]


@pytest.mark.parametrize(("raw", "seen"), DENSE)
def test_dense_text_is_a_lighter_fold(raw, seen):
    assert dense_text(raw) == seen


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ما دور قطر؟", "ar"),
        ("What role did Qatar play?", "en"),
        ("قاعدة Al Udeid الجوية", "ar"),
        ("1972", "en"),
    ],
)
def test_question_language(text, lang):
    assert question_language(text) == lang
    assert is_arabic(text) == (lang == "ar")
