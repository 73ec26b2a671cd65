"""Stateless replicas: two `bot serve` processes over one shared index folder (docs/deploy.md).

Real uvicorn processes on loopback with the real model. They must answer identically, keep
answering while one of them reloads, and roll out a new index the documented way: build into
the shared folder, then reload each replica in turn.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from api_fixtures import ADMIN_TOKEN, free_port
from test_index import add_two_sentence_document

from bot.corpus import load_corpus
from bot.index import build_index
from bot.settings import ROOT

pytestmark = [pytest.mark.dist, pytest.mark.model, pytest.mark.slow]
QUESTIONS = [
    "What is the largest US military facility in the Middle East?",
    "ما هي أكبر منشأة عسكرية أمريكية في الشرق الأوسط؟",
    "How much did Al Udeid cost to build?",
    "Which British military academy did Qatari officers attend?",
]


def start(env: dict, log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(proc: subprocess.Popen, url: str, deadline: float) -> None:
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"replica {url} did not become ready")


def ask(url: str, q: str) -> dict:
    r = httpx.post(f"{url}/v1/chat", json={"question": q}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def reload(url: str) -> dict:
    r = httpx.post(
        f"{url}/v1/admin/reload", timeout=120, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_two_replicas_answer_alike_and_roll_out_a_new_index(
    real_sanad, real_embedder, tmp_path, corpus_copy
):
    shared = tmp_path / "index"  # one folder both replicas read
    shutil.copytree(real_sanad.settings.index_dir, shared)
    env = {
        **os.environ,
        "SANAD_INDEX_DIR": str(shared),
        "SANAD_CORPUS_DIR": str(corpus_copy),
        "SANAD_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    log = (tmp_path / "replicas.log").open("w")
    replicas = [start(env, log) for _ in range(2)]
    try:
        deadline = time.monotonic() + float(os.environ.get("SANAD_TEST_START_TIMEOUT", "240"))
        for proc, url in replicas:
            wait_ready(proc, url, deadline)
        (a, b) = (url for _, url in replicas)
        old = real_sanad.index.id
        for q in QUESTIONS:
            assert ask(a, q) == ask(b, q)
        assert ask(a, QUESTIONS[0])["index"] == old

        # A new corpus version, built into the shared folder while both keep serving it.
        add_two_sentence_document(corpus_copy)
        new, embedded = build_index(shared, load_corpus(corpus_copy), real_embedder)
        assert embedded == 2 and new.id != old
        assert {ask(url, QUESTIONS[0])["index"] for url in (a, b)} == {old}

        # Replica a reloads while both answer: nobody sees an error; b still serves the old one.
        with ThreadPoolExecutor(1) as pool:
            reloading = pool.submit(reload, a)
            during = []
            while not reloading.done():
                during.append((ask(a, QUESTIONS[0]), ask(b, QUESTIONS[0])))
            assert reloading.result(timeout=0) == {"index": new.id, "previous": old}
        assert during and all(y["index"] == old for _, y in during)
        assert all(x["index"] in (old, new.id) for x, _ in during)
        assert ask(a, QUESTIONS[0])["index"] == new.id and ask(b, QUESTIONS[0])["index"] == old

        assert reload(b) == {"index": new.id, "previous": old}
        for q in QUESTIONS:
            x, y = ask(a, q), ask(b, q)
            assert x == y and x["index"] == new.id
    finally:
        for proc, _ in replicas:
            proc.terminate()
        for proc, _ in replicas:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
