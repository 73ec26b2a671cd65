"""Load test: 16 clients on loopback, clean and with a hostile mix; stops by itself.

Starts `bot serve` on a free port with the rate limit off (SANAD_RATE_LIMIT=0: one address
sends everything here) and the index in a temp folder (unless SANAD_INDEX_DIR is set), then:

1. clean: every client asks dev-set questions back to back for --seconds;
2. hostile: the same, but every tenth request is at the size limits (1,000-character questions
   of U+FDFA, "a b ", Arabic; 20-turn histories of 1,000-character turns; a body just under
   64 KiB; verify with 20 citations).

Reports errors (5xx, transport errors, unexpected 4xx), p50/p95/p99 of the normal questions,
questions a second, and the server's RSS at the start, middle and end of each phase.

    .venv/bin/python scripts/load.py [--clients 16] [--seconds 60] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DOC = "qatar-defense-partnerships"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def questions() -> list[str]:
    rows = (ROOT / "tests" / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(r)["question"] for r in rows if r.strip()]


def hostile_requests() -> list[tuple[str, str, dict, tuple[int, ...]]]:
    """(name, path, JSON body, acceptable statuses): requests at the documented limits."""
    arabic = ("ما هي أكبر منشأة عسكرية أميركية في الشرق الأوسط " * 30)[:1000]
    turn = {"role": "user", "content": "Where is Al Udeid? " * 52}
    return [
        ("chat U+FDFA x 1000", "/v1/chat", {"question": "\ufdfa" * 1000}, (200,)),
        ("chat 'a b ' x 250", "/v1/chat", {"question": "a b " * 250}, (200,)),
        ("chat 1,000 Arabic chars", "/v1/chat", {"question": arabic}, (200,)),
        ("chat 1,000 x top_k 20", "/v1/chat", {"question": "x" * 1000, "top_k": 20}, (200,)),
        (
            "chat 20-turn history",
            "/v1/chat",
            {"question": "And then?", "history": [turn] * 20},
            (200,),
        ),
        (
            "chat 64 KiB body",
            "/v1/chat",
            {"question": "q", "history": [{"role": "user", "content": "y" * 3200}] * 20},
            (200, 413),
        ),
        (
            "completions U+FDFA x 1000",
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "\ufdfa" * 1000}]},
            (200,),
        ),
        (
            "verify 'a b ' + 20 citations",
            "/v1/verify",
            {"claim": "a b " * 250, "citations": [f"{DOC}:{i}" for i in range(1, 21)]},
            (200,),
        ),
        # Refused with a message: 18,000 characters once NFKC-normalised (service.check_claim).
        ("verify U+FDFA x 1000", "/v1/verify", {"claim": "\ufdfa" * 1000, "top_k": 20}, (422,)),
    ]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def phase(url: str, pid: int, clients: int, seconds: float, hostile: bool, skip: str = "") -> dict:
    """Run one phase; return its figures."""
    qs = questions()
    bad = [b for b in hostile_requests() if not (skip and b[1].startswith(skip))]
    normal: list[float] = []
    heavy: list[float] = []
    by_kind: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    rss = {"start": rss_kb(pid)}

    def client(n: int) -> None:
        rng = random.Random(n)
        count = 0
        with httpx.Client(base_url=url, timeout=120) as c:
            while time.monotonic() < stop:
                count += 1
                # Every text is new (a counter is appended): answers are cached, and a load
                # test of the cache would say nothing about the model's cost.
                tag = f" {n}-{count}{'h' if hostile else ''}"
                if hostile and rng.random() < 0.1:
                    name, path, body, ok = rng.choice(bad)
                    body = {
                        k: (v[: -len(tag)] + tag if k in ("question", "claim") else v)
                        for k, v in body.items()
                    }
                    kind = heavy
                else:
                    name, path, body, ok = (
                        "normal",
                        "/v1/chat",
                        {"question": rng.choice(qs) + tag},
                        (200,),
                    )
                    kind = normal
                t = time.perf_counter()
                try:
                    r = c.post(path, json=body)
                    status = r.status_code
                except httpx.HTTPError as exc:
                    status, r = 0, exc
                dt = time.perf_counter() - t
                with lock:
                    kind.append(dt)
                    by_kind.setdefault(name, []).append(dt)
                    if status not in ok:
                        errors.append(f"{path} {status} {str(getattr(r, 'text', r))[:120]}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(seconds / 2)
    rss["middle"] = rss_kb(pid)
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    rss["end"] = rss_kb(pid)
    return {
        "hostile": hostile,
        "seconds": round(elapsed, 1),
        "requests": len(normal) + len(heavy),
        "heavy_requests": len(heavy),
        "errors": len(errors),
        "error_samples": errors[:5],
        "questions_per_s": round((len(normal) + len(heavy)) / elapsed, 2),
        "normal_ms": {f"p{p}": round(pct(normal, p) * 1000, 1) for p in (50, 95, 99)},
        "heavy_ms": {f"p{p}": round(pct(heavy, p) * 1000, 1) for p in (50, 95, 99)}
        if heavy
        else None,
        "rss_mb": {k: round(v / 1024, 1) for k, v in rss.items()},
        "by_kind_p50_ms": {k: round(pct(v, 50) * 1000, 1) for k, v in sorted(by_kind.items())},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--skip",
        default="",
        help="leave out at-the-limit requests whose path "
        "starts with this, e.g. /v1/verify (to attribute a slowdown)",
    )
    args = ap.parse_args()
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="sanad-load-")
    env = {
        **os.environ,
        "SANAD_RATE_LIMIT": "0",
        "PYTHONPATH": str(ROOT),
        "SANAD_INDEX_DIR": os.environ.get("SANAD_INDEX_DIR", f"{tmp}/index"),
    }
    log = open(f"{tmp}/server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            print(f"server did not start; see {tmp}/server.log", file=sys.stderr)
            return 1
        # Warm-up under the same load (thread pool, allocator, caches), not measured.
        phase(url, proc.pid, args.clients, min(15.0, args.seconds / 4), hostile=False)
        clean = phase(url, proc.pid, args.clients, args.seconds, hostile=False)
        mixed = phase(url, proc.pid, args.clients, args.seconds, hostile=True, skip=args.skip)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    report = {
        "clients": args.clients,
        "clean": clean,
        "hostile": mixed,
        "p95_ratio_hostile_to_clean": round(
            mixed["normal_ms"]["p95"] / clean["normal_ms"]["p95"], 2
        ),
    }
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for name, r in (("clean", clean), ("hostile mix", mixed)):
            print(
                f"{name}: {r['requests']} requests in {r['seconds']} s "
                f"({r['questions_per_s']}/s), errors {r['errors']}, normal p50/p95/p99 "
                f"{r['normal_ms']['p50']}/{r['normal_ms']['p95']}/{r['normal_ms']['p99']} ms, "
                f"RSS {r['rss_mb']['start']}/{r['rss_mb']['middle']}/{r['rss_mb']['end']} MB"
            )
            if r["heavy_ms"]:
                print(
                    f"  at-the-limit requests: {r['heavy_requests']}, p50/p95 "
                    f"{r['heavy_ms']['p50']}/{r['heavy_ms']['p95']} ms"
                )
            for e in r["error_samples"]:
                print(f"  error: {e}")
        print(f"normal p95 with hostile mix / clean: {report['p95_ratio_hostile_to_clean']}")
    return 0 if clean["errors"] == 0 and mixed["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
