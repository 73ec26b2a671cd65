"""Per-language abstention thresholds (bot/langrule.py): which rule judges which question, the
stored file, and (real model) refusals and answers in Chinese and Russian."""

from __future__ import annotations

import json
import sys

import pytest

from bot.answerability import CALIBRATION_FILE, Evidence, Rule
from bot.embed import DEFAULT_MODEL
from bot.langrule import (
    CALIBRATED,
    LANGUAGE_FILE,
    MAIN,
    LanguageRules,
    language_rules,
    load_thresholds,
    save_thresholds,
)
from bot.settings import ROOT, Settings

MAIN_RULE = Rule(0.04, 0.05, 1.0, 0.16)
ZH_RULE = Rule(0.04, 0.05, 1.2, 0.16)


def rules() -> LanguageRules:
    return LanguageRules(MAIN_RULE, {"zh": ZH_RULE})


def test_a_language_rule_judges_its_questions_on_its_own_passages_only():
    r = rules()
    assert r.for_question("谁写了小说《战争与和平》？", "zh") is ZH_RULE
    # The same question on an Arabic article (the seed) keeps the main rule.
    assert r.for_question("谁写了小说《战争与和平》？", "ar") is MAIN_RULE
    assert r.for_question("谁写了小说《战争与和平》？", None) is MAIN_RULE
    # Arabic and English questions keep the main rule whatever the passage's language.
    for q in (
        "Who wrote War and Peace?",
        "من كتب رواية الحرب والسلام؟",
        "Where is Al Udeid Air Base?",
    ):
        for lang in ("zh", "ar", "en", None):
            assert r.for_question(q, lang) is MAIN_RULE


def test_the_threshold_decides_between_the_rules():
    ev = Evidence(top=0.9, peak=3.0, coverage=0.4, focus=1.0)  # main score 1.2
    score = MAIN_RULE.score(ev)
    assert MAIN_RULE.answerable(ev) and score >= 1.0
    strict = LanguageRules(MAIN_RULE, {"zh": Rule(0.04, 0.05, score + 0.01, 0.16)})
    assert not strict.for_question("汞的沸点是多少？", "zh").answerable(ev)
    assert strict.for_question("汞的沸点是多少？", "ar").answerable(ev)


def test_arabic_and_english_never_get_a_threshold_of_their_own(tmp_path):
    path = tmp_path / "langs.json"
    for lang in (*MAIN, "und", "fr"):
        with pytest.raises(ValueError):
            save_thresholds("m", {}, {lang: 1.0}, {}, path)
    # A hand-edited file naming them is not read for them either.
    path.write_text(json.dumps({"m": {"weights": {}, "thresholds": {"en": 2.0, "ru": 1.1}}}))
    assert load_thresholds("m", path)[1] == {"ru": 1.1}


def test_thresholds_round_trip_and_other_models_are_kept(tmp_path):
    path = tmp_path / "langs.json"
    w = {"w_peak": 0.04, "w_coverage": 0.05, "w_focus": 0.16}
    save_thresholds("a", w, {"zh": 1.2}, {"n": 3}, path)
    save_thresholds("b", w, {"ru": 1.1}, {}, path)
    got = language_rules("a", MAIN_RULE, (path,))
    assert got.main is MAIN_RULE and got.by_language == {"zh": Rule(0.04, 0.05, 1.2, 0.16)}
    assert language_rules("b", MAIN_RULE, (path,)).by_language == {
        "ru": Rule(0.04, 0.05, 1.1, 0.16)
    }
    assert language_rules("c", MAIN_RULE, (path,)).by_language == {}
    # Weights that make no rule leave every question to the main rule.
    path.write_text(json.dumps({"a": {"weights": {"w_bogus": 1}, "thresholds": {"zh": 1.2}}}))
    assert language_rules("a", MAIN_RULE, (path,)).by_language == {}


def test_the_shipped_file_leaves_arabic_and_english_to_the_main_calibration():
    table = json.loads(LANGUAGE_FILE.read_text(encoding="utf-8"))
    entry = table[DEFAULT_MODEL]
    assert set(entry["thresholds"]) <= set(CALIBRATED)
    assert "threshold" not in entry["weights"]
    # The main rule file is a different file with its own entry.
    assert LANGUAGE_FILE != CALIBRATION_FILE
    assert "rule" in json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))[DEFAULT_MODEL]


def test_sanad_reads_the_thresholds_beside_the_index_unless_the_threshold_is_overridden(
    tmp_path, fake_embedder
):
    from conftest import make_settings

    from bot.service import Sanad

    sanad = Sanad.open(make_settings(tmp_path), embedder=fake_embedder)
    assert sanad.rules.by_language == {}  # the fake model was never calibrated
    w = {"w_peak": 0.0, "w_coverage": 0.0, "w_focus": 0.0}
    save_thresholds(
        fake_embedder.model_id, w, {"zh": 0.9}, {}, tmp_path / "index" / LANGUAGE_FILE.name
    )
    assert sanad.rules.by_language == {"zh": Rule(0.0, 0.0, 0.9, 0.0)}
    assert sanad.rules.main == sanad.rule
    overridden = Sanad.open(make_settings(tmp_path, abstain_threshold=0.5), embedder=fake_embedder)
    assert overridden.rules.by_language == {} and overridden.rules.main.threshold == 0.5


# --- real model ------------------------------------------------------------------------------

sys.path.insert(0, str(ROOT / "scripts"))
from bench_abstain_langs import split_of  # noqa: E402
from bench_langs import OFF_CORPUS  # noqa: E402
from xquad_to_jsonl import DATA, convert, write_jsonl  # noqa: E402

needs_xquad = pytest.mark.skipif(
    not all((DATA / f"{lang}.json").is_file() for lang in ("ru", "zh")),
    reason=f"XQuAD-R is not in {DATA} (set SANAD_XQUAD_DIR)",
)


@pytest.mark.model
def test_off_corpus_chinese_and_russian_questions_are_refused_on_the_seed(real_sanad):
    rules = real_sanad.rules
    assert {"zh", "ru"} <= set(rules.by_language)
    for q in OFF_CORPUS["zh"] + OFF_CORPUS["ru"]:
        answer = real_sanad.ask(q)
        assert not answer.answerable, q
        # The seed is Arabic: a Chinese or Russian question on it keeps the main rule.
        assert rules.for_question(q, "ar") is rules.main


ARTICLE = 6  # Martin Luther, 17 sentences
OTHERS = (1, 3, 5, 7)  # articles whose questions it does not answer


@pytest.mark.model
@needs_xquad
def test_a_chinese_and_russian_article_answers_its_questions_and_refuses_others(
    tmp_path, real_embedder
):
    """One XQuAD-R article in Chinese and in Russian (34 passages), judged by the languages'
    own rules: the held-out split's questions on it are answered (all but one a language),
    its questions on four other articles refused. (On so small a corpus the main rule refuses
    those too; on 24 articles it answers most of them: docs/quality.md.)"""
    from bot.ingest import add
    from bot.service import Sanad

    docs, asked = [], {}
    for lang in ("zh", "ru"):
        d, q = convert(lang, [ARTICLE])
        docs += d
        asked[lang] = [x for x in convert(lang)[1] if split_of(x["id"]) == "heldout"]
    write_jsonl(docs, tmp_path / "docs.jsonl")
    list(add(tmp_path / "corpus", [tmp_path / "docs.jsonl"], 1_000_000))
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    sanad = Sanad.open(settings, embedder=real_embedder)
    assert set(sanad.rules.by_language) >= {"zh", "ru"}
    for lang, questions in asked.items():
        inside = [q for q in questions if q["article"] == ARTICLE]
        outside = [q for q in questions if q["article"] in OTHERS]
        answered = [sanad.ask(q["question"]) for q in inside]
        refused = [sanad.ask(q["question"]) for q in outside]
        assert sum(a.answerable for a in answered) >= len(inside) - 1, lang
        assert not any(a.answerable for a in refused), lang
