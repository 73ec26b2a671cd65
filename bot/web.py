"""The demo page at ``/`` and the widget's static files under ``/web/``.

``router`` is included by the API's ``create_app``. The page shows the corpus article sentence
by sentence (from the loaded :class:`~bot.service.Sanad` in ``app.state.sanad``), a few sample
questions and the ``<sanad-chat>`` widget. It is sent with a strict Content-Security-Policy:
no inline script or style, so the widget must (and does) work with files from ``/web/`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .corpus import Document
from .segment import Span
from .settings import shipped

WEB_DIR = shipped("web")
# The segmenter's notion of a line, so headings and the comment section match its spans.
_LINE = re.compile(r"[^\r\n\u2028\u2029]+")

#: Sent with the demo page. Everything comes from this origin; nothing inline, no framing.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}

#: Sample questions for the "try asking" list, answerable from the bundled article.
TRY_ASKING = (
    ("en", "What is the largest US military facility in the Middle East?"),
    ("en", "When did diplomatic relations between the US and Qatar begin?"),
    ("ar", "متى بدأت العلاقات الدبلوماسية بين الولايات المتحدة وقطر؟"),
    ("ar", "من يدير سرب تايفون المشترك؟"),
)

#: Sample claims for the "try checking" list: one fact of the article changed, and kept.
TRY_CHECKING = (
    ("en", "Qatar is the largest customer of US defence systems in the world."),
    ("ar", "بدأت العلاقات الدبلوماسية بين الولايات المتحدة وقطر عام 1972"),
)

_PAGE_STRINGS = {
    "en": {
        "dir": "ltr",
        "title": "Sanad: answers with their sources",
        "tagline": "Ask about the article; every answer cites the exact sentence it comes from.",
        "article": "The article",
        "try": "Try asking",
        "chat_title": "Ask the article",
        "try_check": "Try checking a claim",
        "comments": "Reader comments (not indexed, never cited)",
        "other": "العربية",
        "other_lang": "ar",
        "sentence": "sentence",
    },
    "ar": {
        "dir": "rtl",
        "title": "سند: إجابات بمصادرها",
        "tagline": "اسأل عن المقال؛ كل إجابة تستشهد بالجملة التي جاءت منها بالضبط.",
        "article": "المقال",
        "try": "جرّب أن تسأل",
        "chat_title": "اسأل المقال",
        "try_check": "جرّب التحقق من ادعاء",
        "comments": "تعليقات القراء (غير مفهرسة ولا يُستشهد بها)",
        "other": "English",
        "other_lang": "en",
        "sentence": "الجملة",
    },
}


@dataclass(frozen=True)
class Part:
    """A run of a line: a citable sentence (``passage`` is its id) or the text between."""

    text: str
    passage: str | None = None
    n: int | None = None


@dataclass(frozen=True)
class Block:
    """One line of the article as the page shows it: a heading, a paragraph, or a comment."""

    kind: str  # "heading" | "paragraph" | "excluded"
    parts: tuple[Part, ...]


def article_blocks(doc: Document) -> list[Block]:
    """The document's lines, each split into its sentences, in reading order.

    Concatenating a block's parts gives back the line exactly, so the page shows the stored
    text and marks which slices are the passages that answers cite.
    """
    headings = {(h.start, h.end) for h in doc.segmentation.headings}
    excluded = doc.segmentation.excluded
    by_start = {p.start: p for p in doc.passages}
    blocks = []
    for line in _lines(doc.raw):
        text = doc.raw[line.start : line.end]
        if excluded is not None and line.start >= excluded.start:
            blocks.append(Block("excluded", (Part(text),)))
        elif (line.start, line.end) in headings:
            blocks.append(Block("heading", (Part(text),)))
        else:
            blocks.append(Block("paragraph", tuple(_split(doc, line, by_start))))
    return blocks


def _lines(raw: str) -> list[Span]:
    spans = []
    for m in _LINE.finditer(raw):
        text = m.group()
        start = m.start() + len(text) - len(text.lstrip())
        end = m.end() - (len(text) - len(text.rstrip()))
        if start < end:
            spans.append(Span(start, end))
    return spans


def _split(doc: Document, line: Span, by_start: dict) -> list[Part]:
    parts, pos = [], line.start
    while pos < line.end:
        p = by_start.get(pos)
        if p is not None:
            parts.append(Part(p.text, p.id, p.n))
            pos = p.end
            continue
        nxt = min((s for s in by_start if pos < s < line.end), default=line.end)
        parts.append(Part(doc.raw[pos:nxt]))
        pos = nxt
    return parts


def _templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


router = APIRouter(include_in_schema=False)
_TEMPLATES = _templates()


@router.get("/", response_class=HTMLResponse)
def index_page(request: Request, lang: str = "ar", mode: str = "inline") -> HTMLResponse:
    """The demo page: the article, sample questions and claims, and the widget."""
    lang = lang if lang in _PAGE_STRINGS else "ar"
    mode = mode if mode in ("inline", "launcher") else "inline"
    sanad = getattr(request.app.state, "sanad", None)
    docs = list(sanad.docs.values()) if sanad is not None else []
    context = {
        "lang": lang,
        "mode": mode,
        "t": _PAGE_STRINGS[lang],
        "base": request.scope.get("root_path", ""),
        "docs": [(d, article_blocks(d)) for d in docs],
        "try_asking": TRY_ASKING,
        "try_checking": TRY_CHECKING,
    }
    response = _TEMPLATES.TemplateResponse(request, "index.html", context)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/web/{name:path}")
def static_file(name: str) -> FileResponse:
    """A widget or demo file from ``web/`` (templates excluded), revalidated on every use."""
    root = WEB_DIR.resolve()
    path = (root / name).resolve()
    if (
        not path.is_relative_to(root)
        or not path.is_file()
        or path.suffix not in _MEDIA_TYPES
        or "templates" in path.relative_to(root).parts
    ):
        raise HTTPException(404, f"no file {name!r} under /web/")
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES[path.suffix],
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
