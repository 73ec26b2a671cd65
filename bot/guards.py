"""Per-request guards of the HTTP API: a rate limit per client address and safe headers.

Both are plain ASGI middleware, added by ``create_app``; neither knows about the handlers.
The rate limit is a token bucket per client address, in this process only: with several
workers or replicas each keeps its own buckets (docs/api.md says what to use across them).
"""

from __future__ import annotations

import ipaddress
import json
import math
import threading
import time
from collections.abc import Callable, Iterable

#: POST endpoints that run the model: the ones a client can make expensive.
METERED = ("/v1/chat", "/v1/chat/completions", "/v1/verify", "/mcp")

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class RateLimiter:
    """Token buckets keyed by client: ``per_minute`` tokens a minute, bursts of ``burst``.

    A request takes one token; an empty bucket refuses it and says when the next token comes.
    Buckets that have refilled are forgotten, so memory stays bounded by recent clients.
    """

    def __init__(
        self,
        per_minute: int,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ):
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, per_minute // 6))
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait for a token."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > self.max_clients:
                    self._forget_full(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        full = [
            k for k, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.burst
        ]
        for k in full:
            del self._buckets[k]


def parse_networks(items: Iterable[str]) -> list[_Network]:
    """Addresses and CIDRs as networks (settings.py has validated them)."""
    return [ipaddress.ip_network(x, strict=False) for x in items]


def _trusted(address: str, networks: list[_Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_address(scope: dict, trusted: list[_Network]) -> str:
    """The client's address: the peer, or, when the peer is a trusted proxy, the nearest
    address in ``X-Forwarded-For`` that is not itself a trusted proxy.

    Reading from the right matters: a client can put anything at the left of the header,
    only the entries that trusted proxies appended are believable.
    """
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted or not _trusted(peer, trusted):
        return peer
    forwarded = [
        v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() == b"x-forwarded-for"
    ]
    hops = [h.strip() for line in forwarded for h in line.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


class RateLimit:
    """Answers 429 with ``Retry-After`` when a client exceeds its rate on a metered endpoint."""

    def __init__(
        self,
        app,
        per_minute: int,
        trusted_proxies: Iterable[str] = (),
        paths: tuple[str, ...] = METERED,
    ):
        self.app = app
        self.limiter = RateLimiter(per_minute) if per_minute > 0 else None
        self.trusted = parse_networks(trusted_proxies)
        self.paths = paths

    async def __call__(self, scope, receive, send):
        if (
            self.limiter is None
            or scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"].rstrip("/") not in self.paths
        ):
            return await self.app(scope, receive, send)
        wait = self.limiter.take(client_address(scope, self.trusted))
        if not wait:
            return await self.app(scope, receive, send)
        retry = max(1, math.ceil(wait))
        per_minute = round(self.limiter.rate * 60)
        body = json.dumps(
            {
                "error": {
                    "code": "rate_limited",
                    "message": (
                        f"too many requests from your address (limit {per_minute} a minute, "
                        f"SANAD_RATE_LIMIT): retry in {retry} s"
                    ),
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry).encode()),
                    (b"x-content-type-options", b"nosniff"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """``X-Content-Type-Options: nosniff`` on every response that does not set it already."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(k.lower() == b"x-content-type-options" for k, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
