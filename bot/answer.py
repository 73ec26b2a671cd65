"""Rendering the answer: a Jinja2 template per language filled with retrieved sentences.

Rendering is a pure function of (hits, language, answerable). Templates are rendered with
autoescape on; the plain-text answer is the exact inverse of that escaping, so the two
forms always agree and quoted sentences come out verbatim.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .retrieve import Hit

if TYPE_CHECKING:
    from .corpus import Document

LANGUAGES = ("ar", "en")
#: A second passage is quoted when it scores within this margin of the best one.
SECOND_QUOTE_MARGIN = 0.01

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    keep_trailing_newline=False,
    auto_reload=False,  # package files: no stat of the template on every answer
)


def language_name(c: Citation) -> str:
    """The English name of the language a citation is written in ("Arabic", "German", ...).

    A citation without its document's language (rendered without the documents) is named
    from its script and words.
    """
    from .language import NAMES, detect_language

    code = c.language or detect_language(c.text) or "und"
    return NAMES.get(code, NAMES["und"])


_ENV.filters["language_name"] = language_name


@dataclass(frozen=True)
class Citation:
    """A numbered citation as it appears in an answer."""

    n: int
    id: str
    doc_id: str
    text: str
    translation: str | None
    start: int
    end: int
    score: float
    section: str | None
    # The cited document: its title, publication date and link, and its language (which
    # tells the English answer whether the sentence can be quoted as it is).
    title: str | None = None
    date: str | None = None
    url: str | None = None
    language: str | None = None


def citations(hits: list[Hit], docs: Mapping[str, Document] | None = None) -> list[Citation]:
    """Number the hits [1], [2], … in rank order, each with its document's metadata."""
    out = []
    for n, h in enumerate(hits, 1):
        p = h.passage
        d = (docs or {}).get(p.doc_id)
        about = (d.title, d.date, d.url, d.language) if d else ()
        out.append(
            Citation(
                n,
                p.id,
                p.doc_id,
                p.text,
                p.translation,
                p.start,
                p.end,
                round(h.score, 4),
                p.section,
                *about,
            )
        )
    return out


def quoted(cites: list[Citation], threshold: float) -> list[Citation]:
    """The citations the answer quotes: the best, and a close runner-up above threshold."""
    if not cites:
        return []
    out = [cites[0]]
    if len(cites) > 1 and cites[1].score >= max(threshold, cites[0].score - SECOND_QUOTE_MARGIN):
        out.append(cites[1])
    return out


def render_html(language: str, answerable: bool, quotes: list[Citation]) -> str:
    """The answer with corpus text HTML-escaped (safe to insert into a page)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}")
    template = _ENV.get_template(f"answer.{language}.j2")
    return template.render(answerable=answerable, quoted=quotes)


def render(language: str, answerable: bool, quotes: list[Citation]) -> str:
    """The answer as plain text."""
    return html.unescape(render_html(language, answerable, quotes))


def render_sources(
    language: str,
    answerable: bool,
    cites: Sequence[Citation | Mapping],
    title: Callable[[str], str],
) -> str:
    """The citations as a plain-text list for clients that show only the message text.

    ``title`` gives a document's title in ``language`` from its id. Each line has the number,
    the document title (when it differs from the line above), the verbatim sentence (with its
    translation in English), the passage id and its offsets.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}")
    rows = [c if isinstance(c, Mapping) else asdict(c) for c in cites]
    # the title once for consecutive sources of one document, to keep the list short
    docs = [c["doc_id"] for c in rows]
    sources = [
        {
            "n": c["n"],
            "text": c["text"],
            "id": c["id"],
            "start": c["start"],
            "end": c["end"],
            "translation": c["translation"] if language == "en" else None,
            "title": title(d) if i == 0 or docs[i - 1] != d else None,
        }
        for i, (c, d) in enumerate(zip(rows, docs, strict=True))
    ]
    template = _ENV.get_template(f"sources.{language}.j2")
    return html.unescape(template.render(answerable=answerable, sources=sources))
