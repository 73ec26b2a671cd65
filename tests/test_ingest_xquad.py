"""A multi-document, two-language corpus built with `bot corpus add` from XQuAD-R articles
(CC BY-SA 4.0, /work/shared/bench-data/xquad-r/SOURCE.md), asked with the real model.

Warsaw and Southern California are in the corpus in Arabic and English, Nikola Tesla only in
Arabic, Teacher only in English: Arabic questions about teachers can only be answered from
the English document, English questions about Tesla only from the Arabic one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ROOT, Settings

sys.path.insert(0, str(ROOT / "scripts"))
import xquad_to_jsonl  # noqa: E402

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        not (xquad_to_jsonl.DATA / "en.json").is_file(),
        reason=f"XQuAD-R is not in {xquad_to_jsonl.DATA} (set SANAD_XQUAD_DIR)",
    ),
]

WARSAW, TESLA, TEACHER, SOCAL = 1, 3, 5, 7
LAYOUT = {"ar": [WARSAW, TESLA, SOCAL], "en": [WARSAW, TEACHER, SOCAL]}
PER_ARTICLE = 3  # questions asked per article and language


def bot(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory, real_embedder):
    """The corpus added through the real command, and Sanad over it."""
    from bot.service import Sanad

    tmp = tmp_path_factory.mktemp("xquad")
    docs, questions = [], []
    for lang, articles in LAYOUT.items():
        d, _ = xquad_to_jsonl.convert(lang, articles)
        docs += d
    for lang in ("ar", "en"):
        questions += xquad_to_jsonl.convert(lang, sorted(set(LAYOUT["ar"] + LAYOUT["en"])))[1]
    src = tmp / "docs.jsonl"
    xquad_to_jsonl.write_jsonl(docs, src)
    env = {"SANAD_CORPUS_DIR": str(tmp / "corpus"), "SANAD_INDEX_DIR": str(tmp / "index")}
    out = bot("corpus", "add", str(src), env=env)
    assert out.returncode == 0, out.stderr
    settings = Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index")
    sanad = Sanad.open(settings, embedder=real_embedder)
    return sanad, questions, env, out.stdout


@pytest.fixture(scope="module")
def answers(built):
    """The answers to the first questions of each article, in each language, asked once."""
    sanad, questions, _, _ = built
    out: dict[tuple[str, int], list] = {}
    for q in questions:
        got = out.setdefault((q["lang"], q["article"]), [])
        if len(got) < PER_ARTICLE:
            got.append(sanad.ask(q["question"], top_k=1))
    return out


def test_the_command_added_every_document(built):
    sanad, _, _, stdout = built
    assert "6 added" in stdout
    assert sorted(sanad.docs) == [
        "xquad-ar-01",
        "xquad-ar-03",
        "xquad-ar-07",
        "xquad-en-01",
        "xquad-en-05",
        "xquad-en-07",
    ]
    for d in sanad.docs.values():
        assert d.title.endswith(f"({d.language})")
        for p in d.passages:
            assert p.text == d.raw[p.start : p.end]


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_questions_cite_their_article_in_either_language(answers, lang):
    hits = {
        a: [int(x.citations[0].doc_id[-2:]) == a for x in got]
        for (q_lang, a), got in answers.items()
        if q_lang == lang
    }
    assert all(sum(h) >= 2 for h in hits.values()), hits  # at least 2 of 3 in every article
    assert sum(sum(h) for h in hits.values()) >= 10, hits  # of 12


def test_an_arabic_question_is_answered_from_an_english_document(answers):
    got = answers[("ar", TEACHER)]  # Teacher is in the corpus in English only
    from_en = [a for a in got if a.citations[0].doc_id == "xquad-en-05"]
    assert len(from_en) >= 2
    c = from_en[0].citations[0]
    assert (c.title, c.language, c.translation) == ("Teacher (en)", "en", None)
    for a in from_en:  # the Arabic answer quotes the English sentence as it is
        if a.answerable:
            assert a.answer.startswith(f"جاء في المقال: «{a.citations[0].text}»")


def test_english_answers_quote_english_documents_directly(answers, built):
    _, _, env, _ = built
    got = [a for a in answers[("en", TEACHER)] if a.citations[0].doc_id == "xquad-en-05"]
    assert got
    raw = Path(env["SANAD_CORPUS_DIR"], "xquad-en-05", "document.txt").read_text("utf-8")
    for a in got:
        data = a.to_dict()
        first = data["citations"][0]
        assert first["title"] == "Teacher (en)" and first["language"] == "en"
        assert raw[first["start"] : first["end"]] == first["text"]
        if data["answerable"]:
            assert data["answer"].startswith(f'The article says: "{first["text"]}" [1]')
    assert any(a.answerable for a in answers[("en", TEACHER)] + answers[("ar", TEACHER)])


def test_other_commands_read_the_same_corpus_folder(built):
    _, _, env, _ = built
    info = bot("index", "info", "--json", env=env)  # no model needed
    assert info.returncode == 0, info.stderr
    data = json.loads(info.stdout)
    assert data["corpus"] == "current"
    assert sorted(d["id"] for d in data["documents"]) == sorted(built[0].docs)
    listed = json.loads(bot("corpus", "list", "--json", env=env).stdout)
    assert [d["id"] for d in listed] == sorted(built[0].docs)
