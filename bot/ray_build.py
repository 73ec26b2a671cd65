"""Index builds on a Ray cluster (``bot index build --ray [ADDRESS]``).

Only the encoding step of :func:`~bot.index.build_index` moves: the corpus is segmented, the
rows to encode are chosen (unchanged ones reuse the live build's vectors) and the build is
written and swapped in on the driver, exactly as in a local build. The rows to encode become a
Ray Data dataset; ``map_batches`` runs :class:`EncodeWorker` on a pool of actors, each loading
the model once, and the vectors come back to the driver as they are done.

A worker that dies is restarted by Ray and its batch retried (:data:`MAX_RESTARTS`,
:data:`MAX_TASK_RETRIES`); a driver that dies leaves the previous index serving, since nothing
is swapped in before every vector is back. Nothing else in the package imports Ray.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .embed import Embedder
from .encoding import BATCH, Encode, Encoded, EncodeItem, encode_locally
from .errors import SanadError

log = logging.getLogger("sanad")

#: How often Ray restarts a dead encoding actor, and retries a batch whose actor died.
MAX_RESTARTS = 3
MAX_TASK_RETRIES = 3


class RayUnavailable(SanadError):
    """Ray is not installed or the cluster cannot be reached."""


def start(address: str | None = None, num_cpus: int = 2) -> int:
    """Join the cluster at ``address`` (``auto``, ``host:6379``) or, without one, start a local
    one with ``num_cpus`` CPUs; return the CPUs the cluster offers.

    Not through Ray Client (``ray://``): Ray Data's streaming executor needs a driver that is a
    node of the cluster (measured: it fails with "'Worker' object has no attribute
    'core_worker'"), so such an address is refused with what to do instead."""
    if address and address.startswith("ray://"):
        raise RayUnavailable(
            f"cannot build through Ray Client ({address}): Ray Data needs the driver on a node "
            "of the cluster; run `bot index build --ray HOST:PORT` (the cluster's GCS address, "
            "e.g. 'head:6379', or 'auto') on a cluster node, or submit it as a Ray job"
        )
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable("--ray needs Ray: pip install 'sanad[dist]'") from exc
    if not ray.is_initialized():
        package = str(Path(__file__).resolve().parent)
        quiet = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.WARNING,
            "configure_logging": True,
        }
        try:
            if address:
                # The cluster gets this checkout of the package; its dependencies (the model
                # libraries) must be installed there, as here.
                ray.init(
                    address=address,
                    runtime_env={"py_modules": [package]},
                    logging_level=logging.WARNING,
                    log_to_driver=False,
                )
            else:
                # Local workers import what this process imports (the package and, in tests,
                # their helpers), from the same paths.
                paths = [p for p in sys.path if p and Path(p).is_dir()]
                ray.init(
                    num_cpus=num_cpus,
                    runtime_env={
                        "env_vars": {
                            "PYTHONPATH": os.pathsep.join(paths),
                            "HF_HUB_OFFLINE": "1",
                            "TOKENIZERS_PARALLELISM": "false",
                        }
                    },
                    **quiet,
                )
        except Exception as exc:  # ray raises ConnectionError, RuntimeError, ...
            where = address or "a local cluster"
            raise RayUnavailable(f"cannot start or join Ray at {where}: {exc}") from exc
    return int(ray.cluster_resources().get("CPU", 1))


def stop() -> None:
    """Leave (or shut down the local) cluster."""
    import ray

    if ray.is_initialized():
        ray.shutdown()


class EncodeWorker:
    """One encoding actor: loads the model once, then encodes batches of rows."""

    def __init__(self, make_embedder: Callable[[], Embedder], fingerprint: str):
        self.embedder = make_embedder()
        # Vectors of another model would be silently wrong: refuse them.
        if self.embedder.fingerprint != fingerprint:
            raise RuntimeError(
                f"worker model {self.embedder.fingerprint} != driver model "
                f"{fingerprint}: install the same model on every node"
            )
        self.encode = encode_locally(self.embedder)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Vectors of one batch, packed as columns Arrow can carry."""
        items = [
            EncodeItem(str(t), str(tt), bool(d), bool(s), bool(k))
            for t, tt, d, s, k in zip(
                batch["text"],
                batch["token_text"],
                batch["dense"],
                batch["sparse"],
                batch["tokens"],
                strict=True,
            )
        ]
        out = self.encode(items, None)
        dim = self.embedder.dim
        empty = np.zeros(0, np.int32)
        sparse = [v if v is not None else (empty, empty.astype(np.float32)) for v in out.sparse]
        tokens = [v if v is not None else np.zeros((0, dim), np.float16) for v in out.tokens]
        return {
            "i": batch["i"],
            "dense": np.stack(
                [v if v is not None else np.zeros(dim, np.float32) for v in out.dense]
            ).astype(np.float32),
            "sparse_ix": _bytes([np.asarray(ix, np.int32) for ix, _ in sparse]),
            "sparse_w": _bytes([np.asarray(w, np.float32) for _, w in sparse]),
            "tok": _bytes([np.asarray(t, np.float16) for t in tokens]),
        }


def _bytes(arrays: list[np.ndarray]) -> np.ndarray:
    out = np.empty(len(arrays), object)
    out[:] = [a.tobytes() for a in arrays]
    return out


def encode_on_ray(
    make_embedder: Callable[[], Embedder],
    embedder: Embedder,
    workers: int | None = None,
    batch_size: int = BATCH,
) -> Encode:
    """The encoding step of a build, run by ``workers`` actors (default: one per cluster CPU)
    that each build their model with ``make_embedder`` (a picklable callable)."""

    def encode(items: list[EncodeItem], progress: Callable[[int], object] | None) -> Encoded:
        out = Encoded([None] * len(items), [None] * len(items), [None] * len(items))
        if not items:
            return out
        import ray
        import ray.data

        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # the caller shows its own
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        size = min(workers or max(1, int(ray.cluster_resources().get("CPU", 1))), len(items))
        # Small jobs are split so that every worker gets a share.
        batch = max(1, min(batch_size, -(-len(items) // size)))
        ds = ray.data.from_items(
            [
                {
                    "i": j,
                    "text": it.text,
                    "token_text": it.token_text,
                    "dense": it.dense,
                    "sparse": it.sparse,
                    "tokens": it.tokens,
                }
                for j, it in enumerate(items)
            ],
            override_num_blocks=-(-len(items) // batch),
        )
        with warnings.catch_warnings():
            # Ray 2.60 deprecates passing actor options this way but has no other for them.
            warnings.simplefilter("ignore", DeprecationWarning)
            done = ds.map_batches(
                EncodeWorker,
                fn_constructor_args=(make_embedder, embedder.fingerprint),
                batch_size=batch,
                batch_format="numpy",
                num_cpus=1,
                compute=ray.data.ActorPoolStrategy(size=size),
                max_restarts=MAX_RESTARTS,
                max_task_retries=MAX_TASK_RETRIES,
            )
        dim = embedder.dim
        for batch in done.iter_batches(batch_size=None, batch_format="numpy"):
            for n, j in enumerate(batch["i"].tolist()):
                it = items[j]
                if it.dense:
                    out.dense[j] = np.asarray(batch["dense"][n], np.float32)
                if it.sparse:
                    out.sparse[j] = (
                        np.frombuffer(batch["sparse_ix"][n], np.int32),
                        np.frombuffer(batch["sparse_w"][n], np.float32),
                    )
                if it.tokens:
                    out.tokens[j] = np.frombuffer(batch["tok"][n], np.float16).reshape(-1, dim)
            if progress:
                progress(sum(items[j].dense for j in batch["i"].tolist()))
        missing = [j for j, it in enumerate(items) if it.dense and out.dense[j] is None]
        if missing:
            raise RayUnavailable(f"the Ray build lost {len(missing)} rows: run it again")
        return out

    return encode
