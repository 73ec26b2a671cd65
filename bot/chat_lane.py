"""``POST /v1/chat`` without FastAPI's per-request machinery, for well-formed requests.

The endpoint that carries the load spends a good part of its CPU, for an answer from the cache,
in FastAPI's dependency solving, body handling and per-request exit stacks and in anyio's
thread hand-off (docs/quality.md). :class:`ChatLane` is a route placed ahead of FastAPI's
(api.create_app): a request it can answer the same way goes to the same handler directly;
anything else goes to the FastAPI route, which answers as it always did. tests/test_chat_lane.py
compares the two ways byte for byte.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI

from .schemas import ChatRequest

#: Chat requests answered at once, each in a thread (as many as FastAPI's own thread pool).
CHAT_THREADS = 40


class ChatLane:
    """``POST /v1/chat`` without FastAPI's per-request machinery, for well-formed requests.

    A request whose body is a JSON object that :class:`ChatRequest` accepts, with the model
    and index loaded (and no dependency overridden, as tests do with api.get_sanad), is
    answered here: the same handler (``route.endpoint``, api.chat_endpoint), in a thread of
    the lane's own pool, the same response.
    Anything else — a body that is not JSON or not valid, the model still loading — goes to
    the FastAPI route (``route``, which also documents the endpoint), so every error is the
    one it always was. The handler's exceptions reach the app's error handlers either way.
    Skipped: FastAPI's dependency solving, body handling and per-request exit stacks, and
    anyio's cancel scopes and limiter around the thread hand-off — half of the app's CPU
    for an answer from the cache (docs/quality.md).
    """

    def __init__(self, app: FastAPI, route, threads: int = CHAT_THREADS):
        self.app = app
        self.route = route
        # Threads start as requests need them (ThreadPoolExecutor), at most ``threads``.
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="sanad-chat")

    async def __call__(self, scope, receive, send):
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sanad = self.app.state.sanad
        request = None
        if sanad is not None and body and not self.app.dependency_overrides:
            try:  # as FastAPI reads a JSON body: json.loads, then the model
                request = ChatRequest.model_validate(json.loads(body))
            except Exception:  # not JSON, nested too deep, not valid: the route says which
                request = None
        if request is None:
            return await self._route(scope, body, receive, send)
        # The request's context goes along, as anyio's thread hand-off does.
        context = contextvars.copy_context()
        response = await asyncio.get_running_loop().run_in_executor(
            self.pool, context.run, self.route.endpoint, request, sanad
        )
        await response(scope, receive, send)

    async def _route(self, scope, body: bytes, receive, send) -> None:
        """The FastAPI route, with the body read here replayed to it."""
        _, child = self.route.matches(scope)
        await self.route.handle({**scope, **child}, replayed(body, receive), send)


def replayed(body: bytes, receive):
    """An ASGI ``receive`` that gives ``body`` (already read whole) first, then defers to
    ``receive`` (a disconnect, say)."""
    sent = False

    async def replay():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
