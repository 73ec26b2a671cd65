"""Starting the API with uvicorn (``bot serve``).

With one worker the app runs in this process, and SIGHUP reloads the index in place (see the
lifespan in api.py). With several workers uvicorn supervises them; each loads its own model,
and SIGHUP to the supervisor restarts the workers one after another.

Connections are bounded in number (``SANAD_MAX_CONNECTIONS``) and in time: a client has
``SANAD_REQUEST_TIMEOUT`` seconds to send its request line and headers (uvicorn has no such
timeout of its own; :class:`GuardedH11Protocol` adds it), the API's BodyGuard gives it as long
again for the body, and an idle keep-alive connection is closed after a few seconds.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # uvicorn's fast HTTP parser and event loop (its "standard" extra), when installed
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

from .settings import Settings, load_settings

#: Idle keep-alive connections are closed after this many seconds (at most the request timeout).
KEEP_ALIVE_SECONDS = 5.0


class _HeaderTimer:
    """The header timer both guarded protocols share: armed when the connection opens, cancelled
    when it is lost; each protocol says when to re-arm it and what to do when it fires."""

    #: Seconds for the request line and headers; None reads SANAD_REQUEST_TIMEOUT (workers).
    header_timeout: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if getattr(self, "_header_timer", None) is not None:
            self._header_timer.cancel()
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        if self.header_timeout is None:  # a worker process: read the setting once
            type(self).header_timeout = load_settings().request_timeout
        self._header_timer = self.loop.call_later(  # type: ignore[attr-defined]
            self.header_timeout, self._headers_overdue
        )


class GuardedH11Protocol(_HeaderTimer, H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing connections whose request headers are too slow.

    A timer runs from the moment the server waits for a request (connection opened, or the
    previous response sent); if the request's headers are not complete when it fires, the
    connection is closed. Without it a client sending one header byte a minute ("slowloris")
    holds its connection, and its slot under the concurrency limit, for ever.
    """

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_timer()

    def _headers_overdue(self) -> None:
        self._header_timer = None
        waiting = self.cycle is None or self.cycle.response_complete
        # their_state stays IDLE until a request's headers are complete.
        if waiting and self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


if HttpToolsProtocol is not None:

    class GuardedHttpToolsProtocol(_HeaderTimer, HttpToolsProtocol):
        """:class:`GuardedH11Protocol`'s header timeout on uvicorn's httptools protocol (the
        C parser: less CPU per request than h11)."""

        def on_headers_complete(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            pipelined = bool(self.pipeline)  # the next request's headers are in already
            super().on_response_complete()
            if not pipelined and not self.transport.is_closing():
                self._arm_header_timer()

        def _headers_overdue(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.close()


def _guarded_protocol() -> type:
    """The HTTP protocol class with the header timeout: httptools when installed (a third
    less server CPU per request than h11, docs/quality.md), else h11."""
    return GuardedH11Protocol if HttpToolsProtocol is None else GuardedHttpToolsProtocol


def _loop() -> str:
    """uvloop when installed (cheaper wake-ups of the loop by the handler threads), else
    asyncio."""
    try:
        import uvloop  # noqa: F401
    except ImportError:  # pragma: no cover
        return "asyncio"
    return "uvloop"


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options that bound connections (shared by ``serve`` and the tests)."""
    base = _guarded_protocol()
    protocol = type(
        f"Guarded{base.__name__}", (base,), {"header_timeout": settings.request_timeout}
    )
    return {
        "http": protocol,
        "loop": _loop(),
        "timeout_keep_alive": min(KEEP_ALIVE_SECONDS, settings.request_timeout),
        "limit_concurrency": settings.max_connections,
        "backlog": 2 * settings.max_connections,
        # X-Forwarded-For is read by the API's rate limit, from SANAD_TRUSTED_PROXIES only;
        # uvicorn would otherwise believe it from any client on 127.0.0.1.
        "proxy_headers": False,
        "timeout_graceful_shutdown": 10,
    }


def serve(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    log_level: str = "info",
) -> None:
    """Run the API until interrupted; arguments override the settings."""
    import uvicorn

    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    options = uvicorn_options(settings)
    if workers == 1:
        from .api import create_app

        # the app needs the real host: /mcp guards against DNS rebinding only on loopback
        settings = settings.model_copy(update={"host": host, "port": port})
        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, **options)
    else:  # worker processes import the factory and read the same SANAD_* settings
        os.environ["SANAD_HOST"], os.environ["SANAD_PORT"] = host, str(port)
        options["http"] = _guarded_protocol()  # importable by the workers (reads the setting)
        uvicorn.run(
            "bot.api:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            **options,
        )
