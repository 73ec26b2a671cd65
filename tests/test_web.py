"""The demo page and static files of bot/web.py, without a model (the page needs only docs)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot import web
from bot.corpus import load_corpus, load_document
from bot.settings import load_settings


class Page(HTMLParser):
    """Collects what the tests look at: scripts, attributes, and the sentence spans' text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict, str]] = []
        self.attrs: list[tuple[str, dict]] = []
        self.sentences: dict[str, str] = {}
        self.try_questions: list[tuple[str, str]] = []
        self.try_claims: list[tuple[str, str]] = []
        self._script: dict | None = None
        self._sentence: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attrs.append((tag, a))
        if tag == "script":
            self._script = a
            self.scripts.append((a, ""))
        if tag == "span" and "data-passage" in a:
            self._sentence = a["data-passage"]
            self.sentences[self._sentence] = ""
        if tag == "button" and "data-question" in a:
            self.try_questions.append((a["lang"], a["data-question"]))
        if tag == "button" and "data-claim" in a:
            self.try_claims.append((a["lang"], a["data-claim"]))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None
        if tag == "span":
            self._sentence = None

    def handle_data(self, data):
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        if self._sentence is not None:
            self.sentences[self._sentence] += data


@pytest.fixture(scope="module")
def docs():
    return load_corpus(load_settings().corpus_dir)


@pytest.fixture(scope="module")
def client(docs):
    app = FastAPI()
    app.include_router(web.router)
    app.state.sanad = SimpleNamespace(docs={d.id: d for d in docs})
    with TestClient(app) as c:
        yield c


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_page_is_sent_with_a_strict_csp(client):
    r = client.get("/")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert csp == web.CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert "unsafe" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_page_has_no_inline_script_or_style(client):
    page = parse(client.get("/").text)
    assert [a["src"] for a, _ in page.scripts] == ["/web/sanad-widget.js", "/web/demo.js"]
    assert all(text.strip() == "" for _, text in page.scripts)
    for tag, attrs in page.attrs:
        assert tag != "style"
        assert "style" not in attrs, tag
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)


def test_page_shows_every_sentence_verbatim(client, docs):
    page = parse(client.get("/").text)
    passages = {p.id: p.text for d in docs for p in d.passages}
    assert page.sentences == passages


def test_page_leaves_out_no_text_and_marks_the_comment_section(client, docs):
    html = client.get("/").text
    doc = docs[0]
    excluded = doc.raw[doc.segmentation.excluded.start :]
    for line in filter(None, (s.strip() for s in excluded.splitlines())):
        assert f'<p class="excluded">{line}</p>' in html
    assert "تعليقات القراء" in html


def test_page_embeds_the_widget_and_both_languages_of_try_asking(client):
    page = parse(client.get("/").text)
    widget = [a for tag, a in page.attrs if tag == "sanad-chat"]
    assert widget == [{"server": "", "lang": "ar", "mode": "inline", "title": "اسأل المقال"}]
    assert {lang for lang, _ in page.try_questions} == {"ar", "en"}
    assert page.try_questions == list(web.TRY_ASKING)
    assert page.try_claims == list(web.TRY_CHECKING)
    assert {lang for lang, _ in page.try_claims} == {"ar", "en"}


@pytest.mark.parametrize(
    ("query", "lang", "direction", "mode"),
    [
        ("", "ar", "rtl", "inline"),
        ("?lang=en", "en", "ltr", "inline"),
        ("?lang=fr&mode=popup", "ar", "rtl", "inline"),
        ("?lang=en&mode=launcher", "en", "ltr", "launcher"),
    ],
)
def test_page_language_and_widget_mode(client, query, lang, direction, mode):
    page = parse(client.get("/" + query).text)
    html_attrs = next(a for tag, a in page.attrs if tag == "html")
    assert (html_attrs["lang"], html_attrs["dir"]) == (lang, direction)
    widget = next(a for tag, a in page.attrs if tag == "sanad-chat")
    assert (widget["lang"], widget["mode"]) == (lang, mode)


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("sanad-widget.js", "text/javascript; charset=utf-8"),
        ("demo.js", "text/javascript; charset=utf-8"),
        ("demo.css", "text/css; charset=utf-8"),
    ],
)
def test_static_files_are_served(client, name, media_type):
    r = client.get(f"/web/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"] == media_type
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.content == (web.WEB_DIR / name).read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "templates/index.html",
        "missing.js",
        "..%2Fbot%2Fweb.py",
        "%2E%2E/pyproject.toml",
        "../pyproject.toml",
        "",
    ],
)
def test_nothing_else_is_served_from_web(client, name):
    assert client.get(f"/web/{name}").status_code == 404


def test_widget_never_parses_data_as_html():
    """All server and user text goes in as text: the scripts never use an HTML sink."""
    sinks = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|"
        r"new Function|setAttribute\(['\"]on|\.srcdoc"
    )
    for path in web.WEB_DIR.glob("*.js"):
        code = path.read_text(encoding="utf-8")
        assert not sinks.findall(code), path.name


def _doc(tmp_path: Path, text: str):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "meta.json").write_text(json.dumps({"id": "d", "title": "T", "language": "en"}))
    (folder / "document.txt").write_text(text, encoding="utf-8", newline="")
    return load_document(folder)


def test_article_blocks_keep_lines_exact_and_mark_each_sentence_once(tmp_path):
    text = (
        "First line. Second sentence on it!\n\n  Background\nThe U.S. base hosts 10,000 troops."
        "  \r\nLeave a reply\nNice article\n"
    )
    doc = _doc(tmp_path, text)
    blocks = web.article_blocks(doc)
    assert [(b.kind, "".join(p.text for p in b.parts)) for b in blocks] == [
        ("paragraph", "First line. Second sentence on it!"),
        ("heading", "Background"),
        ("paragraph", "The U.S. base hosts 10,000 troops."),
        ("excluded", "Leave a reply"),
        ("excluded", "Nice article"),
    ]
    cited = [(p.passage, p.n, p.text) for b in blocks for p in b.parts if p.passage]
    assert cited == [(p.id, p.n, p.text) for p in doc.passages]
    assert [p.text for p in blocks[0].parts] == ["First line.", " ", "Second sentence on it!"]


def test_article_blocks_of_the_corpus_cover_every_passage(docs):
    for doc in docs:
        blocks = web.article_blocks(doc)
        ids = [p.passage for b in blocks for p in b.parts if p.passage]
        assert ids == [p.id for p in doc.passages]
        headings = [b.parts[0].text for b in blocks if b.kind == "heading"]
        assert headings == [doc.raw[h.start : h.end] for h in doc.segmentation.headings]
