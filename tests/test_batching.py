"""Micro-batching: concurrent questions share forward passes, and each gets its own result."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from fakes import HashEmbedder

from bot.batching import BatchingEmbedder


class SlowEmbedder(HashEmbedder):
    """A fake whose every pass takes a while, recording the batch sizes it saw."""

    def __init__(self, fail_on: str | None = None):
        super().__init__(tokens=True)
        self.batches: list[int] = []
        self.fail_on = fail_on
        self.inside = 0
        self.most_inside = 0
        self._count = threading.Lock()

    def encode(self, texts, kind):
        with self._count:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        try:
            time.sleep(0.05)
            self.batches.append(len(texts))
            if self.fail_on in texts:
                raise RuntimeError("model failed")
            return super().encode(texts, kind)
        finally:
            with self._count:
                self.inside -= 1


def test_concurrent_questions_share_passes_and_get_their_own_vectors():
    inner = SlowEmbedder()
    emb = BatchingEmbedder(inner)
    questions = [f"question number {i}" for i in range(24)]
    with ThreadPoolExecutor(24) as pool:
        results = list(pool.map(lambda q: emb.encode([q], "query"), questions))
    for q, enc in zip(questions, results, strict=True):
        want = HashEmbedder(tokens=True).encode([q], "query")
        assert np.array_equal(enc.dense, want.dense)
        assert np.array_equal(enc.tokens[0], want.tokens[0])
    assert sum(inner.batches) == 24
    assert len(inner.batches) < 24 and max(inner.batches) <= 16  # shared, within the cap
    assert inner.most_inside == 1  # one pass at a time


def test_a_lone_question_is_encoded_at_once_and_passages_bypass_the_batcher():
    inner = SlowEmbedder()
    emb = BatchingEmbedder(inner)
    t = time.perf_counter()
    emb.encode(["alone"], "query")
    assert time.perf_counter() - t < 0.5 and inner.batches == [1]
    emb.encode(["a", "b"], "passage")
    assert inner.batches == [1, 2] and emb.passes == 1
    assert emb.dim == inner.dim and emb.features == inner.features


def test_an_error_reaches_every_question_of_the_pass_and_the_batcher_recovers():
    inner = SlowEmbedder(fail_on="bad")
    emb = BatchingEmbedder(inner)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(emb.encode, [q], "query") for q in ["bad"] + ["ok"] * 7]
        errors = sum(1 for f in futures if f.exception() is not None)
    assert errors >= 1
    with pytest.raises(RuntimeError):
        futures[0].result()
    assert emb.encode(["fine"], "query").dense.shape == (1, inner.dim)


def test_two_passes_in_flight_overlap_and_every_question_gets_its_own_vectors():
    inner = SlowEmbedder()
    emb = BatchingEmbedder(inner, passes=2)
    questions = [f"question number {i}" for i in range(40)]
    with ThreadPoolExecutor(40) as pool:
        results = list(pool.map(lambda q: emb.encode([q], "query"), questions))
    for q, enc in zip(questions, results, strict=True):
        assert np.array_equal(enc.dense, HashEmbedder(tokens=True).encode([q], "query").dense)
    assert sum(inner.batches) == 40 and max(inner.batches) <= 16
    assert inner.most_inside == 2  # two passes ran at the same time, never three
    assert len(inner.batches) < 40
    assert emb._leaders == 0 and not emb._queue  # every leader place was given back


def test_many_passes_under_churn_neither_lose_nor_hang_a_question():
    """Questions arriving in waves while passes finish: each is answered once, in time."""

    class Jittery(SlowEmbedder):
        def encode(self, texts, kind):
            time.sleep(0.001 * (len(texts) % 7))
            return super().encode(texts, kind)

    inner = Jittery()
    emb = BatchingEmbedder(inner, max_batch=4, passes=3)

    def ask(i: int) -> bool:
        time.sleep(0.003 * (i % 11))
        q = f"q{i}"
        return np.array_equal(
            emb.encode([q], "query").dense, HashEmbedder(tokens=True).encode([q], "query").dense
        )

    with ThreadPoolExecutor(32) as pool:
        ok = list(pool.map(ask, range(160), timeout=60))
    assert all(ok) and sum(inner.batches) == 160
    assert 1 < inner.most_inside <= 3
    assert emb._leaders == 0 and not emb._queue


def test_passes_must_be_positive():
    with pytest.raises(ValueError):
        BatchingEmbedder(SlowEmbedder(), passes=0)


@pytest.mark.model
def test_concurrent_questions_get_the_answers_they_get_alone(real_embedder, tmp_path):
    """With the real model and the default passes (overlapping ones on the one-thread
    session), 16 questions asked at once get exactly the answers they get one by one."""
    import json
    from pathlib import Path

    from conftest import make_settings

    from bot.service import Sanad

    rows = (Path(__file__).parent / "data" / "dev.jsonl").read_text(encoding="utf-8")
    questions = [json.loads(r)["question"] for r in rows.splitlines() if r.strip()][:16]
    settings = make_settings(tmp_path, answer_cache=0)  # every ask runs the model
    sanad = Sanad.open(settings, embedder=real_embedder)
    assert settings.passes >= 1 and sanad._batching.max_passes == settings.passes
    alone = [sanad.ask(q).to_dict() for q in questions]
    passes = sanad._batching.passes
    with ThreadPoolExecutor(16) as pool:
        together = list(pool.map(lambda q: sanad.ask(q).to_dict(), questions))
    assert together == alone
    assert sanad._batching.passes - passes < len(questions)  # some questions shared a pass
