"""Quotes against the source (and relocation), stances and verdict rules, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.compare import Comparison, Match
from bot.corpus import load_corpus
from bot.quotes import check_quote, locate
from bot.settings import ROOT
from bot.verify import RELATED_AT, SUPPORTED_AT, Evidence, stance, verdict_of

DOC = load_corpus(ROOT / "corpus")[0]
P2 = DOC.passages[1]
P9 = DOC.passages[8]


def test_exact_quote_matches():
    q = check_quote(DOC, DOC.id, P2.start, P2.end, P2.text)
    assert (q.exists, q.exact, q.normalized, q.found) == (True, True, True, "at_offsets")


def test_quote_with_diacritics_and_variant_letters_matches_only_after_normalisation():
    quote = P2.text.replace("الدبلوماسية", "الدِّبلوماسيـة").replace("1972", "١٩٧٢")
    q = check_quote(DOC, DOC.id, P2.start, P2.end, quote)
    assert (q.exact, q.normalized) == (False, True)
    assert q.source_text == P2.text and q.quote == quote  # reported, not corrected


def test_changed_quote_at_its_offsets_is_found_with_the_difference():
    quote = P2.text.replace("1972", "1971")
    q = check_quote(DOC, DOC.id, P2.start, P2.end, quote)
    assert (q.exists, q.exact, q.normalized, q.found) == (True, False, False, "approximate")
    assert q.source_text == P2.text and (q.found_start, q.found_end) == (P2.start, P2.end)
    assert q.differences == ("'1' -> '2'",)


@pytest.mark.parametrize(
    "quote, how",
    [
        (P9.text, "exact"),
        (P9.text.replace("جو بايدن", "جو بايدن").replace("2022", "٢٠٢٢"), "normalized"),
        (P9.text.replace("صنف", "صنّف"), "normalized"),
        (P9.text.replace("2022", "2021"), "approximate"),
        (P9.text.replace("الرئيس جو بايدن", "الرئيس بايدن"), "approximate"),
        (P9.text[40:140], "exact"),
    ],
)
def test_locate_finds_the_quote_after_normalisation_and_small_edits(quote, how):
    where = locate(DOC.raw, quote)
    assert where is not None and where[0] == how
    _, s, e = where
    if how == "exact" and quote == P9.text[40:140]:
        assert (s, e) == (P9.start + 40, P9.start + 140)
    else:
        assert (s, e) == (P9.start, P9.end)


@pytest.mark.parametrize(
    "quote",
    [
        "هذا نص لا يرد في المقالة على الإطلاق ولا يشبه أي جملة فيها",
        "The base is a main operational hub for US Central Command.",  # English of an Arabic doc
        " ",
    ],
)
def test_locate_reports_a_quote_that_is_nowhere(quote):
    assert locate(DOC.raw, quote) is None


@pytest.mark.parametrize(
    "doc, start, end, words",
    [
        (None, 0, 5, "no document"),
        (DOC, 5, 5, "outside"),
        (DOC, 0, 10**7, "outside"),
    ],
)
def test_missing_document_or_bad_offsets(doc, start, end, words):
    q = check_quote(doc, "x" if doc is None else DOC.id, start, end, "anything at all here")
    assert not q.exists and words in q.message and q.source_text is None


M = Match("number", (0, 1, "x"), (0, 1, "y", "source"), "")
NONE, CONTRA = Comparison((), (), (), 1.0), Comparison((), (M,), (), 1.0)
MISSING = Comparison((), (), (object(),), 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "score, comparison, expected",
    [
        (SUPPORTED_AT, NONE, "supports"),
        (SUPPORTED_AT - 0.001, NONE, "neutral"),
        (SUPPORTED_AT + 0.1, MISSING, "neutral"),
        (RELATED_AT, CONTRA, "contradicts"),
        (RELATED_AT - 0.001, CONTRA, "neutral"),
    ],
)
def test_stance_thresholds(score, comparison, expected):
    assert stance(score, comparison) == expected


def _ev(st: str, score: float) -> Evidence:
    return Evidence(P2, st, score, score, 0.0, CONTRA if st == "contradicts" else NONE)


@pytest.mark.parametrize(
    "evidence, verdict",
    [
        ([], "not_enough_info"),
        ([_ev("neutral", 0.95)], "not_enough_info"),
        ([_ev("supports", 0.95), _ev("neutral", 0.96)], "supported"),
        ([_ev("contradicts", 0.90)], "contradicted"),
        ([_ev("supports", 0.95), _ev("contradicts", 0.94)], "contradicted"),  # near tie
        (
            [_ev("supports", 0.99), _ev("contradicts", 0.90)],
            "supported",
        ),  # a closer passage states it
    ],
)
def test_verdict_rules(evidence, verdict):
    assert verdict_of(evidence, margin=0.02) == verdict


@pytest.mark.model
@pytest.mark.slow
def test_cli_verify(real_sanad):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "verify",
            "--json",
            "--cite",
            f"{DOC.id}:8",
            "--cite",
            f"{DOC.id}:99",
            "Qatar is the second-largest buyer of US defence systems.",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**__import__("os").environ, "SANAD_INDEX_DIR": str(real_sanad.settings.index_dir)},
    )
    body = json.loads(out.stdout)
    assert out.returncode == 1  # an unknown citation is an error
    assert [c["exists"] for c in body["citations"]] == [True, False]
    assert body["verdict"] == "contradicted"
    assert body["evidence"][0]["id"] == f"{DOC.id}:8"


def test_rejudge_follows_the_verdict_rules():
    from bot.claim_eval import Thresholds, rejudge

    judged = [_ev("supports", 0.95), _ev("contradicts", 0.94)]
    for margin in (0.0, 0.02):
        assert rejudge(judged, Thresholds(0.9, 0.9, margin)) == verdict_of(judged, margin)


def test_locate_with_an_inserted_word_starts_at_the_quote():
    where = locate(DOC.raw, P9.text.replace("صنف", "صنف فعلا"))
    assert where == ("approximate", P9.start, P9.end)


@pytest.mark.parametrize(
    "quote",
    [
        DOC.raw[500:1480][::-1],  # the right characters in the wrong order
        " ".join(DOC.raw[500:1500].split()[::-1])[:1000],  # the right words in the wrong order
    ],
)
def test_locate_is_bounded_on_hard_quotes(quote):
    import time

    t0 = time.perf_counter()
    assert locate(DOC.raw, quote) is None
    assert time.perf_counter() - t0 < 3.0  # ~0.1-0.3 s on a loaded 2-core machine


@pytest.mark.parametrize(
    "quote",
    [
        DOC.passages[-1].text + " " + DOC.passages[-1].text,  # runs past the document's end
        DOC.passages[-1].text.replace("كل عام", "كل سنة") + " وكلمات كثيرة أخرى بعد النهاية هنا",
        "كلمة " + DOC.raw[:40],  # starts before the document
        DOC.passages[0].text.replace("قطر", "قطرr") + " " + DOC.passages[0].text,  # anchor < 0
    ],
)
def test_locate_near_the_document_edges(quote):
    where = locate(DOC.raw, quote)
    assert where is None or 0 <= where[1] < where[2] <= len(DOC.raw)
