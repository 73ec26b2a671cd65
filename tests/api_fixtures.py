"""Fixtures for the API tests: apps over fast and real Sanads, and a live `bot serve`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from fakes import HashEmbedder
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.server import uvicorn_options
from bot.service import Sanad
from bot.settings import ROOT, Settings

DOC_ID = "qatar-defense-partnerships"
ADMIN_TOKEN = "test-admin-token"


def api_settings(tmp: Path, **kw) -> Settings:
    """Settings on the real corpus with the index in ``tmp`` (rate limit off unless given:
    test_hostile.py tests it)."""
    kw.setdefault("rate_limit", 0)
    return Settings(
        corpus_dir=ROOT / "corpus",
        index_dir=tmp / "index",
        cache_dir=Path(os.environ.get("SANAD_CACHE_DIR", Settings().cache_dir)),
        **kw,
    )


@pytest.fixture(scope="session")
def hash_sanad(tmp_path_factory) -> Sanad:
    """Sanad with the fast trigram embedder (no model), index in a tmp folder."""
    settings = api_settings(tmp_path_factory.mktemp("api-hash"), admin_token=ADMIN_TOKEN)
    return Sanad.open(settings, embedder=HashEmbedder())


@pytest.fixture
def client(hash_sanad):
    """The real app (lifespan running) over the fast Sanad."""
    with TestClient(create_app(sanad=hash_sanad)) as c:
        yield c


@pytest.fixture(scope="session")
def real_client(real_sanad):
    """The real app over the real model (shared by the model tests; one client address sends
    them all, so no rate limit)."""
    settings = real_sanad.settings.model_copy(update={"rate_limit": 0})
    with TestClient(create_app(settings, sanad=real_sanad)) as c:
        yield c


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A `bot serve` subprocess and how to reach it."""

    def __init__(self, proc: subprocess.Popen, url: str, env: dict):
        self.proc, self.url, self.env = proc, url, env


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """`bot serve` on a free port with a tmp index; waits until /readyz says ready."""
    tmp = tmp_path_factory.mktemp("live")
    port = free_port()
    env = {
        **os.environ,
        "SANAD_INDEX_DIR": str(tmp / "index"),
        "SANAD_ADMIN_TOKEN": ADMIN_TOKEN,
        "SANAD_CORPUS_DIR": str(ROOT / "corpus"),
        "SANAD_RATE_LIMIT": "0",
    }
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    # the first start builds the index; a loaded machine may need more (as in test_browser)
    deadline = time.monotonic() + float(os.environ.get("SANAD_TEST_START_TIMEOUT", "180"))
    ready = False
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            ready = httpx.get(f"{url}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            pass
        if ready:
            break
        time.sleep(0.3)
    if not ready:
        proc.kill()
        pytest.fail(f"bot serve did not become ready:\n{(tmp / 'server.log').read_text()}")
    yield LiveServer(proc, url, env)
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


class ThreadServer:
    """The app under uvicorn (with ``bot serve``'s connection options) in a thread."""

    def __init__(self, sanad, **settings):
        s = sanad.settings.model_copy(update=settings)
        self.port = free_port()
        config = uvicorn.Config(
            create_app(settings=s, sanad=sanad),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            **uvicorn_options(s),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def connect(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return s

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="session")
def thread_server():
    """:class:`ThreadServer`, for tests that start the app under uvicorn with their settings."""
    return ThreadServer
