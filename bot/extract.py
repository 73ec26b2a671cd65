"""Turning files in real formats into the plain text Sanad stores and cites.

Each reader returns :class:`Extracted` records: the text to store (plain text, one paragraph
or heading a line, no markup), and what the file says about it (title, date, link, language).
The text is what citations quote, so it is produced once here and then never rewritten.

* ``.txt``  — the file's text as it is (UTF-8; a byte-order mark is dropped).
* ``.md``   — headings and paragraphs as plain lines; links keep their words, emphasis,
  images, code blocks and HTML are dropped. A YAML front matter may give title/date/url/lang.
* ``.html`` — the article's main text, title, date and canonical link, extracted by
  trafilatura (navigation, related links, footers and reader comments are left out).
* ``.jsonl`` — one document a line: ``text`` required; ``id``, ``title``, ``url``, ``date``,
  ``lang`` optional.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .language import detect_language

__all__ = ["detect_language"]  # re-exported: ingest and its tests detect through here

#: File suffixes Sanad reads, and the format each one means.
FORMATS = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
}

_TITLE_MAX_WORDS = 20
#: A web page must have a line at least this long to count as an article: when a page has
#: none, the extractor falls back to menu items and labels ("Home", "Password").
_ARTICLE_MIN_WORDS = 6
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


@dataclass(frozen=True)
class Extracted:
    """One document read from a file: stored text and what the file says about it."""

    text: str
    title: str | None = None
    language: str | None = None  # given by the file; None means "detect it"
    date: str | None = None
    url: str | None = None
    id: str | None = None  # given by a jsonl record
    line: int | None = None  # the jsonl line it came from


def decode(data: bytes) -> str:
    """UTF-8 text (a leading byte-order mark dropped), or :class:`CorpusError`."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"not UTF-8 (byte {exc.start}): save the file as UTF-8") from None


def first_line_title(text: str) -> str | None:
    """The first non-blank line, when it is short enough to be a headline."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line.split()) <= _TITLE_MAX_WORDS else None
    return None


def read_text(data: bytes) -> Extracted:
    """A plain-text file: stored as it is; its first line is the title when short."""
    text = decode(data)
    return Extracted(text, title=first_line_title(text))


def read_markdown(data: bytes) -> Extracted:
    """A Markdown file as plain lines: headings stay (as sections), markup goes."""
    from markdown_it import MarkdownIt

    source = decode(data)
    front: dict = {}
    m = _FRONT_MATTER.match(source)
    if m:
        front = _front_matter(m.group(1))
        source = source[m.end() :]
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    blocks: list[str] = []
    title = None
    for i, tok in enumerate(tokens):
        # Only inline runs are prose; code blocks, raw HTML and rules are "fence",
        # "code_block", "html_block" and "hr" tokens and so never reach the text.
        if tok.type != "inline":
            continue
        text = _inline_text(tok.children or [])
        if not text:
            continue
        blocks.append(text)
        if (
            title is None
            and i > 0
            and tokens[i - 1].type == "heading_open"
            and tokens[i - 1].tag == "h1"
        ):
            title = text
    text = "\n\n".join(blocks) + ("\n" if blocks else "")
    return Extracted(
        text,
        title=_str(front.get("title")) or title or first_line_title(text),
        language=_str(front.get("lang") or front.get("language")),
        date=_str(front.get("date")),
        url=_str(front.get("url")),
    )


def _inline_text(children: list) -> str:
    parts: list[str] = []
    for c in children:
        if c.type in ("text", "code_inline"):
            parts.append(c.content)
        elif c.type == "softbreak":
            parts.append(" ")
        elif c.type == "hardbreak":
            parts.append("\n")
        # images, inline HTML and link targets are markup: not part of the cited text
    return re.sub(r"[ \t]+", " ", "".join(parts)).strip()


def _front_matter(block: str) -> dict:
    import yaml

    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _str(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def read_html(data: bytes) -> Extracted:
    """A web page's article: main text, title, date and canonical link (trafilatura).

    Comments are extracted separately by trafilatura and dropped here: they are readers'
    words, not the article's.
    """
    import trafilatura

    doc = trafilatura.bare_extraction(
        data, with_metadata=True, include_comments=False, include_tables=True, include_images=False
    )
    text = (doc.text or "") if doc is not None else ""
    if not any(len(line.split()) >= _ARTICLE_MIN_WORDS for line in text.splitlines()):
        raise CorpusError(
            "no article text found in the page (only menus, labels or nothing at all)"
        )
    return Extracted(
        text + "\n", title=doc.title or first_line_title(text), date=doc.date, url=doc.url
    )


@dataclass(frozen=True)
class BadLine:
    """A jsonl line that is not a document, and why."""

    line: int
    reason: str


def read_jsonl(data: bytes) -> Iterator[Extracted | BadLine]:
    """The records of a jsonl file; a bad line yields a :class:`BadLine` saying why."""
    text = decode(data)
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            yield BadLine(lineno, f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            yield BadLine(lineno, 'each line needs a "text" string')
            continue
        fields = {k: row.get(k) for k in ("id", "title", "url", "date", "lang")}
        bad = [k for k, v in fields.items() if v is not None and not isinstance(v, str)]
        if bad:
            yield BadLine(lineno, f"{', '.join(bad)} must be strings")
            continue
        yield Extracted(
            row["text"],
            title=fields["title"] or first_line_title(row["text"]),
            language=fields["lang"],
            date=fields["date"],
            url=fields["url"],
            id=fields["id"],
            line=lineno,
        )


READERS = {"text": read_text, "markdown": read_markdown, "html": read_html}


def is_binary(data: bytes) -> bool:
    """True for bytes that are not text (a NUL byte in the first 8 KiB)."""
    return b"\x00" in data[:8192]


def format_of(path: Path) -> str | None:
    """The format a file's suffix names, or None when Sanad does not read it."""
    return FORMATS.get(path.suffix.lower())
