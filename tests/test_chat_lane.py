"""``POST /v1/chat``'s lane (chat_lane.ChatLane) answers exactly as the FastAPI route it skips."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from bot import api
from bot.api import create_app, get_sanad
from bot.chat_lane import ChatLane

pytest_plugins = ["api_fixtures"]


def _apps(**kw):
    """The app as served (lane first), and the same app without its lane."""
    lane_app, route_app = create_app(**kw), create_app(**kw)
    assert isinstance(lane_app.router.routes[0].endpoint, ChatLane)
    route_app.router.routes.pop(0)
    assert not any(isinstance(getattr(r, "endpoint", None), ChatLane) for r in route_app.routes)
    return lane_app, route_app


def _reply(client: TestClient, method: str, body, ctype: str = "application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = client.request(method, "/v1/chat", content=data, headers={"Content-Type": ctype})
    return r.status_code, sorted(r.headers.items()), r.content


LONG_HISTORY = [{"role": "user", "content": "hi"}] * 50
VALID = [
    {"question": "Al Udeid Air Base"},
    {"question": "Al Udeid Air Base", "top_k": 2, "lang": "ar"},
    {"question": "ما هي قاعدة العديد الجوية؟"},
    {
        "question": "and when?",
        "history": [
            {"role": "user", "content": "Who designated Qatar a major non-NATO ally?"},
            {"role": "assistant", "content": "President Joe Biden."},
        ],
    },
]
# Refused by the handler (InputError), after the lane has validated the body.
REFUSED = [
    {"question": "???"},
    {"question": "x" * 5000},
    {"question": "hi", "history": LONG_HISTORY},
]
# Not a body the lane takes: the FastAPI route answers.
INVALID = [
    b"",
    b"not json",
    b'{"question": ',
    b"[]",
    b"null",
    b'"Al Udeid"',
    b'{"question": NaN}',
    {"question": 5},
    {"question": ""},
    {"question": "hi", "top_k": 0},
    {"question": "hi", "top_k": "2"},
    {"question": "hi", "top_k": 99},
    {"question": "hi", "lang": "xx"},
    {"question": "hi", "history": [{"role": "robot", "content": "x"}]},
    {"question": "hi", "unknown": 1},
    {},
    b"\xff\xfe{\x00",
    b"[" * 5_000 + b"]" * 5_000,  # too deep for json.loads
    b'{"question": ' + b"[" * 500 + b"]" * 500 + b"}",
    b'{"question": "hi", "top_k": 100000000000000000000000000000}',
    b'{"question": "hi", "top_k": 1e308}',
    b'{"question": "hi", "top_k": 2.5}',
    b'{"question": "\\ud800 lone"}',
    b'{"question": "hi", "question": ["dup"]}',
]


@pytest.fixture(scope="module")
def clients(hash_sanad):
    lane_app, route_app = _apps(sanad=hash_sanad)
    with TestClient(lane_app) as lane, TestClient(route_app) as route:
        yield lane, route, lane_app.router.routes[0].endpoint


@pytest.mark.parametrize("body", VALID + REFUSED + INVALID, ids=lambda b: repr(b)[:40])
def test_the_lane_answers_as_the_route(clients, body):
    lane, route, _ = clients
    got, want = _reply(lane, "POST", body), _reply(route, "POST", body)
    assert got == want
    if body in VALID:
        assert got[0] == 200


def test_valid_bodies_take_the_lane_and_invalid_ones_the_route(clients, monkeypatch):
    lane, _, chat_lane = clients
    routed = []
    real = ChatLane._route

    async def spy(self, *args):
        routed.append(1)
        await real(self, *args)

    monkeypatch.setattr(ChatLane, "_route", spy)
    for body in VALID + REFUSED:
        _reply(lane, "POST", body)
    assert routed == [] and chat_lane.pool._threads  # answered in the lane's own threads
    for body in INVALID:
        _reply(lane, "POST", body)
    assert len(routed) == len(INVALID)


def test_other_methods_and_media_types_answer_as_before(clients):
    lane, route, _ = clients
    for method in ("GET", "PUT", "DELETE"):
        assert _reply(lane, method, b"") == _reply(route, method, b"")
    body = {"question": "Al Udeid Air Base"}
    for ctype in ("text/plain", "application/merge-patch+json", "application/json; charset=utf-8"):
        assert _reply(lane, "POST", body, ctype) == _reply(route, "POST", body, ctype)


def test_an_overridden_sanad_and_a_loading_one_go_to_the_route(hash_sanad):
    class Broken:
        settings = hash_sanad.settings

        def check_question(self, q):
            raise RuntimeError("secret internal detail")

    for kw in ({"sanad": hash_sanad}, {"settings": hash_sanad.settings}):
        lane_app, route_app = _apps(**kw)
        if "sanad" in kw:  # overridden, as tests do
            for app in (lane_app, route_app):
                app.dependency_overrides[get_sanad] = lambda: Broken()
        # no lifespan: the second pair never loads, and answers 503 until it would
        lane = TestClient(lane_app, raise_server_exceptions=False)
        route = TestClient(route_app, raise_server_exceptions=False)
        got = _reply(lane, "POST", {"question": "Al Udeid Air Base"})
        assert got == _reply(route, "POST", {"question": "Al Udeid Air Base"})
        assert got[0] == (500 if "sanad" in kw else 503)


def test_a_crash_in_the_lane_is_the_same_500(hash_sanad, monkeypatch):
    def crash(body, sanad):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(api, "chat", crash)
    lane_app, route_app = _apps(sanad=hash_sanad)
    lane = TestClient(lane_app, raise_server_exceptions=False)
    route = TestClient(route_app, raise_server_exceptions=False)
    got = _reply(lane, "POST", {"question": "Al Udeid Air Base"})
    assert got == _reply(route, "POST", {"question": "Al Udeid Air Base"})
    assert got[0] == 500 and b"secret" not in got[2]


def test_the_answer_encoding_matches_json_and_pydantic(hash_sanad, monkeypatch):
    """orjson's bytes parse to what ``json.dumps`` wrote; a score that is not a finite number
    comes out null as pydantic writes it; a numpy score falls back to ``json.dumps``."""
    import numpy as np

    from bot.schemas import ChatRequest, ChatResponse

    request = ChatRequest(question="Al Udeid Air Base")
    plain = api.chat(request, hash_sanad)
    assert json.loads(api.chat_endpoint(request, hash_sanad).body) == json.loads(
        json.dumps(plain, ensure_ascii=False)
    )
    for score, want in ((float("nan"), None), (np.float64(0.25), 0.25)):
        odd = {**plain, "citations": [{**plain["citations"][0], "score": score}]}
        monkeypatch.setattr(api, "chat", lambda body, sanad, odd=odd: odd)
        got = json.loads(api.chat_endpoint(request, hash_sanad).body)
        assert got["citations"][0]["score"] == want
        if want is None:  # the same document pydantic writes
            assert got == json.loads(ChatResponse.model_validate(odd).model_dump_json())
