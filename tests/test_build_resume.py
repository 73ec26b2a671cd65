"""Index builds in checkpointed chunks: a killed build resumes, progress is reported."""

import io
import os
import subprocess
import sys

import numpy as np
import pytest

from bot import encoding
from bot.corpus import load_corpus
from bot.index import PARTIAL, build_index, current_path, load_index
from bot.progress import BuildProgress
from tests.fakes import HashEmbedder, HashSparse


class Dies(HashEmbedder):
    """The full fake (dense, sparse, token vectors) that fails on its ``fail_on``-th pass,
    as a build killed midway; it counts the texts it encodes."""

    def __init__(self, fail_on: int | None = None):
        super().__init__(tokens=True, sparse=HashSparse())
        self.fail_on = fail_on
        self.passes = 0
        self.texts = 0

    def encode(self, texts, kind, token_from=None):
        self.passes += 1
        if self.passes == self.fail_on:
            raise KeyboardInterrupt  # what a ^C or a kill mid-build looks like to the build
        self.texts += len(texts)
        return super().encode(texts, kind, token_from)


def same(a, b) -> None:
    assert a.id == b.id and a.rows == b.rows
    assert np.array_equal(a.vectors.vectors(), b.vectors.vectors())
    for j in range(a.sparse.count):
        assert all(
            np.array_equal(x, y) for x, y in zip(a.sparse.row(j), b.sparse.row(j), strict=True)
        )
    assert np.array_equal(a.late.offsets, b.late.offsets)
    assert np.array_equal(a.late.codes, b.late.codes)
    assert np.array_equal(a.late.scales, b.late.scales)


def test_a_killed_build_resumes_from_its_finished_chunks(tmp_path, corpus_copy, monkeypatch):
    monkeypatch.setattr(encoding, "CHUNK", 8)
    docs = load_corpus(corpus_copy)
    whole, _ = build_index(tmp_path / "whole", docs, Dies())  # 36 rows, 5 chunks
    index_dir = tmp_path / "resumed"
    # The previous index (one document fewer) serves throughout.
    build_index(index_dir, docs[:-1] if len(docs) > 1 else [], Dies())
    before = current_path(index_dir)
    dying = Dies(fail_on=3)  # two chunks finish, the third is killed
    with pytest.raises(KeyboardInterrupt):
        build_index(index_dir, docs, dying, force=True)
    assert dying.texts == 16
    assert current_path(index_dir) == before and load_index(index_dir).id != whole.id
    partial = index_dir / "builds" / f"{PARTIAL}{whole.id}"
    assert len(list(partial.glob("chunk-*.npz"))) == 2
    # The rebuild encodes only the remaining rows and yields the same index.
    again = Dies()
    done = []
    resumed, _ = build_index(index_dir, docs, again, progress=done.append)
    assert again.texts == 36 - 16 and sum(done) == 36
    same(resumed, whole)
    assert not partial.exists()  # removed once the build is live


def test_force_and_other_builds_discard_partial_chunks(tmp_path, corpus_copy, monkeypatch):
    monkeypatch.setattr(encoding, "CHUNK", 8)
    docs = load_corpus(corpus_copy)
    builds = tmp_path / "builds"
    with pytest.raises(KeyboardInterrupt):
        build_index(tmp_path, docs, Dies(fail_on=2))
    [left] = builds.glob(f"{PARTIAL}*")
    # A forced build starts over.
    forced = Dies()
    build_index(tmp_path, docs, forced, force=True)
    assert forced.texts == 36 and not left.exists()
    # A build of another corpus removes the chunks of one that died.
    with pytest.raises(KeyboardInterrupt):
        build_index(tmp_path, docs[:1], Dies(fail_on=2), force=True)
    [left] = builds.glob(f"{PARTIAL}*")
    build_index(tmp_path, docs, Dies())  # current already: nothing to do, nothing removed
    assert left.exists()
    build_index(tmp_path, docs[1:], Dies())
    assert not left.exists()


def test_a_damaged_chunk_is_encoded_again(tmp_path, corpus_copy, monkeypatch):
    monkeypatch.setattr(encoding, "CHUNK", 8)
    docs = load_corpus(corpus_copy)
    with pytest.raises(KeyboardInterrupt):
        build_index(tmp_path, docs, Dies(fail_on=3))
    chunks = sorted((tmp_path / "builds").glob(f"{PARTIAL}*/chunk-*.npz"))
    chunks[0].write_bytes(b"PK\x03\x04 half a file")
    again = Dies()
    build_index(tmp_path, docs, again)
    assert again.texts == 36 - 8


def test_progress_is_a_few_lines_when_not_a_terminal():
    out = io.StringIO()
    with BuildProgress(file=out) as bar:
        bar.total(1000)
        for _ in range(100):
            bar.update(10)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and lines[-1].startswith("embedding: 1000/1000 texts (100%")
    assert "texts/s, ETA" in lines[0]
    quiet = io.StringIO()
    with BuildProgress(file=quiet) as bar:  # small jobs: nothing at all
        bar.total(50)
        bar.update(50)
    assert quiet.getvalue() == ""


def test_index_build_cli_shows_progress_and_resumes(tmp_path, corpus_copy):
    """`bot index build` killed (SIGKILL) mid-build, then run again: the second run encodes
    only what the first did not finish (a real process, the fake model, tiny chunks)."""
    env = {
        **os.environ,
        "SANAD_INDEX_DIR": str(tmp_path / "index"),
        "SANAD_CORPUS_DIR": str(corpus_copy),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    script = (
        "import os, sys\n"
        "from bot import cli, encoding, embed\n"
        "from tests.fakes import HashEmbedder, HashSparse\n"
        "encoding.CHUNK = 8\n"
        "die = int(os.environ.get('DIE_ON', 0))\n"
        "class E(HashEmbedder):\n"
        "    n = 0\n"
        "    def encode(self, texts, kind, token_from=None):\n"
        "        E.n += 1\n"
        "        if E.n == die: os.kill(os.getpid(), 9)\n"
        "        print('encoded', len(texts), file=sys.stderr)\n"
        "        return super().encode(texts, kind, token_from)\n"
        "embed.load_embedder = lambda s: E(tokens=True, sparse=HashSparse())\n"
        "sys.exit(cli.main(['index', 'build']))\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script], env={**env, "DIE_ON": "4"}, capture_output=True, text=True
    )
    assert killed.returncode == -9 and killed.stderr.count("encoded 8") == 3
    rerun = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    encoded = [int(x.split()[1]) for x in rerun.stderr.splitlines() if x.startswith("encoded")]
    assert sum(encoded) == 36 - 24
    assert "18 passages, 36 vectors (embedded 36 texts)" in rerun.stdout, rerun.stdout
