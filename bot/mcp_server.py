"""Sanad as a Model Context Protocol server: the tools ``ask``, ``verify_claim``,
``get_passage`` and ``search`` for agents (docs/integrations.md).

``bot mcp`` serves it over stdio; the HTTP app mounts it at ``/mcp`` (streamable HTTP) over
the Sanad it has already loaded. Each tool is a thin handler that calls the same Sanad
method as the HTTP API and returns the same JSON, as structured content and as JSON text.
Sanad's own errors come back as tool errors (``isError``) whose structured content is the
API's error shape, ``{"error": {"code", "message"}}``, e.g. ``invalid_input`` or
``not_found``; arguments that break a tool's input schema are ``invalid_input`` too.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError
from starlette.responses import JSONResponse

from . import __version__
from .errors import SanadError
from .schemas import CitationOut, PassageOut, VerifyResponse
from .service import Sanad
from .settings import MAX_CITES, MAX_TOP_K, Settings

log = logging.getLogger("sanad")

INSTRUCTIONS = (
    "Sanad answers questions about a fixed corpus of Arabic and English documents with "
    "sentence-level citations, and never invents text: every answer quotes corpus sentences "
    "verbatim. Use `ask` for a question, `search` to see the best-matching sentences, "
    "`get_passage` to read a cited sentence in context, and `verify_claim` to check a "
    "statement against the corpus. Citations give the passage id ('<doc-id>:<n>') and the "
    "code-point offsets [start, end) of the quoted sentence in its document. When `ask` "
    "returns answerable=false the corpus does not answer the question: say so rather than "
    "answering from the closest passages."
)

_READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


class AskResult(BaseModel):
    """What ``ask`` returns."""

    question: str
    language: Literal["ar", "en"]
    answer: str = Field(
        description="The answer: quoted corpus sentences with [n] markers "
        "pointing at the citations."
    )
    answerable: bool = Field(
        description="False when the corpus does not answer the "
        "question; the citations are then only the closest passages."
    )
    citations: list[CitationOut]
    model: str = Field(description="The embedding model that ranked the passages.")
    index: str = Field(description="The id of the index searched.")


class SearchResult(BaseModel):
    """What ``search`` returns."""

    query: str
    passages: list[CitationOut] = Field(description="Best first; `n` is the rank.")


def _error(code: str, message: str) -> CallToolResult:
    """A tool error in the API's error shape."""
    return CallToolResult(
        content=[TextContent(type="text", text=f"{code}: {message}")],
        structured_content={"error": {"code": code, "message": message}},
        is_error=True,
    )


def _result(fn: Callable[[], dict[str, Any]]) -> CallToolResult:
    """``fn()`` as a tool result, or Sanad's error in the API's error shape."""
    try:
        data = fn()
    except SanadError as exc:
        return _error(exc.code, str(exc))
    text = json.dumps(data, ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


class _Server(MCPServer):
    """Arguments that fail a tool's input schema are ``invalid_input``, worded as in the API."""

    async def call_tool(self, name, arguments, context=None):
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            errors = exc.__cause__.errors()[:5]
            return _error(
                "invalid_input",
                "; ".join(
                    f"{'.'.join(str(x) for x in e['loc']) or 'arguments'}: {e['msg']}"
                    for e in errors
                ),
            )


def build_server(get_sanad: Callable[[], Sanad]) -> MCPServer:
    """The MCP server; each tool call gets the loaded Sanad from ``get_sanad``."""
    server = _Server(
        "sanad",
        title="Sanad: cited answers",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
    )

    def ask(
        question: Annotated[str, Field(description="The question, in Arabic or English.")],
        language: Annotated[
            Literal["ar", "en"] | None,
            Field(description="Answer language; default: the question's script."),
        ] = None,
        top_k: Annotated[
            int | None,
            Field(
                ge=1, le=MAX_TOP_K, description=f"How many citations (1-{MAX_TOP_K}; default 3)."
            ),
        ] = None,
    ) -> Annotated[CallToolResult, AskResult]:
        """Answer a question from the corpus with verbatim, numbered citations.

        The answer quotes the best sentence(s); each citation has the passage id, document
        id, the sentence, its English translation (for Arabic sources), and its offsets.
        If `answerable` is false, the corpus does not contain the answer.
        """
        return _result(lambda: get_sanad().ask(question, lang=language, top_k=top_k).to_dict())

    def search(
        query: Annotated[str, Field(description="What to look for, in Arabic or English.")],
        top_k: Annotated[
            int, Field(ge=1, le=MAX_TOP_K, description=f"How many passages (1-{MAX_TOP_K}).")
        ] = 5,
    ) -> Annotated[CallToolResult, SearchResult]:
        """Rank the corpus sentences for a query, with the same retrieval as `ask`.

        Returns the best passages with id, text, translation, offsets and score; it does not
        judge whether they answer anything (use `ask` for that).
        """

        def run() -> dict[str, Any]:
            answer = get_sanad().ask(query, top_k=top_k)
            return {"query": answer.question, "passages": answer.to_dict()["citations"]}

        return _result(run)

    def get_passage(
        id: Annotated[str, Field(description="A passage id, '<doc-id>:<n>', as in citations.")],
    ) -> Annotated[CallToolResult, PassageOut]:
        """Read one passage in context: its text, offsets, section, translation, document
        title, and the sentences before and after it."""
        return _result(lambda: PassageOut.find(get_sanad().docs, id).model_dump())

    def verify_claim(
        claim: Annotated[str, Field(description="A statement to check against the corpus.")],
        cite: Annotated[
            list[str],
            Field(
                max_length=MAX_CITES,
                description="Passage ids offered as "
                "its sources (optional); each is judged besides "
                "the closest passages.",
            ),
        ] = [],  # noqa: B006
        top_k: Annotated[
            int,
            Field(
                ge=1,
                le=MAX_TOP_K,
                description=f"How many passages of evidence to show at least (1-{MAX_TOP_K}).",
            ),
        ] = 3,
    ) -> Annotated[CallToolResult, VerifyResponse]:
        """Check a claim against the corpus: verdict supported, contradicted or
        not_enough_info, a one-sentence explanation, and the evidence passages (verbatim,
        with offsets) with the facts each one supports or contradicts."""

        def run() -> dict[str, Any]:
            report = get_sanad().verify(claim, cite, (), top_k)
            # through the API's model, so the JSON is the API's (field aliases included)
            return VerifyResponse.model_validate(report.to_dict()).model_dump(
                mode="json", by_alias=True
            )

        return _result(run)

    for tool in (ask, search, get_passage, verify_claim):  # descriptions without indentation
        server.add_tool(
            tool, description=inspect.cleandoc(tool.__doc__ or ""), annotations=_READ_ONLY
        )
    return server


# ---------------------------------------------------------------- transports


class HttpEndpoint:
    """The ASGI endpoint at ``/mcp``: stateless streamable HTTP with JSON responses.

    :meth:`run` belongs inside the app's lifespan: it builds the server and runs the SDK's
    session manager (its task group) until shutdown. A fresh one per lifespan, because a
    session manager runs only once. Stateless, so any worker can answer any request. On a
    loopback ``host`` the SDK accepts only loopback Host and Origin headers (DNS-rebinding
    protection); on any other address that is left to the deployment.
    """

    def __init__(self, get_sanad: Callable[[], Sanad], settings: Settings):
        self.get_sanad, self.settings = get_sanad, settings
        self._app: StreamableHTTPASGIApp | None = None

    @asynccontextmanager
    async def run(self):
        """Serve MCP requests while the context is open."""
        server = build_server(self.get_sanad)
        server.streamable_http_app(stateless_http=True, json_response=True, host=self.settings.host)
        async with server.session_manager.run():
            self._app = StreamableHTTPASGIApp(server.session_manager)
            try:
                yield
            finally:
                self._app = None

    async def __call__(self, scope, receive, send):
        if self._app is None:
            return await JSONResponse(
                {"error": {"code": "not_ready", "message": "the MCP endpoint is not running yet"}},
                503,
            )(scope, receive, send)
        await self._app(scope, receive, send)


def serve_stdio(settings: Settings) -> None:
    """Serve MCP over stdin/stdout; the model and index load in the background meanwhile,
    so the client's handshake is answered at once and tool calls wait for the load."""
    loaded: Future[Sanad] = Future()

    def load() -> None:
        try:
            loaded.set_result(Sanad.open(settings))
        except BaseException as exc:  # reported to every tool call
            log.error("cannot load Sanad: %s", exc)
            loaded.set_exception(exc)

    threading.Thread(target=load, name="sanad-load", daemon=True).start()
    build_server(loaded.result).run("stdio")
