"""Real clients against a live `bot serve` (real model): the openai SDK, simonw's `llm` CLI
with an extra-openai-models.yaml, and the MCP SDK's client over HTTP (/mcp) and over stdio
(`python -m bot mcp`). One server for the whole session (api_fixtures.live_server)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.settings import ROOT

pytestmark = [pytest.mark.model, pytest.mark.slow]
pytest_plugins = ["api_fixtures"]
DOC_ID = "qatar-defense-partnerships"
RAW = (ROOT / "corpus" / DOC_ID / "document.txt").open(encoding="utf-8", newline="").read()
QUESTION = "What is the largest US military facility in the Middle East?"
QUESTION_AR = "ما هي أكبر منشأة عسكرية أمريكية في الشرق الأوسط؟"


def assert_verbatim(citations: list[dict]) -> None:
    """Every citation is the document's text at its offsets."""
    assert citations
    for c in citations:
        assert RAW[c["start"] : c["end"]] == c["text"], c["id"]


# ------------------------------------------------------------------ openai SDK


@pytest.fixture(scope="module")
def openai_client(live_server):
    from openai import OpenAI

    return OpenAI(base_url=f"{live_server.url}/v1", api_key="unused")


def test_openai_sdk_lists_and_retrieves_the_model(openai_client):
    import openai

    assert [m.id for m in openai_client.models.list()] == ["sanad"]
    assert openai_client.models.retrieve("sanad").owned_by == "sanad"
    with pytest.raises(openai.NotFoundError) as err:
        openai_client.models.retrieve("gpt-4o")
    assert err.value.body["code"] == "not_found"


def test_openai_sdk_sees_the_sources_in_the_text(openai_client):
    done = openai_client.chat.completions.create(
        model="sanad", messages=[{"role": "user", "content": QUESTION}]
    )
    text, cites = done.choices[0].message.content, done.model_extra["citations"]
    answer, sources = text.split("\n\nSources:\n")
    assert "Al Udeid" in answer and answer.endswith("[1]")
    assert_verbatim(cites)
    for c in cites:
        assert f"«{c['text']}»" in sources
        assert f"({c['id']}, characters {c['start']}–{c['end']})" in sources
    stream = openai_client.chat.completions.create(
        model="sanad", stream=True, messages=[{"role": "user", "content": QUESTION}]
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content or "" for c in chunks]
    assert "".join(pieces) == text and pieces[-1] == "" and pieces[-2].startswith("\n\nSources:")
    off = openai_client.chat.completions.create(
        model="sanad",
        messages=[{"role": "user", "content": QUESTION}],
        extra_body={"sanad_sources": False},
    )
    assert off.choices[0].message.content == answer


# ------------------------------------------------------------------ llm CLI


@pytest.fixture(scope="module")
def llm(live_server, tmp_path_factory):
    """Run `llm` with Sanad configured as an extra OpenAI model; returns its stdout."""
    home = tmp_path_factory.mktemp("llm")
    (home / "extra-openai-models.yaml").write_text(
        f'- model_id: sanad\n  model_name: sanad\n  api_base: "{live_server.url}/v1"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "LLM_USER_PATH": str(home), "OPENAI_API_KEY": "unused"}

    def run(*args: str) -> str:
        r = subprocess.run(
            [sys.executable, "-m", "llm", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        return r.stdout

    return run


def test_llm_streams_answers_follow_ups_and_arabic(llm):
    out = llm("-m", "sanad", "Who designated Qatar a major non-NATO ally?")
    assert "Biden" in out and "\nSources:\n- [1] " in out
    assert f"({DOC_ID}:9, characters " in out
    # "When was that?" alone is answered from another sentence (diplomatic relations, 1972);
    # with the conversation llm sends, it is resolved to the ally designation
    follow = llm("-c", "When was that?")
    assert "January 2022" in follow.split("\n\n")[0]
    assert f"({DOC_ID}:9, characters " in follow
    ar = llm("-m", "sanad", "--no-stream", QUESTION_AR)
    assert "جاء في المقال" in ar and "\nالمصادر:\n- [1] " in ar and "المحارف" in ar
    assert "Sources" not in ar
    logged = json.loads(llm("logs", "-n", "3", "--json"))
    assert [entry["model"] for entry in logged] == ["sanad"] * 3
    assert len({entry["conversation_id"] for entry in logged}) == 2


# ------------------------------------------------------------------ MCP


def mcp_session(target, *calls, mode="auto"):
    """The MCP SDK's client on ``target`` (URL or stdio parameters): list tools, then call."""
    from mcp import Client

    async def go():
        async with Client(target, read_timeout_seconds=300, mode=mode) as c:
            tools = sorted(t.name for t in (await c.list_tools()).tools)
            return tools, [await c.call_tool(name, args) for name, args in calls]

    # In a thread of its own: another test's client (Playwright) may own this thread's loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


CALLS = [
    ("ask", {"question": QUESTION}),
    ("ask", {"question": QUESTION_AR, "top_k": 2}),
    ("search", {"query": "Al Udeid Air Base", "top_k": 3}),
    ("get_passage", {"id": f"{DOC_ID}:5"}),
    ("verify_claim", {"claim": "Qatar is the largest customer of US defence systems."}),
    (
        "verify_claim",
        {
            "claim": "Qatar ranks third in the world as a customer of US defence systems.",
            "cite": [f"{DOC_ID}:8"],
        },
    ),
    ("get_passage", {"id": f"{DOC_ID}:0"}),
    ("ask", {"question": " "}),
]


def check_mcp_results(tools, results, live_server):
    assert tools == ["ask", "get_passage", "search", "verify_claim"]
    asked, arabic, searched, passage, wrong, right, missing, empty = (
        r.structured_content for r in results
    )
    http = httpx.post(f"{live_server.url}/v1/chat", json={"question": QUESTION}, timeout=60)
    assert asked == {k: v for k, v in http.json().items() if k != "resolved_query"}
    assert asked["answerable"] and asked["citations"][0]["id"] == f"{DOC_ID}:5"
    assert arabic["language"] == "ar" and len(arabic["citations"]) == 2
    assert "العديد" in arabic["answer"]
    assert_verbatim(asked["citations"] + arabic["citations"] + searched["passages"])
    assert searched["passages"][0]["id"] == f"{DOC_ID}:5"
    assert RAW[passage["start"] : passage["end"]] == passage["text"]
    assert passage["next"]["id"] == f"{DOC_ID}:6"
    assert wrong["verdict"] == "contradicted" and right["verdict"] == "supported"
    assert wrong["evidence"][0]["id"] == right["evidence"][0]["id"] == f"{DOC_ID}:8"
    assert right["citations"][0]["exists"] and right["citations"][0]["stance"] == "supports"
    assert_verbatim(wrong["evidence"] + right["evidence"])
    assert [r.is_error for r in results] == [False] * 6 + [True] * 2
    assert missing["error"]["code"] == "not_found" and empty["error"]["code"] == "invalid_input"


def test_mcp_over_http(live_server):
    tools, results = mcp_session(f"{live_server.url}/mcp", *CALLS)
    check_mcp_results(tools, results, live_server)


def test_mcp_http_refuses_a_foreign_host_header(live_server):
    r = httpx.post(f"{live_server.url}/mcp", headers={"Host": "evil.example"}, json={})
    assert r.status_code in (403, 421)  # DNS-rebinding protection on loopback


def test_mcp_over_stdio(live_server):
    from mcp import StdioServerParameters

    # the live server's index is current, so this process only loads it
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "bot", "mcp"], env=dict(live_server.env), cwd=str(ROOT)
    )
    # the initialize handshake of hosts that predate the 2026 protocol (Claude Desktop-style)
    tools, results = mcp_session(params, *CALLS, mode="legacy")
    check_mcp_results(tools, results, live_server)
