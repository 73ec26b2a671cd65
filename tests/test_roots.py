"""Arabic verbs and their verbal nouns by root (roots.py), and where the focus check uses them."""

from __future__ import annotations

import pytest

from bot.normalize import normalize
from bot.roots import is_derived_noun, is_verb, root_keys, same_root


@pytest.mark.parametrize(
    "verb, noun",
    [
        ("يدرب", "تدريب"),
        ("تحررت", "تحرير"),
        ("يتمركز", "المتمركزين"),
        ("عُيّن", "تعيينه"),
        ("بيتدرب", "والتدريب"),
    ],
)
def test_a_verb_matches_its_verbal_noun(verb, noun):
    assert same_root(normalize(verb), normalize(noun))


@pytest.mark.parametrize(
    "verb, noun",
    [
        ("تخرج", "خارج"),  # graduate / outside: خارج is no derived noun
        ("تدفع", "الدفاع"),  # pay / defence
        ("تولى", "الولايات"),  # took office / states
        ("زار", "وزير"),  # visited / minister (وزير is not و + زير)
        ("عدد", "العديد"),  # a number / Al Udeid
    ],
)
def test_words_of_other_roots_do_not_match(verb, noun):
    assert not same_root(normalize(verb), normalize(noun))


def test_keys_and_patterns():
    assert root_keys("تدريب") == {"درب"}
    assert not root_keys("في")  # fewer than three letters left
    assert not root_keys("train")
    assert is_verb("يدرب") and is_verb("زار") and not is_verb("الدفاعيه")
    assert is_derived_noun("التدريب") and not is_derived_noun("وزير")
