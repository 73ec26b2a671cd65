"""Ingestion of real formats: web pages, Markdown, plain text and jsonl; ids, idempotence,
replacement, removal and bad files. Fast: no model (the fake embedder where one is needed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fakes import HashEmbedder
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.api import create_app
from bot.corpus import load_corpus, load_document
from bot.extract import detect_language, read_html, read_jsonl, read_markdown
from bot.ingest import add, doc_id_for, remove
from bot.service import Sanad
from bot.settings import ROOT, Settings

PAGES = Path(__file__).parent / "data" / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
LIMIT = 1_000_000


def _flat(text: str) -> str:
    return " ".join(text.split())


def run(corpus: Path, *paths: Path, limit: int = LIMIT) -> list[tuple[str, str | None, str]]:
    """(action, id, detail) of each document of one ``add``."""
    return [(o.action, o.id, o.detail) for o in add(corpus, list(paths), limit)]


# ------------------------------------------------------------------ web pages


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_html_keeps_the_article_and_drops_boilerplate_and_comments(page):
    e = EXPECTED[page]
    x = read_html((PAGES / page).read_bytes())
    text = _flat(x.text)
    assert [p for p in e["article"] if p not in text] == []
    assert [b for b in e["boilerplate"] if b in text] == []
    assert (x.title, x.date, x.url) == (e["title"], e["date"], e["url"])
    assert detect_language(x.text) == e["language"]


def test_html_in_windows_1256_is_decoded_from_its_meta_charset():
    assert "الإسكندرية" in read_html((PAGES / "ar-blog.html").read_bytes()).text


def test_html_sections_come_from_its_subheadings(tmp_path):
    run(tmp_path / "c", PAGES / "ar-news.html")
    doc = load_document(tmp_path / "c" / "ar-news")
    sections = {p.text[:12]: p.section for p in doc.passages}
    assert sections["وتعتمد المحطة"[:12]] == "تقنية التناضح العكسي"
    assert doc.meta["url"] == EXPECTED["ar-news.html"]["url"]
    assert doc.meta["extractor"].startswith("trafilatura ")


# ------------------------------------------------------------------ Markdown

MARKDOWN = """---
title: Archive notes
date: 2024-05-01
url: https://example.org/notes
---
# Archive notes

Sanad reads **Markdown** files. It keeps [the words of links](https://example.org) and
drops their targets.

## Storage

- Documents are stored as *plain text*.
- Headings become `sections`.

```python
print("code is not prose")
```

<div>raw html</div>

![a picture](pic.png) Images leave no trace.
"""


def test_markdown_headings_become_sections_and_markup_is_not_stored(tmp_path):
    x = read_markdown(MARKDOWN.encode())
    assert (x.title, x.date, x.url) == ("Archive notes", "2024-05-01", "https://example.org/notes")
    for markup in ("**", "](", "#", "`", "<div>", "![", "print(", "---", "- Doc"):
        assert markup not in x.text
    (tmp_path / "notes.md").write_text(MARKDOWN, encoding="utf-8")
    assert run(tmp_path / "c", tmp_path / "notes.md")[0][0] == "added"
    doc = load_document(tmp_path / "c" / "notes")
    by_text = {p.text: p.section for p in doc.passages}
    assert by_text["Sanad reads Markdown files."] == "Archive notes"
    assert by_text["It keeps the words of links and drops their targets."] == "Archive notes"
    assert by_text["Documents are stored as plain text."] == "Storage"
    assert by_text["Headings become sections."] == "Storage"
    assert by_text["Images leave no trace."] == "Storage"
    assert doc.meta["date"] == "2024-05-01" and doc.language == "en"


# ------------------------------------------------------------------ jsonl


def test_jsonl_fields_are_kept_and_bad_lines_are_named(tmp_path):
    lines = [
        {
            "id": "report-1",
            "title": "Water",
            "url": "https://example.org/1",
            "date": "2020-01-02",
            "lang": "en",
            "text": "Qatar opened a plant. It makes water.",
        },
        {"text": "افتتحت قطر محطة جديدة لتحلية المياه."},
        "{not json",
        {"title": "no text here"},
        {"id": "Bad Id", "text": "Some text."},
        {"id": "fr-1", "lang": "fr", "text": "Le texte."},
    ]
    src = tmp_path / "batch.jsonl"
    src.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in lines)
        + "\n",
        encoding="utf-8",
    )
    out = run(tmp_path / "c", src)
    assert [(a, i) for a, i, _ in out] == [
        ("added", "report-1"),
        ("added", "batch-2"),
        ("skipped", None),
        ("skipped", None),
        ("skipped", None),
        ("skipped", "fr-1"),
    ]
    assert "not valid JSON" in out[2][2] and '"text"' in out[3][2]
    assert "not a valid document id" in out[4][2] and "'fr' is not supported" in out[5][2]
    doc = load_document(tmp_path / "c" / "report-1")
    assert (doc.title, doc.date, doc.url, doc.language) == (
        "Water",
        "2020-01-02",
        "https://example.org/1",
        "en",
    )
    assert doc.meta["source_line"] == 1 and doc.meta["source"] == str(src.resolve())
    assert load_document(tmp_path / "c" / "batch-2").language == "ar"


def test_jsonl_reader_reports_line_numbers():
    rows = list(read_jsonl(b'{"text": "a."}\n\n[1]\n'))
    assert rows[0].line == 1 and rows[1].line == 3 and "text" in rows[1].reason


# ------------------------------------------------------------------ language


@pytest.mark.parametrize(
    "text, lang",
    [
        ("The United States and Qatar share a partnership.", "en"),
        ("تتمتع قطر بشراكات دفاعية وثيقة مع الولايات المتحدة.", "ar"),
        ("قالت وكالة Reuters إن شركة Apple وشركة Google تعاونتا في مشروع جديد للطاقة.", "ar"),
        ("The minister, quoted as saying «الأمن أولاً», left.", "en"),
        ("Der Vertrag wurde 1972 unterzeichnet.", "de"),  # Latin script: function words
        ("Договор был подписан в 1972 году.", "ru"),
        ("שלום עולם", None),  # Hebrew: not a script Sanad reads
        ("1972 — 2024", None),
    ],
)
def test_language_is_detected_by_script_share(text, lang):
    assert detect_language(text) == lang


# ------------------------------------------------------------------ ids, idempotence


@pytest.mark.parametrize(
    "rel, expected",
    [
        ("a.txt", "a"),
        ("2024/03/Story One.html", "2024-03-story-one"),
        ("x.y.md", "x.y"),
    ],
)
def test_ids_come_from_the_relative_path(rel, expected):
    assert doc_id_for(rel) == expected


def test_non_ascii_and_long_names_get_a_hash():
    a, b = doc_id_for("مقالات/خبر.txt"), doc_id_for("مقالات/تقرير.txt")
    assert a != b and a.startswith("-") is False and len(doc_id_for("n" * 200 + ".txt")) <= 81


def test_adding_again_is_a_no_op_and_a_changed_file_replaces_its_document(tmp_path):
    folder = tmp_path / "archive"
    (folder / "2024").mkdir(parents=True)
    (folder / "2024" / "a.txt").write_text("Title A\nFirst sentence. Second one.\n", "utf-8")
    (folder / "b.md").write_text("# B\n\nIt is about B.\n", "utf-8")
    corpus = tmp_path / "corpus"
    assert sorted(run(corpus, folder)) == [
        ("added", "2024-a", "Title A (en, 2 sentences)"),
        ("added", "b", "B (en, 1 sentences)"),
    ]
    assert [a for a, _, _ in run(corpus, folder)] == ["unchanged", "unchanged"]
    (folder / "2024" / "a.txt").write_text("Title A\nFirst sentence, changed.\n", "utf-8")
    assert sorted(a for a, _, _ in run(corpus, folder)) == ["replaced", "unchanged"]
    doc = load_document(corpus / "2024-a")
    assert doc.raw == "Title A\nFirst sentence, changed.\n"
    assert [p.text for p in doc.passages] == ["First sentence, changed."]
    assert sorted(p.name for p in corpus.iterdir()) == ["2024-a", "b"]  # no leftovers
    # the same text under another name is not added twice
    shutil.copy(folder / "b.md", tmp_path / "copy.md")
    assert run(corpus, tmp_path / "copy.md") == [("skipped", "copy", "same text as document b")]


def test_remove_deletes_one_document_and_names_unknown_ids(tmp_path):
    (tmp_path / "a.txt").write_text("One sentence.\n", "utf-8")
    (tmp_path / "b.txt").write_text("Another sentence.\n", "utf-8")
    corpus = tmp_path / "corpus"
    run(corpus, tmp_path / "a.txt", tmp_path / "b.txt")
    remove(corpus, "a")
    assert [d.id for d in load_corpus(corpus)] == ["b"]
    with pytest.raises(Exception, match="no document 'a'.*bot corpus list"):
        remove(corpus, "a")
    with pytest.raises(Exception, match="no document"):
        remove(corpus, "../b")


def test_bad_files_are_skipped_with_a_reason_and_nothing_is_lost(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text("A good sentence.\n", "utf-8")
    corpus = tmp_path / "corpus"
    run(corpus, src / "good.txt")
    before = (corpus / "good" / "document.txt").read_bytes()
    (src / "empty.txt").write_text("  \n", "utf-8")
    (src / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (src / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me.".encode("latin-1"))
    (src / "big.txt").write_text("A sentence. " * 20, "utf-8")
    (src / "huge.txt").write_text("A sentence. " * 100, "utf-8")
    (src / "nav.html").write_text(
        "<html><body><nav><a href='/'>Home</a></nav></body></html>", "utf-8"
    )
    (src / "scan.pdf").write_bytes(b"%PDF-1.4")
    (src / "good.txt").write_bytes(b"\x00\x01 binary now")  # a changed file that is now bad
    reasons = " | ".join(d for _, _, d in run(corpus, src, limit=100))
    for why in (
        "empty",
        "binary",
        "not UTF-8 (byte 3)",
        "240 characters is over the limit",
        "1,200 bytes is over the limit",
        "no article text",
        "not a format Sanad reads",
    ):
        assert why in reasons
    assert all(a == "skipped" for a, _, _ in run(corpus, src, limit=100))
    assert (corpus / "good" / "document.txt").read_bytes() == before
    assert [d.id for d in load_corpus(corpus)] == ["good"]


def test_the_corpus_folder_itself_is_not_added_to_itself(corpus_copy):
    out = run(corpus_copy, corpus_copy)
    assert {a for a, _, _ in out} == {"skipped"}
    assert any("inside the corpus folder" in d for _, _, d in out)
    assert [d.id for d in load_corpus(corpus_copy)] == ["qatar-defense-partnerships"]


def test_missing_path_is_reported(tmp_path):
    assert run(tmp_path / "c", tmp_path / "nope") == [("skipped", None, "no such file or folder")]


def test_hidden_folders_are_never_loaded_as_documents(tmp_path):
    (tmp_path / "a.txt").write_text("One sentence.\n", "utf-8")
    corpus = tmp_path / "corpus"
    run(corpus, tmp_path / "a.txt")
    shutil.copytree(corpus / "a", corpus / ".add-half-written")
    assert [d.id for d in load_corpus(corpus)] == ["a"]


# ------------------------------------------------------------------ the offsets invariant

_WORDS = st.sampled_from(
    [
        "Qatar",
        "water",
        "the",
        "plant",
        "3.5",
        "U.S.",
        "Dr.",
        "قطر",
        "المياه",
        "محطة",
        "،",
        "2024",
        "e.g.",
        "«نص»",
        "(note)",
    ]
)
_SENTENCE = st.builds(
    lambda ws, end: " ".join(ws) + end,
    st.lists(_WORDS, min_size=1, max_size=12),
    st.sampled_from([".", "?", "!", "؟", "", "..."]),
)
_MARKUP = st.sampled_from(["", "# ", "## ", "- ", "> ", "1. ", "**", "_"])
_LINE = st.builds(lambda m, s: f"{m}{s}{m if m in ('**', '_') else ''}", _MARKUP, _SENTENCE)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=8),
    sep=st.sampled_from(["\n", "\n\n", "\r\n"]),
    suffix=st.sampled_from([".txt", ".md", ".jsonl"]),
)
def test_every_passage_is_an_exact_slice_of_the_stored_text(tmp_path_factory, lines, sep, suffix):
    tmp = tmp_path_factory.mktemp("prop")
    body = sep.join(lines)
    src = tmp / f"doc{suffix}"
    if suffix == ".jsonl":
        src.write_text(json.dumps({"id": "doc", "text": body}, ensure_ascii=False), "utf-8")
    else:
        src.write_bytes(body.encode("utf-8"))
    out = run(tmp / "c", src)
    if out[0][0] != "added":
        return  # e.g. no sentence in the text, or no letters to tell the language by
    doc = load_document(tmp / "c" / "doc")
    if suffix != ".md":
        assert doc.raw == body  # plain text and jsonl text are stored verbatim
    else:
        assert "**" not in doc.raw and not any(
            line.startswith(("#", "> ", "- ")) for line in doc.raw.splitlines()
        )
    for p in doc.passages:
        assert p.text == doc.raw[p.start : p.end] and p.text == p.text.strip() and p.text


# ------------------------------------------------------------------ citations and API


def test_citations_and_documents_name_their_document(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(
        ROOT / "corpus" / "qatar-defense-partnerships", corpus / "qatar-defense-partnerships"
    )
    run(corpus, PAGES / "en-news.html")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    sanad = Sanad.open(settings, embedder=HashEmbedder())
    answer = sanad.ask("How many monitoring stations will the dust storm network link?", top_k=3)
    c = answer.citations[0]
    assert c.doc_id == "en-news"
    assert (c.title, c.date, c.url, c.language) == (
        EXPECTED["en-news.html"]["title"],
        "2022-06-18",
        EXPECTED["en-news.html"]["url"],
        "en",
    )
    with TestClient(create_app(sanad=sanad)) as client:
        got = client.post(
            "/v1/chat",
            json={"question": "How many monitoring stations will the dust storm network link?"},
        ).json()
        first = got["citations"][0]
        assert {"title", "date", "url", "language"} <= set(first)
        assert first["url"] == EXPECTED["en-news.html"]["url"]
        docs = {d["id"]: d for d in client.get("/v1/documents").json()}
        assert docs["en-news"]["date"] == "2022-06-18"
        assert docs["qatar-defense-partnerships"]["url"] is None
