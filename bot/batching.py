"""Micro-batching: questions that arrive together share one forward pass of the model.

The API runs each request in its own thread. Run one by one, concurrent questions would
queue for the model anyway (two cores run one forward pass at a time well, several badly);
batched, sixteen short questions cost little more than two. There is no timer and no
background thread: the first question to arrive while the model is idle is encoded at once,
alone (no added latency for a lone client); the questions that arrive while a pass runs wait
and then go through the model together in the next pass, run by one of their own threads
(the *leader*). A leader whose own question is answered hands the lead to the next waiting
question, so nobody waits for more than the pass in flight and their own.
"""

from __future__ import annotations

import threading

from .embed import Embedder, Encoding, Kind

#: Most questions in one pass (padding and attention grow with the batch).
MAX_BATCH = 16


class _Slot:
    """One waiting question: its text, then its encoding or error."""

    __slots__ = ("text", "result", "error", "wake")

    def __init__(self, text: str):
        self.text = text
        self.result: Encoding | None = None
        self.error: BaseException | None = None
        self.wake = threading.Event()  # set with a result, or to lead the next pass


class BatchingEmbedder:
    """An :class:`~bot.embed.Embedder` whose single-question encodes are batched across
    threads; everything else (passages, batches, attributes) goes straight to ``inner``."""

    def __init__(self, inner: Embedder, max_batch: int = MAX_BATCH):
        self.inner = inner
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Slot] = []
        self._running = False
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
            leader = not self._running
            self._running = True
        if not leader:
            slot.wake.wait()
        if slot.result is None and slot.error is None:  # leading: run passes until answered
            self._lead(slot)
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
        while mine.result is None and mine.error is None:
            with self._lock:
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
            try:
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
                if s is not mine:
                    s.wake.set()
        with self._lock:
            if self._queue:  # hand the lead on; that question stays queued for its pass
                self._queue[0].wake.set()
            else:
                self._running = False
