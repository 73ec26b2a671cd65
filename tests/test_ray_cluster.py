"""An index build joining a Ray cluster that was already running (``bot index build --ray
ADDRESS``), as on a real cluster: the head is started with ``ray start --head`` in its own
processes, the build runs in another process and only connects to it, by the cluster's
address (a Ray Client ``ray://`` address is refused: Ray Data needs its driver in the
cluster).

Real Ray; the test embedder (tests/fakes.py), so the workers need no model. Select with
``-m dist``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from api_fixtures import free_port

from bot.settings import ROOT

pytest.importorskip("ray")
pytestmark = [pytest.mark.dist, pytest.mark.slow]
RAY = Path(sys.executable).with_name("ray")
TESTS = ROOT / "tests"

DRIVER = """
import json, sys
from pathlib import Path
import numpy as np
from bot import ray_build
from bot.corpus import load_corpus
from bot.index import build_index
from test_dist import SparseHash

address, corpus, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
cpus = ray_build.start(address=address)
encode = ray_build.encode_on_ray(SparseHash, SparseHash(), workers=2, batch_size=8)
seen = []
built, embedded = build_index(
    out / "ray", load_corpus(corpus), SparseHash(), progress=seen.append, encode=encode
)
local, _ = build_index(out / "local", load_corpus(corpus), SparseHash())
ray_build.stop()
print(json.dumps({
    "cpus": cpus,
    "embedded": embedded,
    "progress": sum(seen),
    "same_id": built.id == local.id,
    "same_rows": built.rows == local.rows,
    "max_diff": float(np.abs(built.vectors.vectors() - local.vectors.vectors()).max()),
}))
"""


@pytest.fixture(scope="module")
def head(tmp_path_factory):
    """A Ray head node in its own processes (as `ray start --head` on a cluster's head)."""
    if not RAY.exists():
        pytest.skip("the `ray` command is not installed")
    temp = Path("/tmp") / f"sanad-ray-{os.getpid()}"  # Ray's socket paths must stay short
    port, client = free_port(), free_port()
    env = {
        **os.environ,
        # Workers import the package and the test embedder from this checkout.
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)]),
        "RAY_USAGE_STATS_ENABLED": "0",
        # `ray start` turns token authentication on (Ray 2.60); a driver sends the token (from
        # ~/.ray/auth_token) only when asked to (docs/deploy.md).
        "RAY_AUTH_MODE": "token",
    }
    start = [
        str(RAY),
        "start",
        "--head",
        f"--port={port}",
        f"--ray-client-server-port={client}",
        "--num-cpus=3",  # not the 2 a local cluster would get: the driver must join this one
        "--include-dashboard=false",
        f"--temp-dir={temp}",
    ]
    out = subprocess.run(start, env=env, capture_output=True, text=True, timeout=180)
    try:
        assert out.returncode == 0, out.stdout + out.stderr
        yield {"env": env, "gcs": f"127.0.0.1:{port}", "client": f"ray://127.0.0.1:{client}"}
    finally:
        subprocess.run([str(RAY), "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)


def test_a_build_joins_a_running_cluster(head, tmp_path, corpus_copy):
    out = subprocess.run(
        [sys.executable, "-c", DRIVER, head["gcs"], str(corpus_copy), str(tmp_path)],
        env=head["env"],
        cwd=TESTS,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["cpus"] == 3  # the head's CPUs: the driver joined it
    assert got["embedded"] == 36 and got["progress"] == 36
    assert got["same_id"] and got["same_rows"] and got["max_diff"] == 0.0


def test_ray_client_addresses_are_refused_with_what_to_do(head):
    from bot import ray_build

    with pytest.raises(ray_build.RayUnavailable, match="on a node of the cluster"):
        ray_build.start(address=head["client"])
