"""The HTTP API with the real app (lifespan running): every endpoint, every bad input."""

from __future__ import annotations

import threading
from dataclasses import asdict

import pytest
from fastapi.testclient import TestClient

from bot.api import create_app, get_sanad
from bot.schemas import ChatResponse
from bot.settings import ROOT

pytest_plugins = ["api_fixtures"]
DOC_ID = "qatar-defense-partnerships"
ADMIN_TOKEN = "test-admin-token"  # as in api_fixtures

RAW = (ROOT / "corpus" / DOC_ID / "document.txt").open(encoding="utf-8", newline="").read()


def assert_error(r, status: int, code: str, *words: str) -> None:
    """The one error shape, with a message that names what to fix; no traceback."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    for w in words:
        assert w in body["error"]["message"], body["error"]["message"]
    assert "Traceback" not in r.text


# ------------------------------------------------------------------ chat


def test_chat_returns_the_cli_object_plus_resolved_query(client, hash_sanad):
    r = client.post("/v1/chat", json={"question": "Al Udeid Air Base", "top_k": 2})
    assert r.status_code == 200
    body = r.json()
    answer = hash_sanad.ask("Al Udeid Air Base", top_k=2)
    expected = answer.to_dict()
    assert {k: v for k, v in body.items() if k != "resolved_query"} == expected
    assert expected == {k: v for k, v in asdict(answer).items() if k != "evidence"}
    assert body["resolved_query"] == "Al Udeid Air Base"
    # encoded by the handler, not by FastAPI: still exactly the documented shape
    assert r.headers["content-type"] == "application/json"
    assert ChatResponse.model_validate(body).model_dump(mode="json") == body
    c = body["citations"][0]
    assert len(body["citations"]) == 2 and RAW[c["start"] : c["end"]] == c["text"]


def test_chat_lang_overrides_answer_language(client):
    body = client.post("/v1/chat", json={"question": "Al Udeid Air Base", "lang": "ar"}).json()
    assert body["language"] == "ar"


def test_chat_resolves_a_short_follow_up_from_history(client):
    history = [
        {"role": "user", "content": "Who designated Qatar a major non-NATO ally?"},
        {"role": "assistant", "content": "President Joe Biden."},
    ]
    body = client.post("/v1/chat", json={"question": "When was that?", "history": history}).json()
    assert body["question"] == "When was that?"
    assert body["resolved_query"].startswith("When was that? ")
    assert "NATO" in body["resolved_query"] and "Biden" not in body["resolved_query"]


def test_chat_resolves_an_ordinal_from_the_previous_answer_and_shows_the_query(client, hash_sanad):
    # the previous answer quotes the squadrons sentence as Sanad's answers do; "the first one"
    # is its first squadron
    first = "Which squadrons are shared between the UK and Qatar?"
    p = next(p for p in hash_sanad.index.passages if "Typhoon and Hawk" in p.translation)
    answer = f'The article says: "{p.translation}" [1]'
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": answer}]
    question = {"question": "Who runs the first one?", "history": history}
    body = client.post("/v1/chat", json=question).json()
    assert body["resolved_query"] == "Who runs the first one? Typhoon"
    # resolved_query is exactly what retrieval got
    expected = hash_sanad.ask("Who runs the first one?", retrieval_query=body["resolved_query"])
    assert body["citations"] == expected.to_dict()["citations"]


def test_chat_keeps_a_self_contained_question(client):
    history = [{"role": "user", "content": "Where is Al Udeid?"}]
    q = "Which US command uses the Al Udeid base?"
    body = client.post("/v1/chat", json={"question": q, "history": history}).json()
    assert body["resolved_query"] == q


LONG = "x" * 1001


@pytest.mark.parametrize(
    "payload, code, words",
    [
        ({"question": ""}, "invalid_input", ["question"]),
        ({"question": "   \n\t"}, "invalid_input", ["empty"]),
        ({"question": LONG}, "invalid_input", ["1001", "1000"]),
        ({"question": "ok?", "top_k": 0}, "invalid_input", ["top_k", "1"]),
        ({"question": "ok?", "top_k": 21}, "invalid_input", ["top_k", "20"]),
        ({"question": "ok?", "top_k": "3"}, "invalid_input", ["top_k", "integer"]),
        ({"question": 42}, "invalid_input", ["question", "string"]),
        ({"question": "ok?", "lang": "fr"}, "invalid_input", ["lang"]),
        (
            {"question": "ok?", "history": [{"role": "system", "content": "x"}]},
            "invalid_input",
            ["history.0.role"],
        ),
        ({"question": "ok?", "history": "earlier"}, "invalid_input", ["history"]),
        (
            {"question": "ok?", "history": [{"role": "user", "content": "q"}] * 21},
            "invalid_input",
            ["21 turns", "limit is 20"],
        ),
        ({"question": "ok?", "colour": "red"}, "invalid_input", ["colour"]),
        ({}, "invalid_input", ["question", "required"]),
        ([1, 2], "invalid_input", []),
    ],
)
def test_chat_rejects_bad_input(client, payload, code, words):
    assert_error(client.post("/v1/chat", json=payload), 422, code, *words)


def test_invalid_json_is_400(client):
    r = client.post(
        "/v1/chat", content=b'{"question": ', headers={"content-type": "application/json"}
    )
    assert_error(r, 400, "invalid_json", "not valid JSON")


@pytest.mark.parametrize(
    "ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_wrong_content_type_is_415(client, ctype):
    r = client.post("/v1/chat", content=b'{"question": "hi"}', headers={"content-type": ctype})
    assert_error(r, 415, "unsupported_media_type", "application/json", ctype.split(";")[0])


def test_body_over_limit_is_413(client, hash_sanad):
    big = {"question": "q", "history": [{"role": "user", "content": "y" * 19_000}] * 4}
    assert_error(
        client.post("/v1/chat", json=big),
        413,
        "body_too_large",
        str(hash_sanad.settings.max_body_bytes),
    )


def test_body_over_limit_without_content_length_is_413(client):
    def chunks():
        for _ in range(10):
            yield b" " * 10_000

    r = client.post("/v1/chat", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "body_too_large")


def test_unknown_route_and_wrong_method_use_the_error_shape(client):
    assert_error(client.get("/v1/nothing"), 404, "not_found", "/v1/nothing")
    assert_error(client.get("/v1/chat"), 405, "method_not_allowed")


def test_unexpected_errors_are_500_without_traceback(hash_sanad):
    class Broken:
        settings = hash_sanad.settings

        def check_question(self, q):
            raise RuntimeError("secret internal detail")

    app = create_app(sanad=hash_sanad)
    app.dependency_overrides[get_sanad] = lambda: Broken()
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/v1/chat", json={"question": "hi"})
    assert_error(r, 500, "internal_error", "server log")
    assert "secret" not in r.text


# ------------------------------------------------------------------ OpenAI-compatible


def test_chat_completions_answers_with_citations(client, hash_sanad):
    r = client.post(
        "/v1/chat/completions",
        json={
            "model": "sanad",
            "temperature": 0.2,
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "Al Udeid Air Base"},
            ],
        },
    )
    body = r.json()
    expected = hash_sanad.ask("Al Udeid Air Base").to_dict()
    assert body["object"] == "chat.completion" and body["model"] == "sanad"
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["choices"][0]["message"]["content"].startswith(expected["answer"] + "\n\n")
    assert body["citations"] == expected["citations"]


def test_chat_completions_lists_the_sources_in_the_text(client, hash_sanad):
    body = client.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "Al Udeid Air Base"}]},
    ).json()
    expected = hash_sanad.ask("Al Udeid Air Base")
    sources = body["choices"][0]["message"]["content"][len(expected.answer) + 2 :]
    lines = sources.split("\n")
    assert lines[0] == ("Sources:" if expected.answerable else "Closest passages:")
    assert len(lines) == 1 + len(expected.citations)
    title = hash_sanad.docs[DOC_ID].title_en
    for line, c in zip(lines[1:], expected.citations, strict=True):
        # the title once: every citation here is from the one document
        assert line.startswith(
            f"- [{c.n}] {title}: «{c.text}»" if c.n == 1 else f"- [{c.n}] «{c.text}»"
        )
        assert f"({c.translation})" not in line and f'("{c.translation}")' in line
        assert line.endswith(f"({c.id}, characters {c.start}–{c.end})")
        assert RAW[c.start : c.end] == c.text


def test_chat_completions_sources_follow_the_answer_language(client, hash_sanad):
    body = client.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "قاعدة العديد الجوية"}]},
    ).json()
    content = body["choices"][0]["message"]["content"]
    answer = hash_sanad.ask("قاعدة العديد الجوية")
    c = answer.citations[0]
    assert answer.language == "ar"
    assert ("\nالمصادر:\n" if answer.answerable else "\nأقرب المقاطع:\n") in content
    assert (
        f"- [1] {hash_sanad.docs[DOC_ID].title}: «{c.text}» ({c.id}، المحارف "
        f"{c.start}–{c.end})" in content
    )
    assert "characters" not in content and (c.translation or "@") not in content


@pytest.mark.parametrize("flag", [False, None])
def test_chat_completions_sources_can_be_turned_off(hash_sanad, monkeypatch, flag):
    # off by the request field (setting on), or by the setting (field absent)
    settings = hash_sanad.settings.model_copy(update={"inline_sources": flag is not None})
    monkeypatch.setattr(hash_sanad, "settings", settings)
    app = create_app(sanad=hash_sanad)
    body = {"messages": [{"role": "user", "content": "Al Udeid Air Base"}]}
    if flag is not None:
        body["sanad_sources"] = flag
    with TestClient(app) as c:
        done = c.post("/v1/chat/completions", json=body).json()
        streamed = c.post("/v1/chat/completions", json={**body, "stream": True}).text
    expected = hash_sanad.ask("Al Udeid Air Base").answer
    assert done["choices"][0]["message"]["content"] == expected
    assert done["citations"] and "Sources" not in streamed and "Closest" not in streamed


def test_chat_completions_request_can_turn_sources_on(hash_sanad, monkeypatch):
    settings = hash_sanad.settings.model_copy(update={"inline_sources": False})
    monkeypatch.setattr(hash_sanad, "settings", settings)
    with TestClient(create_app(sanad=hash_sanad)) as c:
        done = c.post(
            "/v1/chat/completions",
            json={"sanad_sources": True, "messages": [{"role": "user", "content": "Al Udeid"}]},
        ).json()
    assert f"({DOC_ID}:" in done["choices"][0]["message"]["content"]


def test_chat_completions_stream_is_sse_with_citations_at_the_end(client, hash_sanad):
    import json

    body = {"messages": [{"role": "user", "content": "Al Udeid Air Base"}]}
    r = client.post("/v1/chat/completions", json={**body, "stream": True})
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [line[6:] for line in r.text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    pieces = [c["choices"][0]["delta"].get("content", "") for c in chunks]
    done = client.post("/v1/chat/completions", json=body).json()
    assert "".join(pieces) == done["choices"][0]["message"]["content"]
    answer = hash_sanad.ask("Al Udeid Air Base").answer
    assert "".join(pieces[:-2]) == answer  # the answer in pieces, then the sources in one
    assert pieces[-2].startswith("\n\n") and f"({DOC_ID}:" in pieces[-2]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["citations"][0]["doc_id"] == DOC_ID


def test_models_lists_sanad_in_the_openai_shape(client):
    body = client.get("/v1/models").json()
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == ["sanad"]
    card = body["data"][0]
    assert card["object"] == "model" and card["owned_by"] == "sanad"
    assert isinstance(card["created"], int) and card["created"] > 1_600_000_000
    assert client.get("/v1/models/sanad").json() == card


def test_unknown_model_is_404_but_any_model_is_answered(client):
    assert_error(client.get("/v1/models/gpt-4o"), 404, "not_found", "gpt-4o", "/v1/models")
    r = client.post(
        "/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Al Udeid"}]},
    )
    assert r.status_code == 200 and r.json()["model"] == "gpt-4o"


def test_chat_completions_needs_a_final_user_message(client):
    r = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "assistant", "content": "hello"}]}
    )
    assert_error(r, 422, "invalid_input", "user message")
    assert_error(
        client.post("/v1/chat/completions", json={"messages": []}), 422, "invalid_input", "messages"
    )


# ------------------------------------------------------------------ passages and documents


def test_passage_has_text_offsets_document_and_neighbours(client):
    body = client.get(f"/v1/passages/{DOC_ID}:5").json()
    assert RAW[body["start"] : body["end"]] == body["text"] and "العديد" in body["text"]
    assert body["doc_title"].startswith("شراكات قطر")
    assert "Al Udeid" in body["translation"]
    assert body["previous"]["id"] == f"{DOC_ID}:4" and body["next"]["id"] == f"{DOC_ID}:6"
    assert RAW[body["next"]["start"] : body["next"]["end"]] == body["next"]["text"]


def test_first_passage_has_no_previous_and_section_is_reported(client):
    assert client.get(f"/v1/passages/{DOC_ID}:1").json()["previous"] is None
    assert (
        client.get(f"/v1/passages/{DOC_ID}:11").json()["section"]
        == "التعاون بين المملكة المتحدة وقطر"
    )


@pytest.mark.parametrize("pid", [f"{DOC_ID}:999", f"{DOC_ID}:0", "nope", "other-doc:1"])
def test_unknown_passage_is_404(client, pid):
    assert_error(client.get(f"/v1/passages/{pid}"), 404, "not_found", pid)


def test_documents_list_and_detail(client):
    docs = client.get("/v1/documents").json()
    assert [d["id"] for d in docs] == [DOC_ID] and docs[0]["passages"] == 18
    d = client.get(f"/v1/documents/{DOC_ID}").json()
    assert d["raw"] == RAW and len(d["passage_spans"]) == 18
    assert all(RAW[s["start"] : s["end"]] for s in d["passage_spans"])
    assert [h["text"] for h in d["headings"]] == ["التعاون بين المملكة المتحدة وقطر"]
    assert d["excluded"]["text"].startswith("لا تعليق بعد") and d["excluded"]["end"] == len(RAW)
    assert_error(client.get("/v1/documents/nope"), 404, "not_found", "nope", DOC_ID)


# ------------------------------------------------------------------ health, info, docs, CORS


def test_health_ready_and_info(client, hash_sanad):
    assert client.get("/healthz").json() == {"status": "ok", "index": None, "passages": None}
    ready = client.get("/readyz").json()
    assert ready == {"status": "ready", "index": hash_sanad.index.id, "passages": 18}
    info = client.get("/v1/info").json()
    assert info["model"] == "test:hash-trigrams" and info["index"]["id"] == hash_sanad.index.id
    assert info["documents"][0]["id"] == DOC_ID and info["limits"]["max_question_chars"] == 1000
    assert info["limits"]["model_passes"] == hash_sanad.settings.passes


def test_readyz_is_503_until_sanad_is_loaded(hash_sanad):
    app = create_app(sanad=hash_sanad)
    with TestClient(app) as c:
        app.state.sanad = None
        assert_error(c.get("/readyz"), 503, "not_ready", "/readyz")
        assert c.get("/healthz").status_code == 200


def test_lifespan_opens_sanad_from_settings(monkeypatch, hash_sanad):
    import bot.api

    opened = []
    monkeypatch.setattr(
        bot.api.Sanad, "open", classmethod(lambda cls, s: opened.append(s) or hash_sanad)
    )
    settings = hash_sanad.settings
    app = create_app(settings)
    assert opened == []  # nothing is loaded when the app is created
    with TestClient(app) as c:
        assert c.get("/readyz").json()["status"] == "ready"
    assert opened == [settings]


def test_docs_and_redoc_are_served_without_a_cdn(client):
    for path in ("/docs", "/redoc"):
        page = client.get(path).text
        assert "/static/docs/" in page
        assert "cdn" not in page.lower() and "fonts.googleapis" not in page
    assert client.get("/static/docs/swagger-ui-bundle.js").status_code == 200
    assert "Redoc" in client.get("/static/docs/redoc.standalone.js").text[:5000]
    assert "/v1/chat" in client.get("/openapi.json").json()["paths"]


def test_cors_allows_only_listed_origins(hash_sanad, tmp_path):
    settings = hash_sanad.settings.model_copy(update={"cors_origins": ["https://ok.example"]})
    app = create_app(settings, sanad=hash_sanad)
    with TestClient(app) as c:
        ok = c.options(
            "/v1/chat",
            headers={"Origin": "https://ok.example", "Access-Control-Request-Method": "POST"},
        )
        assert ok.headers["access-control-allow-origin"] == "https://ok.example"
        bad = c.post(
            "/v1/chat", json={"question": "Al Udeid"}, headers={"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in bad.headers


def test_no_cors_headers_by_default(client):
    r = client.post(
        "/v1/chat", json={"question": "Al Udeid"}, headers={"Origin": "https://ok.example"}
    )
    assert "access-control-allow-origin" not in r.headers


def test_web_router_is_included(client):
    r = client.get("/")
    assert r.status_code == 200 and "sanad-widget" in r.text


# ------------------------------------------------------------------ reload and concurrency


def test_admin_reload_needs_the_token(client):
    assert_error(client.post("/v1/admin/reload"), 401, "unauthorized", "Bearer")
    assert_error(
        client.post("/v1/admin/reload", headers={"Authorization": "Bearer wrong"}),
        401,
        "unauthorized",
    )


def test_admin_reload_is_disabled_without_a_token(hash_sanad):
    settings = hash_sanad.settings.model_copy(update={"admin_token": None})
    with TestClient(create_app(settings, sanad=hash_sanad)) as c:
        assert_error(
            c.post("/v1/admin/reload", headers={"Authorization": "Bearer x"}),
            404,
            "not_found",
            "SANAD_ADMIN_TOKEN",
        )


def test_reload_swaps_without_failing_requests(client, hash_sanad):
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    failures: list[str] = []
    stop = threading.Event()

    def ask_loop():
        while not stop.is_set():
            r = client.post("/v1/chat", json={"question": "Al Udeid Air Base"})
            if r.status_code != 200 or not r.json()["citations"]:
                failures.append(r.text)

    threads = [threading.Thread(target=ask_loop) for _ in range(4)]
    for t in threads:
        t.start()
    before = hash_sanad.index
    for _ in range(3):
        r = client.post("/v1/admin/reload", headers=auth)
        assert r.status_code == 200 and r.json()["index"] == before.id
    stop.set()
    for t in threads:
        t.join()
    assert failures == []
    assert hash_sanad.index is not before  # a fresh object was swapped in


def test_concurrent_requests_are_all_answered(client):
    results: list[int] = []

    def one(i: int):
        results.append(client.post("/v1/chat", json={"question": f"Al Udeid {i}"}).status_code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [200] * 16


# ------------------------------------------------------------------ with the real model


@pytest.mark.model
def test_real_model_follow_up_retrieves_the_right_passage(real_client):
    history = [
        {"role": "user", "content": "Who designated Qatar a major non-NATO ally?"},
        {"role": "assistant", "content": "President Joe Biden."},
    ]
    body = real_client.post(
        "/v1/chat", json={"question": "When was that?", "history": history}
    ).json()
    assert body["citations"][0]["id"] == f"{DOC_ID}:9"
