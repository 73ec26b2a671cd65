"""The corpus: documents on disk, split into passages that cite the original exactly.

Each document is a folder in the corpus directory (see ``corpus/README.md``)::

    <doc-id>/document.txt          the text, kept byte-for-byte (UTF-8)
    <doc-id>/meta.json             id, title, language, source; optional translations
    <doc-id>/translation.en.jsonl  optional aligned translation, one sentence a line

A passage is one sentence: ``raw[start:end]`` of its document, with ``start``/``end`` in
Unicode code points, and a stable id ``<doc-id>:<n>`` (n counts sentences from 1).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError
from .language import LANGUAGES as _LANGUAGES
from .segment import Segmentation, segment

_DOC_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}$")
#: What a document id may look like, and the languages a document may be in.
DOC_ID, LANGUAGES = _DOC_ID, _LANGUAGES
#: The longest document indexed by default (SANAD_MAX_DOCUMENT_CHARS): segmenting and embedding
#: cost grows with length, and a reload blocks while a new document is embedded.
MAX_DOCUMENT_CHARS = 1_000_000


@dataclass(frozen=True, slots=True)
class Passage:
    """One citable sentence."""

    # slots: an index holds one per sentence, and an instance dict costs ~100 bytes each.

    id: str
    doc_id: str
    n: int
    start: int
    end: int
    text: str
    section: str | None = None
    translation: str | None = None  # aligned English, when the document has one


@dataclass(frozen=True)
class Document:
    """A corpus document: its verbatim text, metadata and passages."""

    id: str
    title: str
    language: str
    raw: str
    meta: dict
    sha256: str
    segmentation: Segmentation
    passages: tuple[Passage, ...] = field(default_factory=tuple)

    @property
    def title_en(self) -> str | None:
        """The English title, when the metadata gives one."""
        return self.meta.get("title_en")

    @property
    def date(self) -> str | None:
        """The publication date the metadata gives (as written there), if any."""
        return _text(self.meta.get("date"))

    @property
    def url(self) -> str | None:
        """The link to the original the metadata gives, if any."""
        return _text(self.meta.get("url"))


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def read_text(path: Path) -> str:
    """Read a document exactly: UTF-8, no newline translation."""
    try:
        with path.open(encoding="utf-8", newline="") as f:
            return f.read()
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{path} is not valid UTF-8 (byte {exc.start}): save it as UTF-8"
        ) from exc


def load_document(folder: Path, max_chars: int = MAX_DOCUMENT_CHARS) -> Document:
    """Load and segment one document folder (at most ``max_chars`` characters of text)."""
    meta_path = folder / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CorpusError(
            f"{meta_path} is missing: every document folder needs one (see corpus/README.md)"
        ) from exc
    except ValueError as exc:
        raise CorpusError(f"{meta_path} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise CorpusError(
            f'{meta_path} must hold a JSON object ({{"id", "title", '
            f'"language", ...}}), not {type(meta).__name__}'
        )
    doc_id = meta.get("id", folder.name)
    if doc_id != folder.name or not _DOC_ID.match(doc_id):
        raise CorpusError(
            f"{meta_path}: id {doc_id!r} must equal the folder name and use only "
            "lower-case letters, digits, '.', '_' and '-'"
        )
    language = meta.get("language")
    if language not in _LANGUAGES:
        raise CorpusError(
            f"{meta_path}: language must be one of {', '.join(_LANGUAGES)}, got {language!r}"
        )
    text_path = folder / "document.txt"
    if not text_path.is_file():
        raise CorpusError(f"{text_path} is missing: put the document's text there")
    # UTF-8 takes at most 4 bytes a character: refuse a huge file before reading it all.
    if text_path.stat().st_size > 4 * max_chars:
        raise CorpusError(
            f"{text_path} is {text_path.stat().st_size:,} bytes, over the limit of "
            f"{max_chars:,} characters (SANAD_MAX_DOCUMENT_CHARS): split it into "
            "several documents or raise the limit"
        )
    raw = read_text(text_path)
    if len(raw) > max_chars:
        raise CorpusError(
            f"{text_path} has {len(raw):,} characters, over the limit of "
            f"{max_chars:,} (SANAD_MAX_DOCUMENT_CHARS): split it into several "
            "documents or raise the limit"
        )
    seg = segment(raw, language)
    if not seg.sentences and seg.excluded is not None:
        first = raw[seg.excluded.start :].splitlines()[0].strip()
        raise CorpusError(
            f"{text_path} holds only a reader-comment section (from {first!r}); "
            "comments are never indexed: add the article's text above it or "
            "remove the document"
        )
    if not seg.sentences:
        raise CorpusError(f"{text_path} has no sentences")
    translation = _load_translation(folder, meta, raw, seg)
    passages = tuple(
        Passage(
            id=f"{doc_id}:{n}",
            doc_id=doc_id,
            n=n,
            start=s.start,
            end=s.end,
            text=raw[s.start : s.end],
            section=s.section,
            translation=translation.get(n),
        )
        for n, s in enumerate(seg.sentences, 1)
    )
    return Document(
        id=doc_id,
        title=meta.get("title", doc_id),
        language=language,
        raw=raw,
        meta=meta,
        sha256=hashlib.sha256(text_path.read_bytes()).hexdigest(),
        segmentation=seg,
        passages=passages,
    )


def _load_translation(folder: Path, meta: dict, raw: str, seg: Segmentation) -> dict[int, str]:
    translations = meta.get("translations", {})
    entry = translations.get("en") if isinstance(translations, dict) else None
    if not entry:
        return {}
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        raise CorpusError(
            f"{folder / 'meta.json'}: translations.en must be "
            '{"file": "translation.en.jsonl", ...}'
        )
    path = folder / entry["file"]
    out: dict[int, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise CorpusError(f"{path} is named in meta.json but missing") from exc
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            n, start, end, text = row["n"], row["start"], row["end"], row["text"]
        except (ValueError, KeyError, TypeError) as exc:
            raise CorpusError(f'{path}:{lineno}: expected {{"n", "start", "end", "text"}}') from exc
        if not 1 <= n <= len(seg.sentences):
            raise CorpusError(
                f"{path}:{lineno}: sentence {n} does not exist "
                f"(the document has {len(seg.sentences)})"
            )
        sent = seg.sentences[n - 1]
        if (sent.start, sent.end) != (start, end):
            raise CorpusError(
                f"{path}:{lineno}: sentence {n} is now at [{sent.start}, {sent.end}), not "
                f"[{start}, {end}): the document or its segmentation changed; realign the "
                "translation"
            )
        out[n] = text
    return out


def document_folders(corpus_dir: Path) -> list[Path]:
    """The document folders of a corpus, in a stable order."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist (set SANAD_CORPUS_DIR)")
    # Hidden folders are documents being written or removed (bot/ingest.py): not yet, or no
    # longer, part of the corpus.
    return sorted(
        p
        for p in corpus_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / "meta.json").exists()
    )


def load_corpus(corpus_dir: Path, max_chars: int = MAX_DOCUMENT_CHARS) -> list[Document]:
    """Load every document of a corpus folder (each at most ``max_chars`` characters)."""
    docs = [load_document(p, max_chars) for p in document_folders(corpus_dir)]
    if not docs:
        raise CorpusError(
            f"no documents in {corpus_dir}: add a folder with meta.json and "
            "document.txt (see corpus/README.md)"
        )
    return docs
