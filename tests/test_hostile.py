"""Hostile requests against the real app: the right code, the one error shape, no traceback.

Three layers: the app through TestClient (fast embedder); the app under a real uvicorn on
loopback, attacked with raw sockets (slow headers, stalled bodies, idle keep-alive, too many
connections, forged X-Forwarded-For); and the real model, for questions that are cheap to
send and were expensive to answer.
"""

from __future__ import annotations

import json
import re
import socket
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.guards import RateLimiter, client_address, parse_networks

pytest_plugins = ["api_fixtures"]
DOC_ID = "qatar-defense-partnerships"
QUESTION = "What is the largest US military facility in the Middle East?"


def assert_clean(r: httpx.Response, status: int, code: str | None = None) -> dict:
    """Status as expected; errors in the one shape; no traceback or file path in the body."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert "Traceback" not in r.text and 'File "' not in r.text and "/bot/" not in r.text
    body = r.json()
    if code is not None:
        assert set(body) == {"error"} and body["error"]["code"] == code, body
        assert len(body["error"]["message"]) > 10
    return body


def with_settings(sanad, **kw):
    """The app over ``sanad`` with some settings changed."""
    return create_app(settings=sanad.settings.model_copy(update=kw), sanad=sanad)


# ------------------------------------------------------------------ empty-looking input

EMPTY_LOOKING = {
    "zero-width only": "\u200b\u200c\u200d\ufeff\u2060",
    "diacritics only": "\u064e\u064b\u064f\u0650\u0651\u0652",
    "tatweel only": "\u0640" * 12,
    "punctuation only": "?!؟…،.",
    "combining marks on spaces": " \u0301 \u0308 ",
}


@pytest.mark.parametrize("text", EMPTY_LOOKING.values(), ids=EMPTY_LOOKING.keys())
def test_questions_without_letters_are_refused_everywhere(client, text):
    for path, payload in [
        ("/v1/chat", {"question": text}),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": text}]}),
        ("/v1/verify", {"claim": text}),
    ]:
        body = assert_clean(client.post(path, json=payload), 422, "invalid_input")
        assert "letters or digits" in body["error"]["message"]


# ------------------------------------------------------------------ malformed requests


def deep(n: int) -> str:
    return '{"question": ' + "[" * n + "]" * n + "}"


@pytest.mark.parametrize(
    "content, ctype, status, code",
    [
        (b'{"question": "hi"', "application/json", 400, "invalid_json"),
        (b"\xff\xfe{\x00", "application/json", 400, "invalid_json"),
        (b"question=hi", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"question": "hi"}', "text/plain", 415, "unsupported_media_type"),
        (b'{"question": "hi"}', "", 415, "unsupported_media_type"),
        (b"x" * 70_000, "application/json", 413, "body_too_large"),
        (deep(5_000).encode(), "application/json", 400, "invalid_json"),
        (deep(500).encode(), "application/json", 422, "invalid_input"),
        (
            b'{"question": "hi", "top_k": 100000000000000000000000000000}',
            "application/json",
            422,
            "invalid_input",
        ),
        (b'{"question": "hi", "top_k": 1e308}', "application/json", 422, "invalid_input"),
        (b'{"question": "hi", "top_k": NaN}', "application/json", 422, "invalid_input"),
        (b'{"question": "hi", "top_k": 2.5}', "application/json", 422, "invalid_input"),
        (b'{"question": "\\ud800 lone"}', "application/json", 422, "invalid_input"),
        (b'{"question": "hi", "question": ["dup"]}', "application/json", 422, "invalid_input"),
        (b'["question", "hi"]', "application/json", 422, "invalid_input"),
        (b'"just a string"', "application/json", 422, "invalid_input"),
    ],
)
def test_malformed_bodies_get_clean_errors(client, content, ctype, status, code):
    headers = {"content-type": ctype} if ctype else {}
    r = client.post("/v1/chat", content=content, headers=headers)
    assert_clean(r, status, code)


def test_integral_floats_are_integers(client):
    """JSON Schema's "integer" includes 1.0, and the schema says integer."""
    body = assert_clean(client.post("/v1/chat", json={"question": QUESTION, "top_k": 2.0}), 200)
    assert len(body["citations"]) == 2
    quote = {"doc_id": DOC_ID, "start": 0.0, "end": 10.0, "quote": "x"}
    assert_clean(client.post("/v1/verify", json={"claim": "Qatar", "quotes": [quote]}), 200)


def test_a_final_tool_message_is_not_the_question(client):
    messages = [
        {"role": "user", "content": "Al Udeid Air Base"},
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "tool", "content": "{}", "tool_call_id": "x"},
    ]
    body = assert_clean(client.post("/v1/chat/completions", json={"messages": messages}), 200)
    assert body["resolved_query"] == "Al Udeid Air Base" and body["citations"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/passages/..%2F..%2F..%2Fetc%2Fpasswd",
        "/v1/passages/%2e%2e%2fbot%2fapi.py:1",
        f"/v1/passages/{DOC_ID}:0",
        f"/v1/passages/{DOC_ID}:-1",
        f"/v1/passages/{DOC_ID}:99999",
        f"/v1/passages/{DOC_ID}:1%00",
        "/v1/documents/..%2F..%2Fpyproject.toml",
        "/v1/documents/%2e%2e",
        "/v1/documents/" + "a" * 5000,
        "/web/..%2F..%2Fbot%2Fapi.py",
        "/web/templates/index.html",
        "/static/docs/..%2F..%2F..%2Fbot%2Fapi.py",
    ],
)
def test_path_traversal_finds_nothing(client, path):
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert "import" not in r.text and "root:" not in r.text and "Traceback" not in r.text


def test_unicode_tricks_are_answered_or_refused_cleanly(client):
    for q in [
        "\u202eesab ria dieduA\u202c",
        "Al\u00adUdeid",
        "\ufdfa" * 1000,
        "😀" * 1000,
        "a b " * 250,
        "Ａｌ Ｕｄｅｉｄ",
        "\u0627\u0644\u0639\u062f\u064a\u062f\u200f?",
    ]:
        r = client.post("/v1/chat", json={"question": q})
        assert r.status_code in (200, 422), (q[:20], r.status_code)
        assert_clean(r, r.status_code)


# ------------------------------------------------------------------ rate limit


def test_rate_limit_answers_429_with_retry_after(hash_sanad):
    with TestClient(with_settings(hash_sanad, rate_limit=60)) as c:  # bursts of 10
        codes = [c.post("/v1/chat", json={"question": "Al Udeid"}).status_code for _ in range(12)]
        assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]
        r = c.post("/v1/verify", json={"claim": "Qatar"})
        body = assert_clean(r, 429, "rate_limited")
        assert (
            1 <= int(r.headers["retry-after"]) <= 2
            and "SANAD_RATE_LIMIT" in body["error"]["message"]
        )
        assert c.get(f"/v1/passages/{DOC_ID}:1").status_code == 200  # cheap reads are free
        assert c.get("/readyz").status_code == 200


def test_rate_limit_zero_is_off(hash_sanad):
    with TestClient(with_settings(hash_sanad, rate_limit=0)) as c:
        assert all(
            c.post("/v1/chat", json={"question": "Al Udeid"}).status_code == 200 for _ in range(30)
        )


def test_token_bucket_refills_at_the_rate():
    now = [0.0]
    limiter = RateLimiter(120, clock=lambda: now[0])  # 2 a second, bursts of 20
    assert all(limiter.take("a") == 0 for _ in range(20))
    assert limiter.take("a") == pytest.approx(0.5)
    assert limiter.take("b") == 0  # another client has its own bucket
    now[0] += 1.0
    assert limiter.take("a") == 0 and limiter.take("a") == 0 and limiter.take("a") > 0


def test_forwarded_for_is_believed_only_from_trusted_proxies():
    def scope(peer, xff=None):
        headers = [(b"x-forwarded-for", xff.encode())] if xff else []
        return {"client": (peer, 1234), "headers": headers}

    proxies = parse_networks(["10.0.0.0/8"])
    assert client_address(scope("203.0.113.9", "1.2.3.4"), proxies) == "203.0.113.9"
    assert client_address(scope("10.1.1.1", "1.2.3.4"), proxies) == "1.2.3.4"
    # Only the hops the trusted proxies added count; what the client wrote at the left does not.
    assert client_address(scope("10.1.1.1", "6.6.6.6, 1.2.3.4, 10.2.2.2"), proxies) == "1.2.3.4"
    assert client_address(scope("10.1.1.1"), proxies) == "10.1.1.1"
    assert client_address(scope("127.0.0.1", "1.2.3.4"), []) == "127.0.0.1"


# ------------------------------------------------------------------ headers and docs


def test_json_and_docs_responses_carry_nosniff(client):
    for path in ("/v1/info", "/docs", "/redoc", "/openapi.json", "/v1/nope"):
        assert client.get(path).headers.get("x-content-type-options") == "nosniff", path
    r = client.post("/v1/chat", content=b"x", headers={"content-type": "text/plain"})
    assert r.headers.get("x-content-type-options") == "nosniff"


def test_redoc_loads_nothing_from_outside(client):
    html = client.get("/redoc").text
    assert not re.search(r"https?://", html), re.findall(r"https?://\S+", html)
    for src in re.findall(r'src="([^"]+)"', html):
        r = client.get(src)
        assert r.status_code == 200 and b"cdn.redoc.ly" not in r.content, src
    docs = client.get("/docs").text
    assert not re.search(r"""(src|href)=["']https?://""", docs)


def test_openapi_documents_429_and_408_on_model_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/v1/chat", "/v1/chat/completions", "/v1/verify"):
        assert {"408", "429"} <= set(paths[p]["post"]["responses"]), p


# ------------------------------------------------------------------ a real uvicorn


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Read until the server closes the connection (True) or ``seconds`` pass (False)."""
    sock.settimeout(0.2)
    data, end = b"", time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True, data
        if not chunk:
            return True, data
        data += chunk
    return False, data


@pytest.fixture(scope="module")
def live(hash_sanad, thread_server):
    with thread_server(hash_sanad, request_timeout=1.0, max_connections=20) as server:
        yield server


def test_slow_headers_are_cut_off(live):
    sock = live.connect()
    sock.sendall(b"POST /v1/chat HTTP/1.1\r\nHost: x\r\n")  # ... and never the rest
    start = time.monotonic()
    closed, _ = closed_within(sock, 5)
    assert closed and 0.8 <= time.monotonic() - start <= 3


@pytest.mark.parametrize("protocol", ["h11", "httptools"])
def test_slow_headers_are_cut_off_by_either_http_protocol(hash_sanad, thread_server, protocol):
    from bot.server import GuardedH11Protocol, GuardedHttpToolsProtocol

    base = {"h11": GuardedH11Protocol, "httptools": GuardedHttpToolsProtocol}[protocol]
    server = thread_server(hash_sanad, request_timeout=1.0)
    server.server.config.http = type("Guarded", (base,), {"header_timeout": 1.0})
    with server:
        sock = server.connect()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # one answered request...
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        time.sleep(0.5)
        sock.sendall(b"POST /v1/chat HTTP/1.1\r\nHost: x\r\n")  # ...then a stalled one
        start = time.monotonic()  # (its bytes stop the keep-alive timer; the guard's runs)
        closed, _ = closed_within(sock, 5)
        assert closed and 0.3 <= time.monotonic() - start <= 3


def test_a_body_that_stalls_gets_408_and_is_closed(live):
    sock = live.connect()
    sock.sendall(
        b"POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"question": '
    )
    closed, data = closed_within(sock, 5)
    assert closed and data.startswith(b"HTTP/1.1 408"), data[:200]
    body = json.loads(data.split(b"\r\n\r\n", 1)[1])
    assert (
        body["error"]["code"] == "request_timeout"
        and "SANAD_REQUEST_TIMEOUT" in body["error"]["message"]
    )


def test_idle_keep_alive_connections_are_closed(live):
    sock = live.connect()
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    closed, data = closed_within(sock, 5)
    assert closed and data.startswith(b"HTTP/1.1 200")


def test_many_slow_connections_do_not_lock_the_server_out(live):
    socks = [live.connect() for _ in range(40)]  # twice SANAD_MAX_CONNECTIONS
    for s in socks:
        s.sendall(b"POST /v1/chat HTTP/1.1\r\nHost: x\r\n")
    # While they hold every slot, a new request is refused at once (not queued for ever)...
    r = httpx.post(f"{live.url}/v1/chat", json={"question": QUESTION}, timeout=5)
    assert r.status_code in (200, 503)
    # ...and once the timeout has cut them off, the server answers again.
    time.sleep(2)
    r = httpx.post(f"{live.url}/v1/chat", json={"question": QUESTION}, timeout=5)
    assert_clean(r, 200)
    assert sum(closed_within(s, 0.5)[0] for s in socks) == len(socks)
    for s in socks:
        s.close()


def test_forged_forwarded_for_does_not_escape_the_limit(hash_sanad, thread_server):
    with thread_server(hash_sanad, rate_limit=6) as server:  # bursts of 1
        codes = [
            httpx.post(
                f"{server.url}/v1/chat",
                json={"question": "Al Udeid"},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(3)
        ]
        assert codes == [200, 429, 429]
    with thread_server(hash_sanad, rate_limit=6, trusted_proxies=["127.0.0.1"]) as server:
        codes = [
            httpx.post(
                f"{server.url}/v1/chat",
                json={"question": "Al Udeid"},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in (1, 2, 1)
        ]
        assert codes == [200, 200, 429]  # behind a trusted proxy each client has its bucket


# ------------------------------------------------------------------ cost per request (model)

#: Questions within the limits that once cost up to 1,000 times a normal one: NFKC expands
#: U+FDFA eighteen-fold, and "a b " makes 500 one-letter tokens.
EXPENSIVE = {
    "U+FDFA x 1000": lambda i: "\ufdfa" * 999 + str(i),
    "'a b ' x 250": lambda i: ("a b " * 250)[:-1] + str(i),
    "1,000 Arabic characters": lambda i: ("ما هي أكبر منشأة عسكرية أميركية في الشرق الأوسط " * 30)[
        :999
    ]
    + str(i),
    "emoji and letters": lambda i: "😀a" * 500 + str(i),
}


def median_seconds(client, path: str, key: str, make, n: int = 3) -> float:
    times = []
    for i in range(n):  # a different text each time: answers are cached
        t = time.perf_counter()
        r = client.post(path, json={key: make(i)})
        times.append(time.perf_counter() - t)
        assert r.status_code in (200, 422), r.text[:200]
        assert_clean(r, r.status_code)
    return sorted(times)[n // 2]


@pytest.mark.model
@pytest.mark.parametrize(
    "path, key",
    [
        ("/v1/chat", "question"),
        ("/v1/verify", "claim"),
    ],
)
def test_no_question_costs_much_more_than_a_normal_one(real_client, path, key):
    """Bounded cost: each expensive-looking text within the limits costs at most a few normal
    questions (measured against a normal question in the same run; the machine may be busy)."""
    normal = median_seconds(real_client, path, key, lambda i: f"{QUESTION} ({i})")
    for name, make in EXPENSIVE.items():
        cost = median_seconds(real_client, path, key, make)
        assert cost <= 8 * normal + 0.5, f"{name}: {cost:.2f} s vs {normal:.2f} s normal"
