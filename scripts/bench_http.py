"""The server's CPU per ``POST /v1/chat`` at 16 clients: the HTTP layer alone, and the mix.

Two figures per run, each the server process's CPU time (``/proc/<pid>/stat``) divided by
the requests it answered:

* **cached**: 16 clients asking one question over and over. After the first, every answer
  comes from the answer cache, so what the server spends is the HTTP layer: uvicorn, the
  middleware, routing, the body, the thread hand-off, the JSON encoding of the answer;
* **mix**: 16 clients asking distinct XQuAD-R questions (as ``bench_api.py`` does), nothing
  cached: the model, retrieval and answering on top.

``--asgi`` measures instead, in this process and without sockets, the CPU per cached
``/v1/chat`` call through the app with its chat lane (``chat_lane.ChatLane``) and without it (the
FastAPI route alone), 16 calls at a time, the two alternated round after round: the
steadiest figure on a shared machine, for this checkout only.

``--checkouts`` runs each checkout's ``bot serve`` in turn, round after round, on one index
(``SANAD_INDEX_DIR``, built by the first), so two versions of the code compare on the same
machine load; the medians are what to compare.

    SANAD_INDEX_DIR=/tmp/i PYTHONPATH=. .venv/bin/python scripts/bench_http.py \\
        [--checkouts /path/a,/path/b] [--rounds 3] [--cached 1600] [--mix 800] [--asgi]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import ROOT, clients, many_questions, start_server  # noqa: E402

QUESTION = "What is the Qatar Armed Forces partnership with the United States?"


def one_run(checkout: Path, cached: int, mix: list[str]) -> dict:
    """One server from ``checkout``: its CPU per request, cached and mixed (ms)."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.setdefault("SANAD_RATE_LIMIT", "0")  # one client address sends everything here
    proc, url = start_server(env, cwd=checkout)
    try:
        clients(url, [QUESTION] * 200, 16, proc.pid)  # warm up: threads, cache, connections
        same = clients(url, [QUESTION] * cached, 16, proc.pid)
        out = {"cached_server_cpu_ms": same["server_cpu_ms"], "errors": same["errors"]}
        if mix:
            clients(url, mix[:100], 16, proc.pid)
            m = clients(url, mix[100:], 16, proc.pid)
            out.update(mix_server_cpu_ms=m["server_cpu_ms"], mix_qps=m["qps"])
            out["errors"] += m["errors"]
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def asgi_rounds(rounds: int, calls: int = 1600) -> dict:
    """µs of CPU per cached ``/v1/chat`` call through the app, with and without its lane."""
    import asyncio
    import time

    import uvloop

    from bot.api import create_app
    from bot.service import Sanad
    from bot.settings import load_settings

    sanad = Sanad.open(load_settings().model_copy(update={"rate_limit": 0}))
    apps = {"lane": create_app(sanad.settings, sanad), "route": create_app(sanad.settings, sanad)}
    apps["route"].router.routes.pop(0)  # the lane: FastAPI's route answers alone
    body = json.dumps({"question": QUESTION}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1"}
    scope |= {"method": "POST", "scheme": "http", "path": "/v1/chat", "raw_path": b"/v1/chat"}
    scope |= {"query_string": b"", "root_path": "", "client": ("127.0.0.1", 1)}
    scope |= {"server": ("127.0.0.1", 8000)}

    async def call(app) -> list[dict]:
        sent, out = False, []

        async def receive():
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)  # no disconnect while the answer is written
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            out.append(message)

        await app({**scope, "headers": list(headers), "state": {}}, receive, send)
        return out

    async def run() -> dict:
        first = {k: await call(app) for k, app in apps.items()}
        same = first["lane"] == first["route"] and first["lane"][0]["status"] == 200
        cpu: dict[str, list[float]] = {k: [] for k in apps}
        for _ in range(rounds):
            for k, app in apps.items():
                t = time.process_time()
                for _ in range(calls // 16):
                    await asyncio.gather(*[call(app) for _ in range(16)])
                cpu[k].append(round((time.process_time() - t) / calls * 1e6, 1))
        return {"identical_responses": same, "us_per_call": cpu} | {
            f"{k}_median_us": statistics.median(v) for k, v in cpu.items()
        }

    return uvloop.run(run())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkouts", default=str(ROOT), help="comma-separated checkouts")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cached", type=int, default=1600, help="cached requests per run")
    ap.add_argument("--mix", type=int, default=800, help="distinct questions per run (0: none)")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--asgi", action="store_true", help="in process: the lane against the route")
    args = ap.parse_args()
    if args.asgi:
        print(json.dumps(asgi_rounds(max(args.rounds, 5)), indent=1))
        return 0
    checkouts = [Path(c).resolve() for c in args.checkouts.split(",")]
    mix = many_questions(args.mix + 300)[200:] if args.mix else []
    runs: dict[str, list[dict]] = {str(c): [] for c in checkouts}
    for r in range(args.rounds):
        for c in checkouts:
            row = one_run(c, args.cached, mix)
            row["load"] = round(os.getloadavg()[0], 1)
            runs[str(c)].append(row)
            print(f"round {r + 1} {c}: {json.dumps(row)}", flush=True)
    summary = {
        c: {
            k: statistics.median(row[k] for row in rows)
            for k in ("cached_server_cpu_ms", "mix_server_cpu_ms", "mix_qps")
            if k in rows[0]
        }
        | {"errors": sum(row["errors"] for row in rows)}
        for c, rows in runs.items()
    }
    print(json.dumps(summary, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "median": summary}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
