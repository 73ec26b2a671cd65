"""Property-based API testing: schemathesis against /openapi.json.

Two runs. With the real model, `bot serve` as a subprocess, about 25 cases per operation
(a few hundred in all): no 5xx, documented status codes and content types, responses matching
their schema; operations are driven one by one with hypothesis (schemathesis' pytest fixture
loader does not run under this pytest). And `schemathesis run --checks all` (every check,
including that schema-valid requests are accepted and invalid ones refused, with a response
time limit) for at least 1,000 cases, against the app under uvicorn on loopback with the fast
embedder, so that it stays within about a minute.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

pytest_plugins = ["api_fixtures"]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Reload swaps the index (tested on its own); streaming bodies are not JSON to validate.
SKIP = {("POST", "/v1/admin/reload")}


def operations(url: str):
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    ops = [r.ok() for r in schema.get_all_operations()]
    return [op for op in ops if (op.method.upper(), op.path) not in SKIP]


@pytest.mark.model
@pytest.mark.slow
def test_api_conforms_to_its_schema(live_server):
    ops = operations(live_server.url)
    assert {op.path for op in ops} >= {"/v1/chat", "/v1/verify", "/v1/passages/{passage_id}"}
    calls = []
    for op in ops:

        @given(case=op.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            if isinstance(case.body, dict) and case.body.get("stream") is True:
                case.body["stream"] = False
            case.call_and_validate(base_url=live_server.url, checks=CHECKS, timeout=60)
            calls.append(case.operation.path)

        run()
    assert len(calls) >= 100


#: Seconds a response may take in the --checks all run (the fast embedder answers in ms).
MAX_RESPONSE_TIME = 5


def test_schemathesis_checks_all(hash_sanad, thread_server, tmp_path):
    with thread_server(hash_sanad) as server:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--max-response-time",
                str(MAX_RESPONSE_TIME),
                "--max-examples",
                "80",
                "--generation-deterministic",
                "--workers",
                "1",
                # Strings are Unicode text: lone surrogates are refused (422), tested on their own.
                "--generation-codec",
                "utf-8",
                "--exclude-path",
                "/v1/admin/reload",
            ],
            capture_output=True,
            text=True,
            timeout=240,
            cwd=tmp_path,
        )
    out = run.stdout + run.stderr
    cases = re.search(r"(\d+) generated", out)
    assert run.returncode == 0, out[-4000:]
    assert cases and int(cases.group(1)) >= 1000, out[-2000:]
