"""Token alignment across languages (bot/align.py) and claims judged through it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from conftest import ROOT, make_settings

from bot.align import align, model_offsets, same_name, skeleton, to_original
from bot.normalize import dense_text


@pytest.mark.parametrize(
    "text",
    ["Qatar is the third-largest customer.", "يُذكر أن سرب تايفون", "ﷺ and ﬁne", "وقطر ٣ آلاف"],
)
def test_model_offsets_map_each_model_character_back(text):
    model = dense_text(text)
    offsets = model_offsets(text)
    assert offsets is not None and len(offsets) == len(model) + 1
    for k, ch in enumerate(model):
        # The model's character comes from the original character it points at.
        assert ch in dense_text(text[offsets[k]])


def test_to_original_spans_skip_diacritics():
    text = "يُذكر أن"  # the damma is dropped in the model's text
    model = dense_text(text)
    assert model == "يذكر أن"
    offsets = model_offsets(text)
    assert to_original([(0, 4), (5, 7)], offsets) == [(0, 5), (6, 8)]
    assert text[0:5] == "يُذكر"


def _vectors(rows):
    x = np.asarray(rows, np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_link_back_and_mutual_on_known_vectors():
    claim, passage = "Biden said", "قال بايدن"
    c_spans = [(0, 5), (6, 10)]  # "Biden", "said"
    p_spans = [(0, 3), (4, 9)]  # "قال", "بايدن"
    al = align(
        claim,
        _vectors([[0.1, 1, 0], [1, 0.1, 0]]),
        c_spans,
        passage,
        _vectors([[1, 0, 0.2], [0, 1, 0.1]]),
        p_spans,
    )
    link = al.link(0, 5)
    assert passage[link.start : link.end] == "بايدن" and link.mutual and link.score > 0.9
    back = al.back(0, 3)
    assert claim[back.start : back.end] == "said" and back.mutual
    assert al.clause_score((0, 10), (4, 9)) < al.clause_score((0, 10), (0, 9))


def test_align_refuses_vectors_that_do_not_match_the_spans():
    v = _vectors([[1, 0], [0, 1]])
    assert align("a b", v, [(0, 1)], "c d", v, [(0, 1), (2, 3)]) is None


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Tesla", "تسلا", True),
        ("Edison's", "إديسون", True),
        ("New York", "نيويورك", True),
        ("Westinghouse", "وستنغهاوس", True),
        ("Sandhurst", "ساندهرست", True),
        ("Edison", "وستنغهاوس", False),
        ("New York", "شيكاغو", False),
        ("Marconi", "إديسون", False),
        ("West Point", "ساندهرست", False),
        ("US", "قطر", None),  # one consonant: too short to tell
    ],
)
def test_same_name_across_scripts(a, b, same):
    assert same_name(a, b) is same, (skeleton(a), skeleton(b))


@pytest.fixture(scope="module")
def untranslated_sanad(real_embedder, tmp_path_factory):
    """The seed article without its aligned translation, with the real model."""
    from bot.service import Sanad

    tmp = tmp_path_factory.mktemp("xl")
    seed = tmp / "corpus" / "qatar-defense-partnerships"
    shutil.copytree(ROOT / "corpus" / "qatar-defense-partnerships", seed)
    (seed / "translation.en.jsonl").unlink()
    meta = json.loads((seed / "meta.json").read_text(encoding="utf-8"))
    meta.pop("translations")
    (seed / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return Sanad.open(make_settings(tmp, tmp / "corpus"), embedder=real_embedder)


@pytest.mark.model
def test_english_claim_against_arabic_passage_without_translation(untranslated_sanad):
    assert untranslated_sanad.index.passages[0].translation is None
    swapped = untranslated_sanad.verify("Every year Qatari students enrol at West Point.")
    assert swapped.verdict == "contradicted", swapped.explanation
    spans = [m for e in swapped.evidence for m in e.comparison.contradicts]
    assert any(m.claim[2] == "West Point" and "ساندهرست" in m.passage[2] for m in spans)
    right = untranslated_sanad.verify("Qatari students enrol at Sandhurst every year.")
    assert right.verdict != "contradicted", right.explanation
    body = right.to_dict()["evidence"][0]
    assert body["id"] == "qatar-defense-partnerships:18"
    assert {s["via"] for s in body["supports"]} >= {"alignment"}
    for s in body["supports"]:  # offsets into the document, verbatim
        p = untranslated_sanad.index.passages[17]
        assert (
            p.text[s["passage"]["start"] - p.start : s["passage"]["end"] - p.start]
            == (s["passage"]["text"])
        )


@pytest.mark.model
def test_a_month_of_another_clause_does_not_support_across_languages(untranslated_sanad):
    # "July" is the appointment's month; the talks at Sandhurst were in December.
    report = untranslated_sanad.verify(
        "John Healey held security talks with the Emir of Qatar at Sandhurst in July."
    )
    assert report.verdict == "contradicted", report.explanation
    spans = [m for e in report.evidence for m in e.comparison.contradicts]
    assert any(m.claim[2] == "July" and "ديسمبر" in m.passage[2] for m in spans)


def _view(claim: str, passage: str, claim_vecs, passage_vecs, lang: str = "ar"):
    from bot.compare import Text, View

    words = lambda t: [(m.start(), m.end()) for m in __import__("re").finditer(r"\w+", t)]  # noqa: E731
    al = align(
        claim, _vectors(claim_vecs), words(claim), passage, _vectors(passage_vecs), words(passage)
    )
    return Text.of(claim), View("source", 100, Text.of(passage, lang), al)


@pytest.mark.parametrize(
    ("claim_vecs", "outcome"),
    [
        # "1982" links to "1972" strongly and both ways.
        ([[0, 1, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0.1, 1, 0]], "contradicts"),
        # A weak link, but the claim's clause finds itself in the clause holding the year:
        # that clause decides, and its year differs.
        ([[0, 1, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [1, 1, 1, 1, 0]], "contradicts"),
        # A weak link, and nothing else of the claim in the passage: no evidence either way.
        ([[0, 0, 0, 0, 1], [0, 0, 0, 0.2, 1], [0.2, 0, 0, 0, 1], [1, 1, 1, 1, 0]], "missing"),
    ],
)
def test_compare_places_a_value_through_the_alignment(claim_vecs, outcome):
    from bot.compare import compare

    claim, view = _view(
        "Ties began in 1982.",
        "بدأت العلاقات عام 1972.",
        claim_vecs,
        [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]],
    )
    c = compare(claim, [view])
    assert c.aligned
    if outcome == "contradicts":
        (m,) = c.contradicts
        assert m.via == "alignment" and m.passage[:3] == (118, 122, "1972")
        assert m.to_dict()["via"] == "alignment"
    else:
        assert not c.contradicts and [f.text for f in c.missing] == ["1982"]


def test_the_best_clause_decides_a_value_linked_elsewhere():
    from bot.compare import compare

    # "July" links to the appointment's month, but the claim's talks are the second clause's,
    # held in another month: a contradiction, not support.
    passage = "عين في يوليو، وأجرى محادثات في ديسمبر"
    e = np.eye(6).tolist()
    claim, view = _view(
        "He held talks in July",
        passage,
        [e[5], e[2], e[3], e[4], e[1]],  # He, held, talks, in, July
        [e[0], e[4], e[1], e[2], e[3], e[4], [0, 0.5, 0, 0, 0, 0.5]],
    )
    c = compare(claim, [view])
    (m,) = [m for m in c.contradicts if m.kind == "date"]
    assert "ديسمبر" in m.passage[2] and "July" == m.claim[2]


def test_a_count_of_another_thing_is_not_compared_across_languages():
    from bot.compare import compare

    passage = "تراوح عدد الجنود بين 8 آلاف"
    e = np.eye(7).tolist()
    p_vecs = [e[0], e[1], e[2], e[5], e[3], e[4]]
    # "inhabitants" finds nothing in the passage: the passage's count is of something else.
    claim, view = _view(
        "There are 3 million inhabitants", passage, [e[6], e[6], e[3], e[4], e[6]], p_vecs
    )
    c = compare(claim, [view])
    assert c.aligned and not c.contradicts
    assert "3 million" in [f.text for f in c.missing]
    # The same count of soldiers: the noun is there, the count differs.
    claim, view = _view(
        "There are 3 thousand soldiers", passage, [e[6], e[6], e[3], e[4], e[2]], p_vecs
    )
    c = compare(claim, [view])
    assert [m.kind for m in c.contradicts] == ["number"]


def test_aligned_coverage_counts_the_facts_found():
    from bot.compare import compare

    e = np.eye(5).tolist()
    claim, view = _view(
        "Tesla graduated in 1901", "تخرج تسلا عام 1901", [e[1], e[4], e[2], e[3]], e[:4]
    )
    c = compare(claim, [view])
    # "Tesla" is found, "graduated" is not, the year is: two of the three compared parts.
    assert c.coverage == pytest.approx(2 / 3)


def test_compare_an_arabic_claim_with_an_unlisted_english_name():
    from bot.compare import compare

    # The claim's word in the name's slot links to "Edison" both ways.
    same_vecs = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    passage = "Tesla left Edison."
    claim, view = _view(
        "ترك تسلا إديسون", passage, [[0, 1, 0], [1, 0, 0], [0, 0, 1]], same_vecs, "en"
    )
    c = compare(claim, [view])
    assert any(m.kind == "name" and m.claim[2] == "إديسون" for m in c.supports)
    assert not c.contradicts
    claim, view = _view(
        "ترك تسلا وستنغهاوس", passage, [[0, 1, 0], [1, 0, 0], [0, 0, 1]], same_vecs, "en"
    )
    c = compare(claim, [view])
    (m,) = c.contradicts
    assert m.claim[2] == "وستنغهاوس" and "Edison" in m.passage[2] and m.via == "alignment"


def test_an_arabic_claim_names_someone_the_document_names_elsewhere():
    from bot.compare import compare

    e = np.eye(7).tolist()
    passage = "In 1901 Marconi made the first transmission"
    p_vecs = [e[6], e[6], e[0], e[1], e[5], e[2], e[3]]
    # Marconi's best claim word is the verb next to "إديسون", which spells a name the
    # document writes in another sentence: a swap. Without that name it is only unstated.
    c_vecs = [[0.75, 0.66, 0, 0, 0, 0, 0], e[4], e[2], e[3]]
    claim, view = _view("أجرى إديسون أول إرسال", passage, c_vecs, p_vecs, "en")
    c = compare(claim, [view], known=("Edison", "Marconi"))
    (m,) = c.contradicts
    assert m.claim[2] == "إديسون" and m.passage[2] == "Marconi" and m.via == "alignment"
    c = compare(claim, [view])
    assert not c.contradicts and any(f.value == "unstated:Marconi" for f in c.missing)
    claim, view = _view("أجرى ماركوني أول إرسال", passage, c_vecs, p_vecs, "en")
    c = compare(claim, [view], known=("Edison", "Marconi"))
    assert not c.contradicts and any(m.claim[2] == "ماركوني" for m in c.supports)
