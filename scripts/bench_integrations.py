"""Latency of the same questions through each integration, against a running `bot serve`.

    python scripts/bench_integrations.py http://127.0.0.1:8000 [--rounds 3]

Per question and round, interleaved so machine load hits every path alike: POST /v1/chat,
POST /v1/chat/completions with and without the sources in the text, and the MCP `ask` tool
over /mcp (one client session). Prints each path's p50 and its ratio to /v1/chat.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import httpx
from mcp import Client

DEV = Path(__file__).resolve().parent.parent / "tests" / "data" / "dev.jsonl"


def questions(limit: int) -> list[str]:
    """The first ``limit`` questions of the dev set."""
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    return [r["question"] for r in rows][:limit]


async def run(url: str, rounds: int, limit: int) -> dict[str, list[float]]:
    """Milliseconds per request, by path."""
    times: dict[str, list[float]] = {
        "/v1/chat": [],
        "completions (sources)": [],
        "completions (no sources)": [],
        "MCP ask": [],
    }
    async with httpx.AsyncClient(base_url=url, timeout=60) as http, Client(f"{url}/mcp") as mcp:
        for _ in range(rounds):
            for q in questions(limit):
                msgs = [{"role": "user", "content": q}]
                calls = {
                    "/v1/chat": lambda q=q: http.post("/v1/chat", json={"question": q}),
                    "completions (sources)": lambda m=msgs: http.post(
                        "/v1/chat/completions", json={"messages": m}
                    ),
                    "completions (no sources)": lambda m=msgs: http.post(
                        "/v1/chat/completions", json={"messages": m, "sanad_sources": False}
                    ),
                    "MCP ask": lambda q=q: mcp.call_tool("ask", {"question": q}),
                }
                for name, call in calls.items():
                    t = time.perf_counter()
                    r = await call()
                    times[name].append((time.perf_counter() - t) * 1000)
                    assert (
                        not getattr(r, "is_error", False) and getattr(r, "status_code", 200) == 200
                    ), name
    return times


def main() -> None:
    """Parse arguments, measure, print."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("url")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--questions", type=int, default=20)
    args = p.parse_args()
    times = asyncio.run(run(args.url.rstrip("/"), args.rounds, args.questions))
    base = statistics.median(times["/v1/chat"])
    for name, ms in times.items():
        p50 = statistics.median(ms)
        print(f"{name:<26} p50 {p50:7.1f} ms  ratio {p50 / base:.2f}  (n={len(ms)})")


if __name__ == "__main__":
    main()
