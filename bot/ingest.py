"""Adding files to the corpus: document ids, idempotence, replacement and atomic writes.

``add`` reads files and folders (recursively) in the formats of :mod:`bot.extract` and writes
one corpus folder per document (``document.txt`` + ``meta.json``, see ``corpus/README.md``).

* The id comes from the file's path relative to what was added (``archive/2024/a.html``
  added as ``archive`` is ``2024-a``), or from a jsonl record's ``id``.
* The original file's SHA-256 is kept in ``meta.json``: adding an unchanged file again does
  nothing, a changed one replaces its document (same id), and a text already in the corpus
  under another id is skipped as a duplicate.
* A document is written into a hidden folder and renamed into place, so an interrupted run
  never leaves a half-written document, and a bad file never costs an existing one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from .corpus import DOC_ID, LANGUAGES, document_folders
from .errors import CorpusError
from .extract import (
    READERS,
    BadLine,
    Extracted,
    detect_language,
    format_of,
    is_binary,
    read_jsonl,
)
from .segment import segment

#: A file larger than this many bytes per allowed character is refused before it is read
#: (UTF-8 takes up to 4 bytes a character; a web page carries markup around its text).
BYTES_PER_CHAR = 8
_SLUG = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class Outcome:
    """What ``add`` did with one document (or file): added, unchanged, replaced, skipped."""

    action: str
    source: str
    id: str | None = None
    detail: str = ""  # why it was skipped, or what was stored


def doc_id_for(rel: str) -> str:
    """A valid document id from a relative path (suffix dropped, ``/`` becomes ``-``).

    Names that lose letters on the way (Arabic file names, say) or are too long get a short
    hash of the path, so two such files never share an id.
    """
    stem = str(PurePosixPath(rel).with_suffix("")).lower().replace("/", "-")
    slug = _SLUG.sub("-", stem).strip("-._")
    lossy = any(not c.isascii() for c in stem) or not slug
    if lossy or len(slug) > 70:
        digest = hashlib.sha256(rel.encode()).hexdigest()[:8]
        slug = f"{slug[:70]}-{digest}".strip("-")
    return slug


def collect(paths: Iterable[Path]) -> tuple[list[tuple[Path, str]], list[Outcome]]:
    """The files to read, each with its path relative to what was named; and the skipped."""
    files: list[tuple[Path, str]] = []
    skipped: list[Outcome] = []
    for path in paths:
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                rel = f.relative_to(path)
                if not f.is_file() or any(part.startswith(".") for part in rel.parts):
                    continue
                if format_of(f) is None:
                    skipped.append(Outcome("skipped", str(f), detail=_unsupported(f)))
                else:
                    files.append((f, rel.as_posix()))
        elif path.is_file():
            if format_of(path) is None:
                skipped.append(Outcome("skipped", str(path), detail=_unsupported(path)))
            else:
                files.append((path, path.name))
        else:
            skipped.append(Outcome("skipped", str(path), detail="no such file or folder"))
    return files, skipped


def _unsupported(path: Path) -> str:
    return (
        f"{path.suffix or 'no suffix'}: not a format Sanad reads (.txt, .md, .html, .htm, .jsonl)"
    )


class Corpus:
    """A corpus folder being added to: what it holds, by id, and by text hash."""

    def __init__(self, corpus_dir: Path, max_chars: int):
        self.dir = corpus_dir
        self.max_chars = max_chars
        self.meta: dict[str, dict] = {}
        self.text_ids: dict[str, str] = {}  # sha256 of document.txt -> id
        self.seen: set[str] = set()  # ids written or kept by this run
        if corpus_dir.is_dir():
            for folder in document_folders(corpus_dir):
                try:
                    self.meta[folder.name] = json.loads((folder / "meta.json").read_text("utf-8"))
                    text = (folder / "document.txt").read_bytes()
                except (OSError, ValueError):
                    continue  # a broken document is reported when the corpus is loaded
                self.text_ids[hashlib.sha256(text).hexdigest()] = folder.name

    def add_file(self, path: Path, rel: str) -> Iterator[Outcome]:
        """Read one file and add its document(s)."""
        fmt = format_of(path)
        assert fmt is not None
        src = str(path)
        size = path.stat().st_size
        if fmt != "jsonl" and size > self.max_chars * BYTES_PER_CHAR:
            yield Outcome(
                "skipped",
                src,
                detail=f"{size:,} bytes is over the limit for one "
                f"file (SANAD_MAX_DOCUMENT_CHARS={self.max_chars:,} characters)",
            )
            return
        data = path.read_bytes()
        if not data.strip():
            yield Outcome("skipped", src, detail="the file is empty")
            return
        if is_binary(data):
            yield Outcome("skipped", src, detail="binary data, not text")
            return
        if fmt == "jsonl":
            yield from self._add_jsonl(data, src, rel)
            return
        doc_id = doc_id_for(rel)
        digest = hashlib.sha256(data).hexdigest()
        if self.meta.get(doc_id, {}).get("source_sha256") == digest:
            self.seen.add(doc_id)
            yield Outcome("unchanged", src, doc_id)
            return
        try:
            extracted = READERS[fmt](data)
        except CorpusError as exc:
            yield Outcome("skipped", src, detail=str(exc))
            return
        yield self._store(doc_id, extracted, src, fmt, digest, title=PurePosixPath(rel).stem)

    def _add_jsonl(self, data: bytes, src: str, rel: str) -> Iterator[Outcome]:
        base = doc_id_for(rel)
        try:
            records = list(read_jsonl(data))
        except CorpusError as exc:
            yield Outcome("skipped", src, detail=str(exc))
            return
        for rec in records:
            if isinstance(rec, BadLine):
                yield Outcome("skipped", f"{src}:{rec.line}", detail=rec.reason)
                continue
            where = f"{src}:{rec.line}"
            if rec.id is not None and not DOC_ID.match(rec.id):
                yield Outcome(
                    "skipped",
                    where,
                    detail=f"id {rec.id!r} is not a valid document "
                    "id: use lower-case letters, digits, '.', '_' and '-'",
                )
                continue
            doc_id = rec.id or f"{base}-{rec.line}"
            fields = {k: v for k, v in asdict(rec).items() if k != "line"}
            digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
            if self.meta.get(doc_id, {}).get("source_sha256") == digest:
                self.seen.add(doc_id)
                yield Outcome("unchanged", where, doc_id)
                continue
            yield self._store(doc_id, rec, where, "jsonl", digest, title=doc_id)

    def _store(
        self, doc_id: str, ext: Extracted, src: str, fmt: str, digest: str, title: str
    ) -> Outcome:
        """Check one extracted document and write it; say what happened."""
        text = ext.text
        if doc_id in self.seen:
            return Outcome(
                "skipped",
                src,
                doc_id,
                f"id {doc_id} is already used by another file of this run: rename one of them",
            )
        if not text.strip():
            return Outcome("skipped", src, doc_id, "no text")
        if len(text) > self.max_chars:
            return Outcome(
                "skipped",
                src,
                doc_id,
                f"{len(text):,} characters is over the "
                f"limit (SANAD_MAX_DOCUMENT_CHARS={self.max_chars:,})",
            )
        language = ext.language or detect_language(text)
        if language not in LANGUAGES:
            why = (
                f"language {language!r} is not supported"
                if ext.language
                else "the text is not written in a script Sanad reads (Arabic, Greek, "
                "Cyrillic, Devanagari, Thai, Han or Latin)"
            )
            return Outcome("skipped", src, doc_id, f"{why}: Sanad reads {', '.join(LANGUAGES)}")
        sentences = len(segment(text, language).sentences)
        if not sentences:
            return Outcome("skipped", src, doc_id, "no sentence to cite in the text")
        text_sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        twin = self.text_ids.get(text_sha)
        if twin is not None and twin != doc_id:
            return Outcome("skipped", src, doc_id, f"same text as document {twin}")
        path, _, line = src.rpartition(":") if ext.line else (src, "", "")
        meta = {
            "id": doc_id,
            "title": ext.title or title,
            "language": language,
            "source": str(Path(path).resolve()),
            "format": fmt,
            "source_sha256": digest,
        }
        if line:
            meta["source_line"] = int(line)
        meta.update({k: v for k, v in (("date", ext.date), ("url", ext.url)) if v})
        if fmt == "html":
            meta["extractor"] = _extractor()
        replaced = doc_id in self.meta
        write_document(self.dir, doc_id, text, meta)
        self.meta[doc_id] = meta
        self.text_ids[text_sha] = doc_id
        self.seen.add(doc_id)
        detail = f"{meta['title']} ({language}, {sentences} sentences)"
        return Outcome("replaced" if replaced else "added", src, doc_id, detail)


def _extractor() -> str:
    from importlib.metadata import version

    return f"trafilatura {version('trafilatura')}"


def add(
    corpus_dir: Path,
    paths: Iterable[Path],
    max_chars: int,
    progress: Callable[[int], object] | None = None,
) -> Iterator[Outcome]:
    """Add files and folders to the corpus; yield what happened to each document."""
    files, skipped = collect(paths)
    yield from skipped
    corpus_dir.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(corpus_dir, max_chars)
    inside = corpus_dir.resolve()
    for path, rel in files:
        if path.resolve().is_relative_to(inside):
            yield Outcome(
                "skipped",
                str(path),
                detail="it is inside the corpus folder "
                "(SANAD_CORPUS_DIR) already: add the original files instead",
            )
            continue
        try:
            yield from corpus.add_file(path, rel)
        except OSError as exc:
            yield Outcome("skipped", str(path), detail=f"cannot read it ({exc.strerror})")
        if progress:
            progress(1)


def count_files(paths: Iterable[Path]) -> int:
    """How many files ``add`` would read (for a progress bar)."""
    return len(collect(paths)[0])


def write_document(corpus_dir: Path, doc_id: str, text: str, meta: dict) -> None:
    """Write (or replace) one document folder atomically."""
    tmp = Path(tempfile.mkdtemp(prefix=".add-", dir=corpus_dir))
    try:
        tmp.chmod(0o755)
        (tmp / "document.txt").write_bytes(text.encode("utf-8"))  # exactly, no newline mapping
        (tmp / "meta.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        final = corpus_dir / doc_id
        if final.exists():
            old = corpus_dir / f".old-{doc_id}-{uuid.uuid4().hex[:8]}"
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def remove(corpus_dir: Path, doc_id: str) -> None:
    """Delete one document folder, or raise :class:`CorpusError` naming the known ids."""
    folder = corpus_dir / doc_id
    if not DOC_ID.match(doc_id) or not (folder / "meta.json").is_file():
        raise CorpusError(
            f"no document {doc_id!r} in {corpus_dir}: `bot corpus list` shows the ids"
        )
    trash = corpus_dir / f".rm-{doc_id}-{uuid.uuid4().hex[:8]}"
    os.replace(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)
