"""Corpus loading: byte-for-byte text, exact passages, aligned translations, several documents."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import DOC_ID, SEED

from bot.corpus import load_corpus, load_document
from bot.errors import CorpusError


def test_seed_document_is_byte_for_byte_and_passages_are_slices(corpus_copy):
    doc = load_document(corpus_copy / DOC_ID)
    assert doc.raw.encode("utf-8") == SEED.read_bytes()
    assert len(doc.passages) == 18
    for p in doc.passages:
        assert p.text == doc.raw[p.start : p.end]
        assert p.id == f"{DOC_ID}:{p.n}"
    assert doc.passages[4].text.startswith("ويتمثل حجر الزاوية")
    assert "Al Udeid" in doc.passages[4].translation
    assert all(p.translation for p in doc.passages)


def test_passage_ids_are_stable_across_loads(corpus_copy):
    a = load_document(corpus_copy / DOC_ID)
    b = load_document(corpus_copy / DOC_ID)
    assert [(p.id, p.start, p.end) for p in a.passages] == [
        (p.id, p.start, p.end) for p in b.passages
    ]


def test_several_documents_with_and_without_translation(corpus_copy):
    folder = corpus_copy / "notes-en"
    folder.mkdir()
    (folder / "document.txt").write_text(
        "Sanad cites sentences. It never invents text.\n", encoding="utf-8"
    )
    (folder / "meta.json").write_text(
        json.dumps({"id": "notes-en", "title": "Notes", "language": "en"}), encoding="utf-8"
    )
    docs = load_corpus(corpus_copy)
    assert [d.id for d in docs] == ["notes-en", DOC_ID]
    assert [p.text for p in docs[0].passages] == [
        "Sanad cites sentences.",
        "It never invents text.",
    ]
    assert docs[0].passages[0].translation is None


def test_translation_out_of_alignment_is_a_clear_error(corpus_copy):
    path = corpus_copy / DOC_ID / "document.txt"
    path.write_text("سطر جديد في البداية.\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CorpusError, match="realign the translation"):
        load_document(corpus_copy / DOC_ID)


@pytest.mark.parametrize(
    "meta, message",
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"id": "other", "language": "ar"}), "must equal the folder name"),
        (json.dumps({"id": DOC_ID, "language": "fr"}), "language must be one of"),
    ],
)
def test_bad_metadata_says_what_to_fix(corpus_copy, meta, message):
    (corpus_copy / DOC_ID / "meta.json").write_text(meta, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_document(corpus_copy / DOC_ID)


def test_non_utf8_document_is_rejected(corpus_copy):
    (corpus_copy / DOC_ID / "document.txt").write_bytes("قطر".encode("cp1256"))
    with pytest.raises(CorpusError, match="not valid UTF-8"):
        load_document(corpus_copy / DOC_ID)


def test_empty_corpus(tmp_path):
    (tmp_path / "c").mkdir()
    with pytest.raises(CorpusError, match="no documents"):
        load_corpus(tmp_path / "c")
    shutil.rmtree(tmp_path / "c")
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "c")
