"""Faults on disk and in the environment: a one-line message that says what to do, or an
automatic repair; never a traceback. Each case is one an outside test found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from conftest import DOC_ID, make_settings
from fakes import HashEmbedder, HashSparse

import bot.index as index_mod
import bot.provision as prov
from bot.corpus import load_corpus, load_document
from bot.errors import CorpusError, IndexUnavailable, ModelUnavailable
from bot.index import build_index, current_path, load_index, remove_stale_tmp
from bot.service import Sanad
from bot.settings import ROOT


def full_embedder() -> HashEmbedder:
    return HashEmbedder(tokens=True, sparse=HashSparse())


def run_bot(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m bot ...`` with extra environment; bounded in time."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


def assert_one_line(proc: subprocess.CompletedProcess, *words: str) -> None:
    err = proc.stderr.strip()
    assert proc.returncode != 0 and "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, err


# ------------------------------------------------------------------ damaged index files


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: (b / "sparse" / "weights.npy").write_bytes(b""),
        lambda b: (b / "lexical" / "docs.npy").write_bytes(b""),
        lambda b: (b / "lexical" / "tf.npy").write_bytes(
            (b / "lexical" / "tf.npy").read_bytes()[:-2]
        ),
        lambda b: (b / "lexical" / "terms.txt").unlink(),
        lambda b: (b / "late-codes.npy").write_bytes(b""),
        lambda b: (b / "late-codes.npy").write_bytes((b / "late-codes.npy").read_bytes()[:200]),
        lambda b: (b / "manifest.json").write_text("[]"),
        lambda b: (b / "passages.jsonl").write_text('{"id": 1}\n'),
        lambda b: (b.parent.parent / "CURRENT").write_bytes(b"\xff\xfe\x00garbage"),
        lambda b: (b.parent.parent / "CURRENT").write_text("../../etc"),
    ],
    ids=[
        "empty sparse weights",
        "empty lexical postings",
        "truncated lexical postings",
        "no lexical terms",
        "empty late-codes.npy",
        "truncated late-codes.npy",
        "manifest []",
        "bad passages",
        "binary CURRENT",
        "CURRENT escapes",
    ],
)
def test_damaged_index_is_rebuilt(tmp_path, corpus_copy, damage, caplog):
    docs = load_corpus(corpus_copy)
    built, _ = build_index(tmp_path, docs, full_embedder())
    damage(built.path)
    index, embedded = build_index(tmp_path, docs, full_embedder())
    assert embedded > 0 and index.id == built.id and index.sparse is not None
    assert index.late is not None and len(index.passages) == len(built.passages)


def test_damaged_index_message_says_what_to_run(tmp_path, corpus_copy):
    built, _ = build_index(tmp_path, load_corpus(corpus_copy), full_embedder())
    (built.path / "sparse" / "weights.npy").write_bytes(b"")
    with pytest.raises(IndexUnavailable, match=r"unreadable \(.+\): run `bot index build --force`"):
        load_index(tmp_path)
    (tmp_path / "CURRENT").write_bytes(b"\xff\xfe")
    assert current_path(tmp_path) is None


def test_index_info_on_garbage_current_is_one_line(tmp_path):
    (tmp_path / "CURRENT").write_bytes(b"\x89PNG\r\n\x1a\n\xff")
    r = run_bot("index", "info", SANAD_INDEX_DIR=str(tmp_path))
    assert r.returncode == 1 and "no index" in r.stdout and "Traceback" not in r.stderr


def test_unwritable_index_folder_says_what_to_do(tmp_path, corpus_copy, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # Root ignores file modes, so the refusal is simulated where the build creates its folder.
    monkeypatch.setattr(index_mod.tempfile, "mkdtemp", denied)
    with pytest.raises(
        IndexUnavailable, match="cannot write the index .*Permission denied.*SANAD_INDEX_DIR"
    ):
        build_index(tmp_path, load_corpus(corpus_copy), HashEmbedder())


def test_stale_temporary_builds_are_removed(tmp_path, corpus_copy):
    builds = tmp_path / "builds"
    dead, live, old, fresh = (builds / f".tmp-{n}" for n in ("dead", "live", "old", "fresh"))
    for d in (dead, live, old, fresh):
        d.mkdir(parents=True)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    (dead / index_mod.OWNER).write_text(str(child.pid))  # a pid that has exited
    (live / index_mod.OWNER).write_text(str(os.getpid()))
    os.utime(old, (time.time() - 2 * index_mod.STALE_TMP_SECONDS,) * 2)
    build_index(tmp_path, load_corpus(corpus_copy), HashEmbedder())
    left = sorted(p.name for p in builds.glob(".tmp-*"))
    assert left == [".tmp-fresh", ".tmp-live"]  # a live build's folder and a young one stay
    assert remove_stale_tmp(builds) == []


# ------------------------------------------------------------------ corpus documents


def test_meta_json_that_is_not_an_object(corpus_copy):
    (corpus_copy / DOC_ID / "meta.json").write_text("[]")
    with pytest.raises(CorpusError, match="must hold a JSON object.*not list"):
        load_document(corpus_copy / DOC_ID)


def test_a_document_of_comments_only_is_refused_by_name(corpus_copy):
    folder = corpus_copy / "comments-only"
    folder.mkdir()
    (folder / "meta.json").write_text(json.dumps({"id": "comments-only", "language": "en"}))
    (folder / "document.txt").write_text("Comments\nGreat article!\nLeave a reply\n")
    with pytest.raises(
        CorpusError,
        match="comments-only/document.txt holds only a reader-comment section .*'Comments'",
    ):
        load_document(folder)


def test_a_title_that_mentions_comments_is_still_a_title(corpus_copy):
    folder = corpus_copy / "titled"
    folder.mkdir()
    (folder / "meta.json").write_text(json.dumps({"id": "titled", "language": "en"}))
    (folder / "document.txt").write_text(
        "Comments on the defence budget\nQatar spends more on "
        "defence.\nLeave a reply\nGreat article!\n"
    )
    doc = load_document(folder)
    assert [p.text for p in doc.passages] == ["Qatar spends more on defence."]


def test_oversized_document_is_refused_by_name(corpus_copy):
    text = corpus_copy / DOC_ID / "document.txt"
    n = len(text.read_text(encoding="utf-8"))
    with pytest.raises(
        CorpusError,
        match=rf"{DOC_ID}/document.txt has {n:,} characters, over "
        r"the limit of 2,000 \(SANAD_MAX_DOCUMENT_CHARS\)",
    ):
        load_corpus(corpus_copy, max_chars=2000)
    text.write_bytes(b"x" * 5000)  # refused from its size, before it is read
    with pytest.raises(CorpusError, match="5,000 bytes, over the limit"):
        load_document(corpus_copy / DOC_ID, max_chars=1000)


def test_sanad_open_honours_the_document_limit(tmp_path, corpus_copy):
    settings = make_settings(tmp_path, corpus_copy, max_document_chars=1000)
    with pytest.raises(CorpusError, match="SANAD_MAX_DOCUMENT_CHARS"):
        Sanad.open(settings, embedder=HashEmbedder())


# ------------------------------------------------------------------ settings and start-up


@pytest.mark.parametrize(
    "env, words",
    [
        ({"SANAD_CORS_ORIGINS": "[not json"}, ["SANAD_CORS_ORIGINS", "[not json", "JSON list"]),
        (
            {"SANAD_TRUSTED_PROXIES": "proxy.local"},
            ["SANAD_TRUSTED_PROXIES", "proxy.local", "CIDR"],
        ),
        ({"SANAD_RATE_LIMIT": "-5"}, ["SANAD_RATE_LIMIT", "-5"]),
        ({"SANAD_REQUEST_TIMEOUT": "soon"}, ["SANAD_REQUEST_TIMEOUT", "soon"]),
        ({"SANAD_PORT": "99999"}, ["SANAD_PORT", "99999"]),
    ],
)
def test_bad_settings_are_one_line_naming_the_variable(env, words):
    assert_one_line(run_bot("serve", **env), *words)


def test_comma_separated_origins_are_accepted():
    r = run_bot(
        "index",
        "info",
        "--json",
        SANAD_CORS_ORIGINS="https://example.org",
        SANAD_INDEX_DIR="/nonexistent-sanad-index",
    )
    assert "invalid setting" not in r.stderr and "Traceback" not in r.stderr


def test_serve_start_up_failure_is_one_line(tmp_path):
    from api_fixtures import free_port

    r = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--port", str(free_port())],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={
            **os.environ,
            "SANAD_CORPUS_DIR": str(tmp_path / "missing"),
            "SANAD_INDEX_DIR": str(tmp_path / "index"),
        },
    )
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert f"bot: corpus folder {tmp_path / 'missing'} does not exist" in r.stderr
    assert len(r.stderr.splitlines()) <= 5, r.stderr  # uvicorn's own lines around ours


# ------------------------------------------------------------------ model cache


def fake_cache(tmp_path):
    """A provisioned-looking folder with recorded sizes and SHA-256."""
    folder = prov.cached_folder(tmp_path)
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"weights" * 1000)
    (folder / "config.json").write_text("{}")
    files = {p.name: p for p in folder.iterdir()}
    (folder / prov.MARKER).write_text(
        json.dumps(
            {
                "source_sha256": "0" * 64,
                "converter_version": prov.CONVERTER_VERSION,
                "files": {n: p.stat().st_size for n, p in files.items()},
                "sha256": {n: prov._sha256(p) for n, p in files.items()},
            }
        )
    )
    return folder


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))


def test_same_size_corruption_is_found(tmp_path):
    folder = fake_cache(tmp_path)
    prov.check_folder(folder)  # first check hashes and remembers size and mtime
    assert (folder / prov.STAMP).exists()
    flip_a_byte(folder / "model.safetensors")  # same size, new mtime
    with pytest.raises(
        ModelUnavailable,
        match="model.safetensors does not match its recorded SHA-256.*bot model provision --force",
    ):
        prov.check_folder(folder)


def test_unchanged_files_are_not_hashed_again(tmp_path, monkeypatch):
    folder = fake_cache(tmp_path)
    prov.check_folder(folder)
    hashed = []
    monkeypatch.setattr(prov, "_sha256", lambda p: hashed.append(p) or "x")
    prov.check_folder(folder)
    assert hashed == []
    with pytest.raises(ModelUnavailable):
        prov.check_folder(folder, full=True)  # `bot model verify` hashes everything
    assert hashed


def test_a_cache_without_hashes_is_legacy(tmp_path):
    folder = fake_cache(tmp_path)
    record = json.loads((folder / prov.MARKER).read_text())
    del record["sha256"]
    (folder / prov.MARKER).write_text(json.dumps(record))
    with pytest.raises(prov.LegacyCache):
        prov.check_folder(folder)


def test_model_verify_command(tmp_path):
    folder = fake_cache(tmp_path)
    ok = run_bot("model", "verify", SANAD_CACHE_DIR=str(tmp_path))
    assert ok.returncode == 0 and "match their SHA-256" in ok.stdout, ok.stderr
    flip_a_byte(folder / "model.safetensors")
    os.utime(
        folder / "model.safetensors",
        ns=tuple([json.loads((folder / prov.STAMP).read_text())["model.safetensors"][1]] * 2),
    )
    # Even with size and mtime put back, the full check finds the change.
    assert_one_line(
        run_bot("model", "verify", SANAD_CACHE_DIR=str(tmp_path)),
        "model.safetensors does not match",
        "bot model provision --force",
    )
