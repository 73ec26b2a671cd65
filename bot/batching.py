"""Micro-batching: questions that arrive together share one forward pass of the model.

The API runs each request in its own thread. Run one by one, concurrent questions would
queue for the model anyway; batched, sixteen short questions cost little more than a few.
There is no timer and no background thread: a question that arrives while fewer than
``passes`` forward passes run is encoded at once (no added latency for a lone client); the
questions that arrive while ``passes`` passes run wait and then go through the model together
in the next one, run by one of their own threads (a *leader*). A leader whose own question is
answered hands the lead to the next waiting question, so nobody waits for more than the
passes in flight and their own.

More than one pass in flight (``SANAD_MODEL_PASSES``) lets one batch go through the model
while the questions of the batch before it are ranked, answered and sent (Python work, which
the model's own threads do not do): the model runs, on its own threads outside the GIL,
without waiting for them. With the ONNX backends overlapping passes, and passes of several
questions, run on one core each (bot/engine.py, :func:`~bot.engine.shared_pass`); a lone
question gets every core. docs/quality.md measures it.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext

from .embed import Embedder, Encoding, Kind
from .engine import shared_pass

#: Most questions in one pass (padding and attention grow with the batch).
MAX_BATCH = 16


class _Slot:
    """One waiting question: its text, then its encoding or error."""

    __slots__ = ("text", "result", "error", "lead", "wake")

    def __init__(self, text: str):
        self.text = text
        self.result: Encoding | None = None
        self.error: BaseException | None = None
        self.lead = False  # holds one of the ``passes`` leader places (set under the lock)
        self.wake = threading.Event()  # set with a result, or with the lead

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None


class BatchingEmbedder:
    """An :class:`~bot.embed.Embedder` whose single-question encodes are batched across
    threads, at most ``passes`` passes at a time; everything else (passages, batches,
    attributes) goes straight to ``inner``."""

    def __init__(self, inner: Embedder, max_batch: int = MAX_BATCH, passes: int = 1):
        if passes < 1:
            raise ValueError(f"passes must be at least 1, not {passes}")
        self.inner = inner
        self.max_batch = max_batch
        self.max_passes = passes
        self._lock = threading.Lock()
        self._queue: list[_Slot] = []
        self._leaders = 0  # leader places taken (at most max_passes)
        self.passes = 0  # forward passes run for questions (tests and benchmarks read it)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def encode(self, texts: list[str], kind: Kind) -> Encoding:
        """As ``inner.encode``; a lone question may share its pass with concurrent ones."""
        if kind != "query" or len(texts) != 1:
            return self.inner.encode(texts, kind)
        slot = _Slot(texts[0])
        with self._lock:
            self._queue.append(slot)
            if self._leaders < self.max_passes:
                self._leaders += 1
                slot.lead = True
        while True:
            if slot.lead:
                self._lead(slot)
            if slot.done:
                break
            slot.wake.wait()
            slot.wake.clear()  # a result or the lead is read below, after the clear
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        return slot.result

    def encode_queries(self, texts: list[str]):
        """Dense vectors of questions."""
        return self.encode(list(texts), "query").dense

    def encode_passages(self, texts: list[str]):
        """Dense vectors of corpus texts."""
        return self.inner.encode(list(texts), "passage").dense

    def _lead(self, mine: _Slot) -> None:
        """Run passes from the front of the queue until ``mine`` is answered or in another
        leader's pass, then give the place up: to the next waiting question, if any."""
        while True:
            with self._lock:
                batch = [] if mine.done else self._queue[: self.max_batch]
                del self._queue[: len(batch)]
                if not batch:  # answered, or in a pass in flight: the place goes on
                    mine.lead = False
                    # (a question that already holds a place is about to lead: skip it)
                    heir = next((s for s in self._queue if not s.lead), None)
                    if heir is not None:
                        heir.lead = True
                        heir.wake.set()
                    else:
                        self._leaders -= 1
                    return
            self._run(batch)

    def _run(self, batch: list[_Slot]) -> None:
        try:
            # Several requests' questions, and other passes may overlap it: the runner may
            # run it on one core. With one pass at a time, it gets every core.
            with shared_pass() if self.max_passes > 1 else nullcontext():
                enc = self.inner.encode([s.text for s in batch], "query")
            self.passes += 1
            for i, s in enumerate(batch):
                s.result = Encoding(
                    enc.dense[i : i + 1],
                    None if enc.tokens is None else [enc.tokens[i]],
                    None if enc.sparse is None else [enc.sparse[i]],
                )
        except BaseException as exc:  # every waiter gets the error, none hangs
            for s in batch:
                s.error = exc
        for s in batch:
            s.wake.set()
