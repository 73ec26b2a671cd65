"""All 528 XQuAD-R documents (48 articles x 11 languages; CC BY-SA 4.0,
/work/shared/bench-data/xquad-r/SOURCE.md) through `bot corpus add`, as one multi-document,
eleven-language test corpus.

The documents are written as a user's jsonl export *without* a ``lang`` field, so every
document's language is detected. The real command adds all 528 (and adds nothing the second
time); the stored documents are the articles verbatim, every passage is an exact slice, and
each language is split into about as many sentences as XQuAD-R's own sentence breaks.

Retrieval over all 528 documents (about 13,000 sentences) runs on the fake embedder (fast);
the real model answers questions in all eleven languages over a slice of two articles in all
eleven languages (22 documents). Its figures over the whole corpus are in docs/ingestion.md
(`bot eval --squad ... --pool ...`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter

import pytest
from fakes import HashEmbedder

from bot.corpus import load_corpus
from bot.settings import ROOT, Settings

sys.path.insert(0, str(ROOT / "scripts"))
import xquad_to_jsonl  # noqa: E402

LANGS = ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]

pytestmark = pytest.mark.skipif(
    not all((xquad_to_jsonl.DATA / f"{lang}.json").is_file() for lang in LANGS),
    reason=f"XQuAD-R is not in {xquad_to_jsonl.DATA} (set SANAD_XQUAD_DIR)",
)


def bot(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def gold_sentences(lang: str) -> int:
    """XQuAD-R's own sentence count for one language (its ``sentence_breaks``)."""
    data = json.loads((xquad_to_jsonl.DATA / f"{lang}.json").read_text("utf-8"))["data"]
    return sum(len(p["sentences"]) for a in data for p in a["paragraphs"])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The 528 documents (no ``lang`` given) added twice through the real command."""
    tmp = tmp_path_factory.mktemp("xquad528")
    docs, questions = [], []
    for lang in LANGS:
        d, q = xquad_to_jsonl.convert(lang)
        docs += d
        questions += q
    src = tmp / "docs.jsonl"
    xquad_to_jsonl.write_jsonl([{k: v for k, v in d.items() if k != "lang"} for d in docs], src)
    env = {"SANAD_CORPUS_DIR": str(tmp / "corpus"), "SANAD_INDEX_DIR": str(tmp / "index")}
    first, again = bot("corpus", "add", str(src), env=env), bot("corpus", "add", str(src), env=env)
    listed = bot("corpus", "list", "--json", env=env)
    return tmp, docs, questions, first, again, listed


def test_all_528_documents_are_added_in_their_own_language(corpus):
    _, docs, _, first, _, listed = corpus
    assert len(docs) == 528
    assert first.returncode == 0, first.stderr
    assert "528 added" in first.stdout and "skipped" not in first.stdout
    added = re.findall(
        r"^added +(xquad-(\w\w)-\d\d) .*\((\w+), \d+ sentences\)$", first.stdout, re.M
    )
    assert len(added) == 528
    assert [doc_id for doc_id, lang, got in added if got != lang] == []
    rows = json.loads(listed.stdout)
    assert Counter(r["language"] for r in rows) == {lang: 48 for lang in LANGS}


def test_adding_the_same_528_again_changes_nothing(corpus):
    *_, again, _ = corpus
    assert again.returncode == 0, again.stderr
    assert "528 unchanged" in again.stdout and "added" not in again.stdout


def test_the_stored_documents_are_the_articles_verbatim_and_split_in_every_language(corpus):
    tmp, docs, *_ = corpus
    stored = {d.id: d for d in load_corpus(tmp / "corpus")}
    given = {d["id"]: d for d in docs}
    assert sorted(stored) == sorted(given)
    sentences: Counter = Counter()
    for doc_id, d in stored.items():
        assert d.language == given[doc_id]["lang"]
        assert d.raw == given[doc_id]["text"]
        for p in d.passages:
            assert p.text == d.raw[p.start : p.end] and p.text == p.text.strip()
        sentences[d.language] += len(d.passages)
    # Each language is cut into about as many sentences as XQuAD-R's own breaks: without
    # the danda, 。 or Thai spaces, Hindi, Chinese and Thai would have one sentence a paragraph
    # (about 240 for 48 articles) instead of 850-1,300.
    for lang in LANGS:
        assert 0.9 <= sentences[lang] / gold_sentences(lang) <= 1.15, (lang, sentences[lang])


def test_questions_in_eleven_languages_find_their_article_among_528_documents(corpus):
    from bot.service import Sanad

    tmp, _, questions, *_ = corpus
    settings = Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index")
    sanad = Sanad.open(settings, embedder=HashEmbedder())
    assert len(sanad.docs) == 528
    firsts = {}
    for q in questions:  # the first question of every fourth article, in every language
        if q["article"] % 4 == 0:
            firsts.setdefault((q["lang"], q["article"]), q)
    found: Counter = Counter()
    for (lang, article), q in firsts.items():
        answer = sanad.ask(q["question"], top_k=1)
        cited = answer.citations[0].doc_id
        found[lang] += cited == xquad_to_jsonl.doc_id(lang, article)
        assert answer.language == ("ar" if lang == "ar" else "en")
    # Character trigrams (the fake model) and BM25 find the article, in the question's own
    # language, for most questions (deterministic; measured out of 12: ar 9, de 8, el 8,
    # en 10, es 10, hi 9, ru 9, th 11, tr 9, vi 11). Not Chinese: a trigram of Han characters
    # is most of a clause, so the fake finds 1 of 12; the real model's test below asks
    # Chinese questions, and docs/ingestion.md has its figures.
    assert all(found[lang] >= 8 for lang in LANGS if lang != "zh"), dict(found)


TEACHER, SOCAL = 5, 7  # two short articles (13 and 14 English sentences)


@pytest.mark.model
def test_the_real_model_answers_eleven_languages_from_two_articles_in_eleven(
    tmp_path, real_embedder
):
    """22 documents (2 articles x 11 languages) added through `add`; the first two questions
    of each article asked in each language must cite that article (in any language)."""
    from bot.ingest import add
    from bot.service import Sanad

    docs, questions = [], []
    for lang in LANGS:
        d, q = xquad_to_jsonl.convert(lang, [TEACHER, SOCAL])
        docs += d
        questions += q
    src = tmp_path / "docs.jsonl"
    xquad_to_jsonl.write_jsonl([{k: v for k, v in d.items() if k != "lang"} for d in docs], src)
    outcomes = list(add(tmp_path / "corpus", [src], 1_000_000))
    assert [o.action for o in outcomes] == ["added"] * 22
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    sanad = Sanad.open(settings, embedder=real_embedder)
    asked: Counter = Counter()
    found: Counter = Counter()
    misses = []
    for q in questions:
        if asked[(q["lang"], q["article"])] == 2:
            continue
        asked[(q["lang"], q["article"])] += 1
        answer = sanad.ask(q["question"], top_k=1)
        c = answer.citations[0]
        assert sanad.docs[c.doc_id].raw[c.start : c.end] == c.text
        hit = int(c.doc_id.rsplit("-", 1)[1]) == q["article"]
        found[q["lang"]] += hit
        if not hit:
            misses.append((q["lang"], q["question"], c.doc_id))
    print(dict(found), misses)
    assert sum(found.values()) >= 40 and min(found.values()) >= 3, misses
