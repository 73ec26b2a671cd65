"""The MCP server in-process (the SDK's own client, fast embedder): tools, schemas, results
equal to the HTTP API's, errors in the API's shape. Over stdio and HTTP: tests/test_clients.py."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from mcp import Client

from bot.errors import InputError
from bot.mcp_server import build_server
from bot.settings import ROOT

pytest_plugins = ["api_fixtures"]
DOC_ID = "qatar-defense-partnerships"
RAW = (ROOT / "corpus" / DOC_ID / "document.txt").open(encoding="utf-8", newline="").read()


def run(server, *calls):
    """Connect the SDK's client to ``server`` and return each call's result."""

    async def go():
        async with Client(server) as c:
            return [
                await c.call_tool(name, args) if name else await c.list_tools()
                for name, args in calls
            ]

    # In a thread of its own: another test's client (Playwright) may own this thread's loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


@pytest.fixture(scope="module")
def server(hash_sanad):
    return build_server(lambda: hash_sanad)


def test_tools_have_schemas_and_descriptions(server):
    [listed] = run(server, (None, None))
    tools = {t.name: t for t in listed.tools}
    assert set(tools) == {"ask", "search", "get_passage", "verify_claim"}
    required = {
        "ask": ["question"],
        "search": ["query"],
        "get_passage": ["id"],
        "verify_claim": ["claim"],
    }
    for name, t in tools.items():
        assert t.input_schema["required"] == required[name]
        assert all(p.get("description") for p in t.input_schema["properties"].values())
        assert len(t.description) > 60 and t.output_schema["type"] == "object"
        assert t.annotations.read_only_hint is True
    assert tools["ask"].input_schema["properties"]["top_k"]["anyOf"][0]["maximum"] == 20
    assert "citations" in tools["ask"].output_schema["required"]


def test_ask_and_search_return_the_api_json(server, hash_sanad):
    asked, searched = run(
        server,
        ("ask", {"question": "Al Udeid Air Base", "top_k": 2}),
        ("search", {"query": "Al Udeid Air Base", "top_k": 4}),
    )
    assert not asked.is_error
    assert asked.structured_content == hash_sanad.ask("Al Udeid Air Base", top_k=2).to_dict()
    passages = searched.structured_content["passages"]
    assert [p["id"] for p in passages] == [
        c.id for c in hash_sanad.ask("Al Udeid Air Base", top_k=4).citations
    ]
    for p in passages:
        assert RAW[p["start"] : p["end"]] == p["text"]
    import json

    assert json.loads(asked.content[0].text) == asked.structured_content


def test_ask_in_arabic_answers_in_arabic(server):
    [r] = run(server, ("ask", {"question": "قاعدة العديد", "language": "ar"}))
    assert r.structured_content["language"] == "ar"


def test_get_passage_matches_the_api(server, client):
    [r] = run(server, ("get_passage", {"id": f"{DOC_ID}:5"}))
    assert r.structured_content == client.get(f"/v1/passages/{DOC_ID}:5").json()
    assert r.structured_content["previous"]["id"] == f"{DOC_ID}:4"


def test_verify_claim_matches_the_api(server, client):
    claim = "Qatar is the largest customer of US defence systems."
    [r] = run(
        server, ("verify_claim", {"claim": claim, "cite": [f"{DOC_ID}:8", "nope:1"], "top_k": 2})
    )
    api = client.post(
        "/v1/verify", json={"claim": claim, "cite": [f"{DOC_ID}:8", "nope:1"], "top_k": 2}
    ).json()
    assert not r.is_error and r.structured_content == api
    assert r.structured_content["verdict"] in ("supported", "contradicted", "not_enough_info")
    assert [c["exists"] for c in r.structured_content["citations"]] == [True, False]
    for e in r.structured_content["evidence"]:
        assert RAW[e["start"] : e["end"]] == e["text"]


@pytest.mark.parametrize(
    "name, args, code, words",
    [
        ("ask", {"question": "   "}, "invalid_input", ["empty"]),
        ("ask", {"question": "x" * 1001}, "invalid_input", ["1001 characters"]),
        ("ask", {"question": "Al Udeid", "top_k": 50}, "invalid_input", ["top_k", "20"]),
        ("ask", {"question": "Al Udeid", "language": "fr"}, "invalid_input", ["language"]),
        ("ask", {}, "invalid_input", ["question", "required"]),
        ("search", {"query": ""}, "invalid_input", ["empty"]),
        ("verify_claim", {"claim": " "}, "invalid_input", ["empty"]),
        ("verify_claim", {"claim": "x", "cite": ["a:1"] * 21}, "invalid_input", ["cite", "20"]),
        ("get_passage", {"id": "nope:1"}, "not_found", ["nope:1", "<doc-id>:<n>"]),
        ("get_passage", {"id": f"{DOC_ID}:999"}, "not_found", ["999"]),
    ],
)
def test_errors_carry_the_api_code_and_message(server, client, name, args, code, words):
    [r] = run(server, (name, args))
    assert r.is_error and set(r.structured_content) == {"error"}
    error = r.structured_content["error"]
    assert error["code"] == code and r.content[0].text == f"{code}: {error['message']}"
    for w in words:
        assert w in error["message"], error["message"]
    if name == "get_passage":  # word for word what the API says
        api = client.get(f"/v1/passages/{args['id']}").json()
        assert api == {"error": error}
    if name == "verify_claim" and "cite" not in args:
        assert client.post("/v1/verify", json=args).json() == {"error": error}


def test_unknown_tool_is_an_error(server):
    [r] = run(server, ("nope", {}))
    assert r.is_error and "nope" in r.content[0].text


def test_an_unloaded_sanad_is_reported_not_crashed():
    def not_yet():
        raise InputError("not loaded")  # any SanadError: its code and message go through

    [r] = run(build_server(not_yet), ("ask", {"question": "Al Udeid"}))
    assert r.is_error and r.structured_content == {
        "error": {"code": "invalid_input", "message": "not loaded"}
    }


def test_http_endpoint_is_503_outside_the_lifespan(hash_sanad):
    from fastapi.testclient import TestClient

    from bot.api import create_app

    r = TestClient(create_app(sanad=hash_sanad)).post("/mcp", json={})  # lifespan not run
    assert r.status_code == 503 and r.json()["error"]["code"] == "not_ready"
