"""The HTTP API: chat with follow-ups, OpenAI-compatible completions, passages, documents,
citation checking, health. ``create_app`` builds the app; nothing heavy happens at import.

The lifespan opens :class:`~bot.service.Sanad` once and keeps it in ``app.state.sanad``;
handlers receive it through :data:`SanadDep` (tests may override :func:`get_sanad`). Handlers
are plain ``def``: FastAPI runs them in its thread pool, so model work never blocks the event
loop and concurrent requests are all served. ``POST /v1/chat``, the endpoint that carries the
load, takes a shorter way for well-formed requests (:class:`ChatLane`), with the same answers.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Annotated

import orjson
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from . import __version__
from .answer import render_sources
from .chat_lane import ChatLane, replayed
from .embed import MAX_QUERY_TOKENS
from .errors import InputError, NotFound, SanadError
from .followup import Turn, resolve
from .guards import RateLimit, SecurityHeaders
from .schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionRequest,
    ChatRequest,
    ChatResponse,
    Choice,
    DocumentOut,
    DocumentSummary,
    ErrorResponse,
    Health,
    Info,
    ModelCard,
    ModelList,
    PassageOut,
    PassageSpan,
    Reloaded,
    TextSpan,
    Usage,
    VerifyRequest,
    VerifyResponse,
)
from .service import Sanad
from .settings import MAX_TOP_K, Settings, load_settings

log = logging.getLogger("sanad")

#: The model name Sanad lists in ``GET /v1/models`` and answers as by default.
MODEL_NAME = "sanad"

#: Every error response is documented with the one error shape.
ERRORS = {code: {"model": ErrorResponse} for code in (400, 404, 408, 413, 415, 422, 503)}
#: ... and the endpoints that run the model may also answer 429 (guards.RateLimit).
METERED_ERRORS = {**ERRORS, 429: {"model": ErrorResponse}}
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "not_ready",
}


class NotReady(SanadError):
    """The model and index are not loaded (yet)."""

    code = "not_ready"


def error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    """The one error response shape."""
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


# ---------------------------------------------------------------- dependencies


async def get_sanad(request: Request) -> Sanad:
    """The loaded Sanad (503 until the lifespan has loaded it). ``async``: FastAPI runs a
    plain ``def`` dependency in its thread pool, a trip there and back per request."""
    sanad = getattr(request.app.state, "sanad", None)
    if sanad is None:
        raise NotReady("the model and index are still loading: retry when GET /readyz says ready")
    return sanad


SanadDep = Annotated[Sanad, Depends(get_sanad)]


# ---------------------------------------------------------------- middleware


class BodyGuard:
    """Rejects request bodies that are not JSON (415), larger than the limit (413) or slower
    to arrive than ``timeout`` seconds (408, and the connection is closed).

    The body is read here, at most ``max_bytes + 1`` of it, and replayed to the app, so a
    client that lies about (or omits) Content-Length cannot push more than the limit, and
    one that stalls mid-body holds a connection for ``timeout`` at most.
    """

    def __init__(self, app, max_bytes: int, timeout: float = 30.0):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] != "http"
            or scope["method"] not in ("POST", "PUT", "PATCH")
            or not scope["path"].startswith("/v1/")
        ):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if headers.get("content-length", "") in ("", "0") and "transfer-encoding" not in headers:
            return await self.app(scope, receive, send)  # no body: nothing to check
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if not (ctype == "application/json" or ctype.endswith("+json")):
            return await error(
                415,
                "unsupported_media_type",
                f"send the body as JSON with "
                f"Content-Type: application/json (got {ctype or 'none'!r})",
            )(scope, receive, send)
        if int(headers.get("content-length", "0") or 0) > self.max_bytes:
            return await self._too_big()(scope, receive, send)
        chunks, size, more = [], 0, True
        try:
            async with asyncio.timeout(self.timeout):
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    chunks.append(message.get("body", b""))
                    size += len(chunks[-1])
                    more = message.get("more_body", False)
                    if size > self.max_bytes:
                        return await self._too_big()(scope, receive, send)
        except TimeoutError:
            return await error(
                408,
                "request_timeout",
                f"the body did not arrive within "
                f"{self.timeout:g} s (SANAD_REQUEST_TIMEOUT): send it at once",
                {"Connection": "close"},
            )(scope, receive, send)
        return await self.app(scope, replayed(b"".join(chunks), receive), send)

    def _too_big(self) -> JSONResponse:
        # Built when needed: a response made for every request cost ~10 µs of the loop's time.
        return error(
            413,
            "body_too_large",
            f"the body is larger than {self.max_bytes} bytes "
            "(SANAD_MAX_BODY_BYTES): send a shorter question or history",
        )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            detail = next(e for e in errors if e.get("type") == "json_invalid")
            where = detail.get("loc", ["", ""])[-1]
            return error(
                400,
                "invalid_json",
                f"the body is not valid JSON (at position {where}"
                f"): {detail.get('ctx', {}).get('error', 'syntax error')}",
            )
        parts = []
        for e in errors[:5]:
            loc = ".".join(str(x) for x in e.get("loc", ())[1:]) or "body"
            parts.append(f"{loc}: {e.get('msg')}")
        return error(422, "invalid_input", "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no endpoint {request.url.path}: GET /docs lists them"
        if exc.status_code == 400 and message == "There was an error parsing the body":
            code, message = (
                "invalid_json",
                (
                    "the body could not be parsed (not JSON, or nested "
                    "too deeply): send a flat JSON object"
                ),
            )
        return error(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(SanadError)
    async def sanad_error(request: Request, exc: SanadError):
        status = {InputError: 422, NotFound: 404, NotReady: 503}.get(type(exc), 503)
        return error(status, exc.code, str(exc))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error(
            500, "internal_error", "Sanad failed on this request; the server log has the details"
        )


# ---------------------------------------------------------------- lifespan and docs


def _docs_assets() -> Path | None:
    try:
        import fastapi_offline
    except ImportError:
        return None
    return Path(fastapi_offline.__file__).parent / "static"


def _install_docs(app: FastAPI) -> None:
    """/docs and /redoc from local files: the default pages load scripts from a CDN."""
    assets = _docs_assets()
    if assets is None:
        log.warning("fastapi-offline is not installed: /docs and /redoc are disabled")
        return
    app.mount("/static/docs", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Sanad API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="Sanad API",
            redoc_js_url="/static/redoc.js",
            redoc_favicon_url="/static/docs/favicon.png",
            with_google_fonts=False,
        )

    script: list[bytes] = []

    @app.get("/static/redoc.js", include_in_schema=False)
    def redoc_js() -> Response:
        # The bundle fetches its logo from cdn.redoc.ly; serve it with a blank local one.
        if not script:
            js = (assets / "redoc.standalone.js").read_bytes()
            script.append(js.replace(b"https://cdn.redoc.ly/redoc/logo-mini.svg", _BLANK_GIF))
        return Response(script[0], media_type="text/javascript; charset=utf-8")


_BLANK_GIF = b"data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def _on_sighup(loop: asyncio.AbstractEventLoop, sanad: Sanad) -> None:
    def reload() -> None:
        try:
            log.info("SIGHUP: index %s now in use", sanad.reload())
        except SanadError as exc:
            log.error("SIGHUP: reload failed, keeping the current index: %s", exc)

    loop.run_in_executor(None, reload)


class StartupGuard:
    """Makes a start-up failure with a known cause one log line instead of a traceback.

    Starlette reports a failed lifespan to the server with the whole traceback as the
    message; for a :class:`SanadError` (no corpus, unwritable index, broken model cache...)
    the message already says what to do, so that is what the server logs.
    """

    def __init__(self, app, state):
        self.app = app
        self.state = state  # the app's state, where the lifespan leaves ``startup_error``

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)

        async def send_short(message):
            exc = getattr(self.state, "startup_error", None)
            if message["type"] == "lifespan.startup.failed" and exc is not None:
                message = {**message, "message": f"bot: {exc}"}
            await send(message)

        await self.app(scope, receive, send_short)


@asynccontextmanager
async def _lifespan(app: FastAPI):
    settings: Settings = app.state.settings
    if getattr(app.state, "sanad", None) is None:
        try:
            app.state.sanad = await run_in_threadpool(Sanad.open, settings)
        except SanadError as exc:
            app.state.startup_error = exc
            raise
    loop = asyncio.get_running_loop()
    hup = hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread()
    if hup:  # only the main thread may install signal handlers (not under TestClient)
        loop.add_signal_handler(signal.SIGHUP, _on_sighup, loop, app.state.sanad)
    try:
        async with AsyncExitStack() as stack:
            if app.state.mcp is not None:  # the MCP session manager's task group, inside ours
                await stack.enter_async_context(app.state.mcp.run())
            yield
    finally:
        if hup:
            loop.remove_signal_handler(signal.SIGHUP)


# ---------------------------------------------------------------- handlers


def chat_endpoint(body: ChatRequest, sanad: SanadDep) -> Response:
    """Answer a question, resolving short follow-ups from the earlier user turns.

    The answer is encoded here, in the handler's thread: FastAPI would otherwise validate
    the returned object against :class:`ChatResponse` (which documents it) in a second trip
    through the thread pool per request. orjson writes the same JSON as ``json.dumps``
    (UTF-8, no spaces; a float may be spelled differently, ``0.00001`` for ``1e-05``, the same
    number) in a twentieth of the time, and a score that is not a finite number as null, as
    pydantic does."""
    result = chat(body, sanad)
    try:
        return Response(orjson.dumps(result), media_type="application/json")
    except TypeError:  # a value orjson does not take (a numpy scalar, a lone surrogate)
        pass
    try:
        content = json.dumps(result, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a score that is not a finite number: pydantic writes it as null
        content = ChatResponse.model_validate(result).model_dump_json()
    return Response(content.encode(), media_type="application/json")


def chat(body: ChatRequest, sanad: Sanad) -> dict:
    """Answer a question, resolving short follow-ups from the earlier user turns."""
    limit = sanad.settings.max_history_turns
    if len(body.history) > limit:
        raise InputError(
            f"history has {len(body.history)} turns; the limit is {limit} "
            "(SANAD_MAX_HISTORY_TURNS): send only the latest turns"
        )
    question = sanad.check_question(body.question)
    res = resolve(question, [Turn(t.role, t.content) for t in body.history], sanad.quotables)
    answer = sanad.ask(question, lang=body.lang, top_k=body.top_k, retrieval_query=res.query)
    return {**answer.to_dict(), "resolved_query": res.query}


def chat_completions(body: ChatCompletionRequest, sanad: SanadDep):
    """OpenAI-compatible chat: the last user message is the question, earlier ones history.

    Messages after it (an assistant's tool call, a ``tool`` result, a user message with no
    text) are ignored: Sanad has no tools, and the question is still the user's.
    """
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    last = max(
        (i for i, m in enumerate(turns) if m.role == "user" and m.text().strip()), default=None
    )
    if last is None:
        raise InputError(
            "messages have no user message with text: send the question as a "
            "message with role 'user'"
        )
    turns = turns[: last + 1]
    history = [{"role": m.role, "content": m.text()} for m in turns[:-1]]
    history = (
        history[-sanad.settings.max_history_turns :] if sanad.settings.max_history_turns else []
    )
    try:
        request = ChatRequest.model_validate(
            {
                "question": turns[-1].text(),
                "lang": body.lang,
                "top_k": body.top_k,
                "history": history,
            }
        )
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(x) for x in e["loc"])
        raise InputError(f"messages (as {where}): {e['msg']}") from None
    result = chat(request, sanad)
    inline = sanad.settings.inline_sources if body.sanad_sources is None else body.sanad_sources
    parts = [result["answer"], *([_sources(result, sanad)] if inline else [])]
    completion = _completion(result, body.model or MODEL_NAME, "\n\n".join(p for p in parts if p))
    if body.stream:
        return StreamingResponse(
            _sse(completion, len(result["answer"])), media_type="text/event-stream"
        )
    return completion


def _sources(result: dict, sanad: Sanad) -> str:
    """The cited sources as text in the answer's language (docs/integrations.md)."""

    def title(doc_id: str) -> str:
        doc = sanad.docs.get(doc_id)
        if doc is None:
            return doc_id
        return (doc.title_en or doc.title) if result["language"] == "en" else doc.title

    return render_sources(result["language"], result["answerable"], result["citations"], title)


def _completion(result: dict, model: str, content: str) -> ChatCompletion:
    words = len(result["question"].split()), len(content.split())
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex[:24]}",
        created=int(time.time()),
        model=model,
        choices=[Choice(message=AssistantMessage(content=content))],
        usage=Usage(prompt_tokens=words[0], completion_tokens=words[1], total_tokens=sum(words)),
        citations=result["citations"],
        answerable=result["answerable"],
        resolved_query=result["resolved_query"],
    )


def _sse(c: ChatCompletion, answer_chars: int) -> Iterator[str]:
    """The completion as OpenAI ``chat.completion.chunk`` events: role, text pieces, stop.

    The first ``answer_chars`` characters (the answer) come in small pieces; the rest (the
    sources, when inline) as the last content chunk.
    """
    base = {"id": c.id, "object": "chat.completion.chunk", "created": c.created, "model": c.model}

    def event(delta: dict, finish: str | None = None, **extra) -> str:
        chunk = {
            **base,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    text = c.choices[0].message.content
    for i in range(0, answer_chars, 40):
        yield event({"content": text[i : min(i + 40, answer_chars)]})
    if text[answer_chars:]:
        yield event({"content": text[answer_chars:]})
    yield event(
        {},
        "stop",
        citations=[x.model_dump() for x in c.citations],
        answerable=c.answerable,
        resolved_query=c.resolved_query,
    )
    yield "data: [DONE]\n\n"


def list_models(request: Request) -> ModelList:
    """The model names Sanad answers as (any name is accepted in chat completions)."""
    return ModelList(
        data=[ModelCard(id=MODEL_NAME, created=request.app.state.created, owned_by="sanad")]
    )


def get_model(model_id: str, request: Request) -> ModelCard:
    """One model of :func:`list_models`, or 404."""
    for card in list_models(request).data:
        if card.id == model_id:
            return card
    raise NotFound(f"no model {model_id!r}: GET /v1/models lists them ({MODEL_NAME})")


def get_passage(passage_id: str, sanad: SanadDep) -> PassageOut:
    """One passage with its document, section, translation and neighbouring sentences."""
    return PassageOut.find(sanad.docs, passage_id)


def list_documents(sanad: SanadDep) -> list[DocumentSummary]:
    """Metadata of every corpus document."""
    return [DocumentSummary.of(d) for d in sanad.docs.values()]


def get_document(doc_id: str, sanad: SanadDep) -> DocumentOut:
    """A document's raw text with its passages' spans, headings and excluded comment span."""
    d = sanad.docs.get(doc_id)
    if d is None:
        raise NotFound(
            f"no document {doc_id!r}: GET /v1/documents lists the ids "
            f"({', '.join(sorted(sanad.docs))})"
        )
    seg = d.segmentation
    return DocumentOut(
        **DocumentSummary.of(d).model_dump(),
        raw=d.raw,
        meta=d.meta,
        passage_spans=[
            PassageSpan(id=p.id, n=p.n, start=p.start, end=p.end, section=p.section)
            for p in d.passages
        ],
        headings=[TextSpan.of(d.raw, h) for h in seg.headings],
        excluded=TextSpan.of(d.raw, seg.excluded),
    )


def verify(body: VerifyRequest, sanad: SanadDep) -> VerifyResponse:
    """The verdict on a claim (supported / contradicted / not_enough_info) with the passages
    that decide it, and the checks of every passage id and quote offered for it."""
    cite = list(dict.fromkeys(body.citations + body.cite))
    report = sanad.verify(body.claim, cite, [q.model_dump() for q in body.quotes], body.top_k)
    return VerifyResponse.model_validate(report.to_dict())


def healthz() -> Health:
    """The process is alive (says nothing about the model)."""
    return Health(status="ok")


def readyz(sanad: SanadDep) -> Health:
    """The model and index are loaded and answering (503 until then)."""
    return Health(status="ready", index=sanad.index.id, passages=len(sanad.index.passages))


def info(sanad: SanadDep) -> Info:
    """Model, index manifest, corpus documents, version and limits."""
    s = sanad.settings
    return Info(
        version=__version__,
        model=sanad.embedder.model_id,
        index=sanad.index.manifest,
        documents=list_documents(sanad),
        limits={
            "max_question_chars": s.max_question_chars,
            "max_history_turns": s.max_history_turns,
            "max_body_bytes": s.max_body_bytes,
            "max_top_k": MAX_TOP_K,
            "max_query_tokens": MAX_QUERY_TOKENS,
            "rate_limit_per_minute": s.rate_limit,
            "request_timeout_seconds": int(s.request_timeout),
            "max_connections": s.max_connections,
            "model_passes": s.passes,
        },
    )


def reload_index(
    sanad: SanadDep, request: Request, authorization: Annotated[str | None, Header()] = None
) -> Reloaded:
    """Re-read corpus and index and swap them in; requests in flight finish on the old one."""
    token = request.app.state.settings.admin_token
    if not token:
        raise StarletteHTTPException(404, "admin endpoints are disabled: set SANAD_ADMIN_TOKEN")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise StarletteHTTPException(
            401,
            "send Authorization: Bearer <SANAD_ADMIN_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    previous = sanad.index.id
    return Reloaded(index=sanad.reload(), previous=previous)


# ---------------------------------------------------------------- the app


def _is_chat(route) -> bool:
    return getattr(route, "endpoint", None) is chat_endpoint


def _mount_mcp(app: FastAPI, settings: Settings):
    """The MCP server at /mcp over the app's Sanad (None when the mcp package is missing)."""
    try:
        from .mcp_server import HttpEndpoint
    except ImportError:
        log.warning("the mcp package is not installed: /mcp is disabled")
        return None

    def sanad() -> Sanad:
        if app.state.sanad is None:
            raise NotReady("the model and index are still loading: retry in a moment")
        return app.state.sanad

    endpoint = HttpEndpoint(sanad, settings)
    app.router.add_route("/mcp", endpoint, include_in_schema=False)
    return endpoint


def create_app(settings: Settings | None = None, sanad: Sanad | None = None) -> FastAPI:
    """The API app. ``sanad`` skips loading (tests); otherwise the lifespan opens it."""
    settings = settings or (sanad.settings if sanad else load_settings())
    app = FastAPI(
        title="Sanad",
        version=__version__,
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        description="Cited answers from the corpus; see docs/api.md.",
    )
    app.state.settings, app.state.sanad = settings, sanad
    app.state.created = int(time.time())
    _install_error_handlers(app)
    _install_docs(app)
    add = app.add_api_route
    add(
        "/v1/chat",
        chat_endpoint,
        methods=["POST"],
        response_model=ChatResponse,
        responses=METERED_ERRORS,
        tags=["chat"],
    )
    add(
        "/v1/chat/completions",
        chat_completions,
        methods=["POST"],
        response_model=ChatCompletion,
        responses={**METERED_ERRORS, 200: {"content": {"text/event-stream": {}}}},
        tags=["chat"],
    )
    # Well-formed chat requests skip FastAPI's per-request work (ChatLane); the route above
    # documents the endpoint and answers the others.
    app.router.routes.insert(
        0,
        Route(
            "/v1/chat",
            ChatLane(app, next(r for r in app.router.routes if _is_chat(r))),
            methods=["POST"],
            include_in_schema=False,
        ),
    )
    add("/v1/models", list_models, methods=["GET"], response_model=ModelList, tags=["chat"])
    add(
        "/v1/models/{model_id}",
        get_model,
        methods=["GET"],
        response_model=ModelCard,
        responses=ERRORS,
        tags=["chat"],
    )
    add(
        "/v1/passages/{passage_id}",
        get_passage,
        methods=["GET"],
        response_model=PassageOut,
        responses=ERRORS,
        tags=["corpus"],
    )
    add(
        "/v1/documents",
        list_documents,
        methods=["GET"],
        response_model=list[DocumentSummary],
        responses=ERRORS,
        tags=["corpus"],
    )
    add(
        "/v1/documents/{doc_id}",
        get_document,
        methods=["GET"],
        response_model=DocumentOut,
        responses=ERRORS,
        tags=["corpus"],
    )
    add(
        "/v1/verify",
        verify,
        methods=["POST"],
        response_model=VerifyResponse,
        responses=METERED_ERRORS,
        tags=["verify"],
    )
    add("/healthz", healthz, methods=["GET"], response_model=Health, tags=["health"])
    add(
        "/readyz", readyz, methods=["GET"], response_model=Health, responses=ERRORS, tags=["health"]
    )
    add("/v1/info", info, methods=["GET"], response_model=Info, responses=ERRORS, tags=["health"])
    add(
        "/v1/admin/reload",
        reload_index,
        methods=["POST"],
        response_model=Reloaded,
        responses={**ERRORS, 401: {"model": ErrorResponse}},
        tags=["admin"],
    )
    app.state.mcp = _mount_mcp(app, settings)
    try:
        from .web import router
    except ImportError:
        pass
    else:
        app.include_router(router)
    # The last added runs first: CORS, headers, rate limit, then the body checks.
    app.add_middleware(
        BodyGuard, max_bytes=settings.max_body_bytes, timeout=settings.request_timeout
    )
    app.add_middleware(
        RateLimit, per_minute=settings.rate_limit, trusted_proxies=settings.trusted_proxies
    )
    app.add_middleware(SecurityHeaders)
    if settings.cors_origins:  # outermost, so error responses carry CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
        )
    app.add_middleware(StartupGuard, state=app.state)
    return app
