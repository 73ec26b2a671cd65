"""The chat widget end to end: Debian's Chromium, driven by Playwright, against a live `bot serve`.

Each server is a real subprocess (real model, real index built into a tmp SANAD_INDEX_DIR).
Run with ``pytest -m browser`` (needs /usr/bin/chromium). Screenshots go to a tmp folder, or to
$SANAD_SCREENSHOTS when set: ``make screenshots`` sets it to docs/screenshots to refresh those.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("SANAD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# The first start builds the index; a loaded machine may need more (SANAD_TEST_START_TIMEOUT).
START_TIMEOUT = float(os.environ.get("SANAD_TEST_START_TIMEOUT", "180"))
ANSWER_TIMEOUT = 30_000

EN_QUESTION = "What is the largest US military facility in the Middle East?"
EN_PASSAGE = "qatar-defense-partnerships:5"
AR_QUESTION = "متى بدأت العلاقات الدبلوماسية بين الولايات المتحدة وقطر؟"
AR_PASSAGE = "qatar-defense-partnerships:2"
FOLLOW_UP_PASSAGE = "qatar-defense-partnerships:9"
OFF_TOPIC = "What is the recipe for chocolate cake?"

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `bot serve` subprocess on a fixed port that can be stopped and started again."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None = None):
        self.env, self.log, self.port = env, log, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Server:
        cmd = [
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"bot serve exited with {self.proc.returncode}:\n"
                    f"{self.log.read_text(errors='replace')[-3000:]}"
                )
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"bot serve did not answer on {self.url} within {START_TIMEOUT} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def chat(self, question: str, history: list | None = None) -> dict:
        body = {"question": question, "history": history or []}
        r = httpx.post(self.url + "/v1/chat", json=body, timeout=30)
        r.raise_for_status()
        return r.json()


@pytest.fixture(scope="session")
def host_site():
    """Another origin, as a site that embeds the widget: a tiny server with its own CSP.

    The page is filled in per test through ``host_site.page``; it is served from 127.0.0.1
    too, because Chrome blocks a public origin from fetching a loopback server.
    """

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            body = site.page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", site.csp)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site = SimpleNamespace(url=f"http://127.0.0.1:{httpd.server_address[1]}", page="", csp="")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield site
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def serve_env(tmp_path_factory, host_site) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SANAD_CACHE_DIR", "/tmp/sanad-cache")
    env["SANAD_INDEX_DIR"] = str(tmp_path_factory.mktemp("index"))
    env["PYTHONUNBUFFERED"] = "1"
    env["SANAD_CORS_ORIGINS"] = json.dumps([host_site.url])  # for the embedding test
    env["SANAD_RATE_LIMIT"] = "0"  # one browser asks many questions quickly
    return env


@pytest.fixture(scope="session")
def server(serve_env, tmp_path_factory):
    s = Server(serve_env, tmp_path_factory.mktemp("logs") / "serve.log").start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where the tests save screenshots: $SANAD_SCREENSHOTS, else a tmp folder (never the docs)."""
    target = os.environ.get("SANAD_SCREENSHOTS")
    path = ROOT / target if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Watch:
    """What a page did that it must not: dialogs, page errors, CSP violations, console errors."""

    def __init__(self, page):
        self.dialogs: list[str] = []
        self.problems: list[str] = []
        self.chat_requests: list[dict] = []
        self.verify_requests: list[dict] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("console", self._console)
        page.on("request", self._request)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, msg) -> None:
        # Network failures are expected while a test has stopped the server on purpose.
        if (
            msg.type == "error"
            and "Failed to load resource" not in msg.text
            and "ERR_CONNECTION_REFUSED" not in msg.text
        ):
            self.problems.append(f"console: {msg.text}")

    def _request(self, request) -> None:
        if request.url.endswith("/v1/chat") and request.method == "POST":
            self.chat_requests.append(json.loads(request.post_data or "null"))
        if request.url.endswith("/v1/verify") and request.method == "POST":
            self.verify_requests.append(json.loads(request.post_data or "null"))


def open_page(browser, url: str, width: int = 1280, height: int = 900):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    watch = Watch(page)
    page.goto(url)
    page.wait_for_function("customElements.get('sanad-chat') !== undefined")
    return page, watch


@pytest.fixture
def en_page(browser, server):
    page, watch = open_page(browser, server.url + "/?lang=en")
    yield page, watch
    assert watch.problems == []
    assert watch.dialogs == []
    page.context.close()


@pytest.fixture
def ar_page(browser, server):
    page, watch = open_page(browser, server.url + "/?lang=ar")
    yield page, watch
    assert watch.problems == []
    assert watch.dialogs == []
    page.context.close()


def ask(page, question: str, nth: int = 0):
    """Type a question, press Enter, and return the nth answer message once it is there."""
    box = page.locator("sanad-chat textarea")
    box.fill(question)
    box.press("Enter")
    answer = page.locator("sanad-chat .msg.bot[data-answerable]").nth(nth)
    answer.wait_for(timeout=ANSWER_TIMEOUT)
    return answer


def chips(answer) -> list[str]:
    return [c.get_attribute("data-citation") for c in answer.locator("[data-citation]").all()]


def deep_focus(page) -> str:
    """Tag and class of the focused element, looking inside the widget's shadow root."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        return el ? `${el.tagName.toLowerCase()}.${el.className}` : '';
    }""")


def test_english_question_gets_an_answer_with_citation_chips(en_page, server, screenshots):
    page, watch = en_page
    answer = ask(page, EN_QUESTION)
    expected = server.chat(EN_QUESTION)
    assert answer.get_attribute("data-answerable") == "true"
    assert chips(answer) == [c["id"] for c in expected["citations"]]
    assert chips(answer)[0] == EN_PASSAGE
    assert answer.locator(".answer").text_content() == expected["answer"]
    assert answer.locator(".marker").first.text_content() == "[1]"
    assert answer.locator(".chips-label").text_content() == "Sources"
    assert watch.chat_requests == [{"question": EN_QUESTION, "history": []}]
    page.screenshot(path=str(screenshots / "english-answer.png"))


def test_clicking_a_chip_highlights_the_cited_sentence(en_page, server, screenshots):
    page, _ = en_page
    answer = ask(page, EN_QUESTION)
    passage = httpx.get(f"{server.url}/v1/passages/{EN_PASSAGE}").json()
    answer.locator(f'[data-citation="{EN_PASSAGE}"]').click()
    cite = page.locator("sanad-chat .cite")
    mark = cite.locator("mark")
    mark.wait_for()
    assert mark.text_content() == passage["text"]
    assert mark.count() == 1
    paragraph = cite.locator(".para").text_content()
    assert passage["text"] in paragraph and "\n" not in paragraph
    assert cite.locator(".translation").text_content() == passage["translation"]
    assert cite.locator(".pid").text_content() == EN_PASSAGE
    assert float(cite.locator(".score").text_content()) > 0
    # The focus moves to the source view; the demo page highlights the same sentence.
    assert deep_focus(page).startswith("h3")
    assert page.locator(".sentence.cited").get_attribute("data-passage") == EN_PASSAGE

    cite.locator("button.copy").click()
    cite.locator(".copied").filter(has_text="copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert EN_PASSAGE in copied and passage["text"] in copied

    page.keyboard.press("Escape")
    assert cite.is_hidden()
    assert deep_focus(page).startswith("button.chip")


def test_a_cited_sentence_is_shown_inside_its_paragraph_and_section(en_page, server, screenshots):
    page, _ = en_page
    question = "Who runs the joint Typhoon squadron?"
    answer = ask(page, question)
    first = server.chat(question)["citations"][0]
    assert first["section"], "the test needs a citation from a titled section"
    doc = httpx.get(f"{server.url}/v1/documents/{first['doc_id']}").json()
    raw = doc["raw"]
    line_start = raw.rfind("\n", 0, first["start"]) + 1
    line_end = raw.find("\n", first["end"])
    paragraph = raw[line_start : line_end if line_end != -1 else len(raw)].strip()
    assert paragraph != first["text"], "the test needs a sentence that shares its line"

    answer.locator(".marker").first.click()  # the [1] in the answer text opens citation 1
    cite = page.locator("sanad-chat .cite")
    cite.locator("mark").wait_for()
    assert cite.locator("mark").text_content() == first["text"]
    assert cite.locator(".para").text_content() == paragraph
    assert cite.locator(".section bdi").text_content() == first["section"]
    assert cite.locator(".doc-title").text_content() == doc["title"]
    assert page.locator(".sentence.cited").get_attribute("data-passage") == first["id"]
    page.screenshot(path=str(screenshots / "citation-panel.png"))


def test_a_rejected_question_is_offered_back_without_retry(en_page):
    page, _ = en_page
    too_long = "Where is Al Udeid? " * 60  # over SANAD_MAX_QUESTION_CHARS (1000)
    box = page.locator("sanad-chat textarea")
    box.fill(too_long)
    box.press("Enter")
    error = page.locator("sanad-chat .msg.error")
    error.wait_for(timeout=ANSWER_TIMEOUT)
    assert "the limit is 1000" in error.text_content()
    assert error.locator("button.retry").count() == 0
    assert box.input_value() == too_long.strip()


def test_arabic_question_renders_right_to_left(ar_page, server, screenshots):
    page, _ = ar_page
    answer = ask(page, AR_QUESTION)
    expected = server.chat(AR_QUESTION)
    assert expected["language"] == "ar"
    assert chips(answer) == [c["id"] for c in expected["citations"]]
    assert AR_PASSAGE in chips(answer)
    direction = "el => getComputedStyle(el).direction"
    assert answer.evaluate(direction) == "rtl"
    assert answer.locator(".answer").evaluate(direction) == "rtl"
    assert page.locator("sanad-chat .msg.user").evaluate(direction) == "rtl"
    assert page.locator("sanad-chat .panel").evaluate(direction) == "rtl"
    assert page.locator("sanad-chat label").text_content() == "سؤالك"
    assert answer.locator(".chips-label").text_content() == "المصادر"
    # Numbers inside Arabic text are isolated so they keep their order.
    if "1972" in expected["answer"]:
        assert "1972" in answer.locator(".answer bdi").all_text_contents()
    font = answer.evaluate("el => getComputedStyle(el).fontFamily")
    assert font.startswith('"Noto Naskh Arabic"')
    page.screenshot(path=str(screenshots / "arabic-answer.png"))


def test_a_follow_up_question_sends_the_history(en_page, server):
    page, watch = en_page
    opener, follow_up = "Who designated Qatar a major non-NATO ally?", "When was that?"
    # On its own the follow-up does not find the sentence; with the history it does.
    assert server.chat(follow_up)["citations"][0]["id"] != FOLLOW_UP_PASSAGE
    first = ask(page, opener)
    first_answer = first.locator(".answer").text_content()
    with page.expect_response("**/v1/chat") as response:
        second = ask(page, follow_up, nth=1)
    body = response.value.json()
    assert watch.chat_requests[1] == {
        "question": follow_up,
        "history": [
            {"role": "user", "content": opener},
            {"role": "assistant", "content": first_answer},
        ],
    }
    assert body["resolved_query"] != follow_up
    assert chips(second)[0] == FOLLOW_UP_PASSAGE


def test_markup_in_a_question_is_shown_as_text_and_runs_nothing(en_page):
    page, watch = en_page
    payload = (
        "<img src=x onerror=alert(1)> <script>alert(2)</script> "
        "<b onmouseover=alert(3)>Where is Al Udeid?</b>"
    )
    ask(page, payload)
    user = page.locator("sanad-chat .msg.user .answer")
    assert user.text_content() == payload
    log = page.locator("sanad-chat .log")
    assert log.locator("img, script, b").count() == 0
    user.hover()
    page.wait_for_timeout(500)
    assert watch.dialogs == []
    assert page.evaluate("document.querySelectorAll('img').length") == 0


def test_abstention_is_shown_distinctly(en_page, server):
    page, _ = en_page
    expected = server.chat(OFF_TOPIC)
    assert expected["answerable"] is False, "the test needs a question Sanad abstains on"
    answer = ask(page, OFF_TOPIC)
    assert answer.get_attribute("data-answerable") == "false"
    assert "abstain" in answer.get_attribute("class")
    assert answer.locator(".badge").text_content() == "Not in the article"
    assert answer.locator(".chips-label").text_content() == "Closest passages — not an answer"
    assert chips(answer) == [c["id"] for c in expected["citations"]]
    assert answer.locator(".chip.closest").count() == len(expected["citations"])


def test_sending_state_and_empty_input(en_page):
    page, watch = en_page
    box = page.locator("sanad-chat textarea")
    box.press("Enter")
    status = page.locator("sanad-chat .status")
    assert status.text_content().startswith("Please type a question first")
    assert box.get_attribute("aria-invalid") == "true"
    assert watch.chat_requests == []

    held = []
    page.route("**/v1/chat", lambda route: held.append(route))
    box.fill(EN_QUESTION)
    box.press("Enter")
    page.locator("sanad-chat .msg.loading").wait_for()
    assert status.text_content() == ""
    assert box.is_disabled()
    assert page.locator("sanad-chat button.send").is_disabled()
    assert page.locator("sanad-chat .log").get_attribute("aria-busy") == "true"
    page.wait_for_function("() => true")  # let the route handler run
    assert len(held) == 1
    held[0].continue_()
    page.locator("sanad-chat .msg.bot[data-answerable]").wait_for(timeout=ANSWER_TIMEOUT)
    assert not box.is_disabled()
    assert page.locator("sanad-chat .msg.loading").count() == 0
    assert deep_focus(page).startswith("textarea")


def test_a_stopped_server_shows_an_error_and_retry_works_after_restart(
    browser, serve_env, server, tmp_path
):
    own = Server(serve_env, tmp_path / "serve.log").start()
    try:
        page, watch = open_page(browser, own.url + "/?lang=en")
        own.stop()
        box = page.locator("sanad-chat textarea")
        box.fill(EN_QUESTION)
        box.press("Enter")
        error = page.locator("sanad-chat .msg.error")
        error.wait_for(timeout=ANSWER_TIMEOUT)
        assert error.get_attribute("role") == "alert"
        assert "Could not reach the Sanad server" in error.text_content()
        assert not box.is_disabled()

        own.start()  # same port
        error.locator("button.retry").click()
        answer = page.locator("sanad-chat .msg.bot[data-answerable]")
        answer.wait_for(timeout=ANSWER_TIMEOUT)
        assert chips(answer)[0] == EN_PASSAGE
        assert page.locator("sanad-chat .msg.error").count() == 0
        assert page.locator("sanad-chat .msg.user").count() == 1
        assert [r["question"] for r in watch.chat_requests] == [EN_QUESTION, EN_QUESTION]
        assert watch.problems == [] and watch.dialogs == []
        page.context.close()
    finally:
        own.stop()


def test_keyboard_only(en_page):
    page, _ = en_page
    for _ in range(40):
        page.keyboard.press("Tab")
        if deep_focus(page).startswith("textarea"):
            break
    assert deep_focus(page).startswith("textarea"), "Tab never reached the question box"
    page.keyboard.type("Which base is the largest")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("US facility in the Middle East?")
    assert page.locator("sanad-chat textarea").input_value() == (
        "Which base is the largest\nUS facility in the Middle East?"
    )
    page.keyboard.press("Enter")
    answer = page.locator("sanad-chat .msg.bot[data-answerable]")
    answer.wait_for(timeout=ANSWER_TIMEOUT)
    assert page.locator("sanad-chat .msg.user .answer").text_content() == (
        "Which base is the largest\nUS facility in the Middle East?"
    )
    assert deep_focus(page).startswith("textarea")
    assert page.locator("sanad-chat textarea").input_value() == ""
    # Back to the first chip (Shift+Tab from the box), open it with Enter, close it with Escape.
    for _ in range(10):
        page.keyboard.press("Shift+Tab")
        if deep_focus(page).startswith("button.chip"):
            break
    assert deep_focus(page).startswith("button.chip")
    page.keyboard.press("Enter")
    page.locator("sanad-chat .cite mark").wait_for()
    page.keyboard.press("Escape")
    assert page.locator("sanad-chat .cite").is_hidden()
    assert deep_focus(page).startswith("button.chip")


def test_interface_language_follows_the_page_and_switches(en_page):
    page, _ = en_page
    label = page.locator("sanad-chat label")
    assert label.text_content() == "Your question"
    page.locator("sanad-chat button.lang-toggle").click()
    assert label.text_content() == "سؤالك"
    panel = page.locator("sanad-chat .panel")
    assert panel.evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert page.locator("sanad-chat").get_attribute("lang") == "ar"
    assert deep_focus(page).startswith("button.lang-toggle")


def test_launcher_mode_opens_and_closes(browser, server):
    page, watch = open_page(browser, server.url + "/?lang=en&mode=launcher")
    launcher = page.locator("sanad-chat button.launcher")
    panel = page.locator("sanad-chat .panel")
    assert launcher.is_visible() and panel.is_hidden()
    launcher.click()
    assert panel.is_visible()
    assert launcher.get_attribute("aria-expanded") == "true"
    assert deep_focus(page).startswith("textarea")
    page.keyboard.press("Escape")
    assert panel.is_hidden()
    assert deep_focus(page).startswith("button.launcher")
    assert watch.problems == [] and watch.dialogs == []
    page.context.close()


def test_phone_width(browser, server, screenshots):
    page, watch = open_page(browser, server.url + "/?lang=ar", width=375, height=812)
    answer = ask(page, AR_QUESTION)
    assert chips(answer)
    widget = page.locator("sanad-chat").bounding_box()
    assert widget["x"] >= 0 and widget["x"] + widget["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    send = page.locator("sanad-chat button.send").bounding_box()
    assert send["x"] + send["width"] <= 375
    page.screenshot(path=str(screenshots / "phone-width.png"))
    assert watch.problems == [] and watch.dialogs == []
    page.context.close()


HOSTILE_PAGE = """<!doctype html><html lang="ar"><head><meta charset="utf-8"><title>Host</title>
<style>* {{ color: red !important; font-size: 40px !important; }}
button, textarea, mark {{ display: none !important; }}</style>
<script src="{server}/web/sanad-widget.js" defer></script></head>
<body><h1>Another site</h1><sanad-chat></sanad-chat></body></html>"""


def test_embedded_on_another_site_with_one_script_tag(browser, server, host_site):
    """The docs/widget.md snippet on a foreign origin with its own CSP and hostile CSS."""
    host_site.page = HOSTILE_PAGE.format(server=server.url)
    host_site.csp = (
        f"default-src 'none'; script-src {server.url}; connect-src {server.url}; "
        "style-src 'unsafe-inline'"
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page)
    page.goto(host_site.url + "/")
    page.locator("sanad-chat textarea").wait_for()  # (no wait_for_function: the CSP bans eval)
    # No server attribute: the widget talks to the server its script came from.
    assert page.locator("sanad-chat label").text_content() == "سؤالك"  # the page's lang
    answer = ask(page, EN_QUESTION)
    assert chips(answer)[0] == EN_PASSAGE
    style = "el => [getComputedStyle(el).color, getComputedStyle(el).fontSize]"
    assert answer.locator(".answer").evaluate(style) == ["rgb(26, 26, 26)", "16px"]
    answer.locator("[data-citation]").first.click()
    page.locator("sanad-chat .cite mark").wait_for()
    assert watch.problems == [] and watch.dialogs == []
    context.close()


@pytest.mark.parametrize(
    "url, linked", [("https://news.example.org/a?b=1", True), ("javascript:alert(1)", False)]
)
def test_the_citation_names_its_document_with_a_link_and_date(en_page, url, linked):
    """The server's real answer, with a link and date added to its first citation as an
    ingested web page would have them; only http(s) links become links."""
    page, _ = en_page

    def with_source(route):
        response = route.fetch()
        data = response.json()
        data["citations"][0].update(url=url, date="2024-03-12")
        route.fulfill(response=response, json=data)

    page.route("**/v1/chat", with_source)
    answer = ask(page, EN_QUESTION)
    answer.locator("[data-citation]").first.click()
    title = page.locator("sanad-chat .cite .doc-title")
    title.wait_for()
    assert title.text_content().startswith("شراكات قطر الدفاعية")
    assert title.locator("time").text_content() == "2024-03-12"
    links = title.locator("a")
    assert links.count() == (1 if linked else 0)
    if linked:
        assert links.get_attribute("href") == url
        assert links.get_attribute("rel") == "noopener noreferrer"


# ------------------------------------------------------------------------- claim mode
# The "Check a claim" tab. The rendering tests serve a fixed /v1/verify answer (offsets taken
# from the real document, an emoji in the claim to exercise code points past the BMP); the
# page, the documents and everything else come from the real server.

FALSE_CLAIM_EN = "🇶🇦 Qatar is the largest customer of US defence systems in the world."
ORDINAL_PASSAGE = "qatar-defense-partnerships:8"
NEUTRAL_PASSAGE = "qatar-defense-partnerships:5"


def cp_span(text: str, part: str, within: int = 0) -> dict:
    """{start, end, text} of ``part`` in ``text`` in code points, shifted by ``within``."""
    start = text.index(part)
    return {"start": within + start, "end": within + start + len(part), "text": part}


def contradicted_answer(server) -> dict:
    """A /v1/verify answer in the documented shape, built from the real document."""
    raw = httpx.get(f"{server.url}/v1/documents/qatar-defense-partnerships").json()["raw"]
    evidence = []
    for pid, stance in ((ORDINAL_PASSAGE, "contradicts"), (NEUTRAL_PASSAGE, "neutral")):
        p = httpx.get(f"{server.url}/v1/passages/{pid}").json()
        assert raw[p["start"] : p["end"]] == p["text"]
        evidence.append(
            {
                "id": p["id"],
                "doc_id": p["doc_id"],
                "text": p["text"],
                "translation": p["translation"],
                "start": p["start"],
                "end": p["end"],
                "stance": stance,
                "supports": [],
                "contradicts": [],
                "score": 0.91,
            }
        )
    ev = evidence[0]
    ev["contradicts"] = [
        {
            "kind": "ordinal",
            "claim": cp_span(FALSE_CLAIM_EN, "largest"),
            "passage": {**cp_span(ev["text"], "ثالث أكبر", ev["start"]), "in": "source"},
            "reason": "the article ranks Qatar third-largest, not largest",
        }
    ]
    ev["supports"] = [
        {
            "kind": "name",
            "claim": cp_span(FALSE_CLAIM_EN, "Qatar"),
            "passage": {**cp_span(ev["text"], "قطر", ev["start"]), "in": "source"},
            "reason": "same country",
        },
        {
            "kind": "name",
            "claim": cp_span(FALSE_CLAIM_EN, "US"),  # inside الأميركية
            "passage": {**cp_span(ev["text"], "أميركية", ev["start"]), "in": "source"},
            "reason": "same country",
        },
        {
            "kind": "term",
            "claim": cp_span(FALSE_CLAIM_EN, "US defence systems"),
            "passage": {**cp_span(ev["translation"], "US defence systems"), "in": "translation"},
            "reason": "same words",
        },
    ]
    evidence[1]["missing"] = [{"kind": "ordinal", "claim": cp_span(FALSE_CLAIM_EN, "largest")}]
    return {
        "claim": FALSE_CLAIM_EN,
        "verdict": "contradicted",
        "evidence": evidence,
        "explanation": f"{ORDINAL_PASSAGE} contradicts the claim: rank differs",
    }


def serve_verify(page, answer: dict) -> None:
    page.route(
        "**/v1/verify",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(answer)
        ),
    )


def check_claim(page, claim: str, tab_name: str = "Check a claim"):
    """Open the claim tab, paste a claim, press Enter, return the result once it is shown."""
    page.locator("sanad-chat [role=tab]").filter(has_text=tab_name).click()
    box = page.locator("sanad-chat .claim-view textarea")
    box.fill(claim)
    box.press("Enter")
    result = page.locator("sanad-chat .claim-result").filter(
        has=page.locator(".claim-text", has_text=claim)
    )
    result.wait_for(timeout=ANSWER_TIMEOUT)
    return result


def marks(locator, stance: str) -> list[str]:
    return locator.locator(f'mark.span[data-stance="{stance}"]').all_text_contents()


def test_claim_mode_marks_the_contradicting_and_supporting_spans(en_page, server, screenshots):
    page, watch = en_page
    answer = contradicted_answer(server)
    serve_verify(page, answer)
    result = check_claim(page, FALSE_CLAIM_EN)
    assert watch.verify_requests == [{"claim": FALSE_CLAIM_EN}]
    assert result.get_attribute("data-verdict") == "contradicted"
    assert result.locator(".verdict-text").text_content() == "Contradicted by the article"
    # The claim: code-point offsets after a flag emoji (four UTF-16 units) still land on the words.
    claim = result.locator(".claim-text")
    assert claim.text_content() == FALSE_CLAIM_EN
    assert marks(claim, "contradicts") == ["largest"]
    assert marks(claim, "supports") == ["Qatar", "US"]  # the fact, over the shared words
    # The evidence: Arabic source marked right to left, the translation span in the translation.
    items = result.locator("li.ev")
    assert [i.get_attribute("data-passage") for i in items.all()] == [
        ORDINAL_PASSAGE,
        NEUTRAL_PASSAGE,
    ]
    first = items.nth(0)
    assert first.get_attribute("data-stance") == "contradicts"
    assert first.locator(".stance").text_content().endswith("Contradicts the claim")
    sentence = first.locator(".ev-text")
    assert sentence.text_content() == answer["evidence"][0]["text"]
    assert sentence.evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert marks(sentence, "contradicts") == ["ثالث أكبر"]
    # A span inside an Arabic word is widened to the word, so its letters stay joined.
    assert marks(sentence, "supports") == ["قطر", "الأميركية"]
    assert marks(first.locator(".ev-translation"), "supports") == ["US defence systems"]
    # Not by colour alone: different underline styles, a sign, and the span spelled out.
    style = (
        "el => [getComputedStyle(el).textDecorationStyle, getComputedStyle(el, '::after').content]"
    )
    con = sentence.locator('mark[data-stance="contradicts"]')
    assert con.evaluate(style)[0] == "wavy" and "✗" in con.evaluate(style)[1]
    assert sentence.locator('mark[data-stance="supports"]').first.evaluate(style)[0] == "solid"
    why = first.locator(".why li").all_text_contents()
    assert why[0].startswith("✗ contradicts (ordinal): “largest” vs “ثالث أكبر”")
    assert "the article ranks Qatar third-largest" in why[0]
    assert why[-1] == "✓ same words: “US defence systems”"  # shared words: one quieter line
    assert result.locator(".explanation").text_content() == answer["explanation"]
    described = con.get_attribute("aria-describedby")
    assert page.locator(f"sanad-chat #{described}").text_content() == why[0]
    # The citation, as in the chat: document, sentence id, offsets; the chip opens the source.
    meta = first.locator(".ev-cite")
    assert meta.locator(".pid").text_content() == ORDINAL_PASSAGE
    assert meta.locator(".doc").text_content() == "qatar-defense-partnerships"
    ev = answer["evidence"][0]
    assert meta.locator(".offsets").text_content() == f"{ev['start']}–{ev['end']}"
    assert items.nth(1).get_attribute("data-stance") == "neutral"
    assert items.nth(1).locator("mark").count() == 0
    assert items.nth(1).locator(".why li").all_text_contents() == [
        "? not stated here (ordinal): “largest”"
    ]
    meta.locator("button[data-citation]").click()
    cite = page.locator("sanad-chat .cite")
    cite.locator("mark").wait_for()
    assert cite.locator(".para mark").text_content() == ev["text"]
    assert page.locator(".sentence.cited").get_attribute("data-passage") == ORDINAL_PASSAGE
    page.keyboard.press("Escape")
    assert cite.is_hidden()
    assert deep_focus(page).startswith("button.chip")
    # The chat is where it was, and gets its own citation view back.
    page.locator("sanad-chat [role=tab]").filter(has_text="Chat").click()
    assert page.locator("sanad-chat .claim-view").is_hidden()
    assert page.locator("sanad-chat .chat-view .cite").count() == 1


def test_claim_mode_in_arabic_with_the_keyboard(ar_page, server, screenshots):
    page, watch = ar_page
    answer = contradicted_answer(server)
    serve_verify(page, answer)
    for _ in range(10):
        page.keyboard.press("Tab")
        if deep_focus(page).startswith("button.tab"):
            break
    assert deep_focus(page).startswith("button.tab")
    tabs = page.locator("sanad-chat [role=tab]")
    assert tabs.all_text_contents() == ["المحادثة", "تحقّق من ادعاء"]
    page.keyboard.press("ArrowLeft")  # right to left: the next tab is on the left
    assert tabs.nth(1).get_attribute("aria-selected") == "true"
    assert tabs.nth(1).get_attribute("tabindex") == "0"
    assert page.locator("sanad-chat .chat-view").is_hidden()
    view = page.locator("sanad-chat .claim-view")
    assert view.get_attribute("aria-labelledby") == tabs.nth(1).get_attribute("id")
    assert view.locator("label").text_content() == "الادعاء المراد التحقق منه"
    page.keyboard.press("Tab")  # the results area
    page.keyboard.press("Tab")
    assert deep_focus(page).startswith("textarea")
    page.keyboard.press("Enter")  # empty: says what to do, sends nothing
    assert view.locator(".claim-status").text_content().startswith("الصق ادعاءً أولًا")
    assert watch.verify_requests == []
    page.keyboard.type(FALSE_CLAIM_EN)
    page.keyboard.press("Enter")
    result = view.locator(".claim-result")
    result.wait_for(timeout=ANSWER_TIMEOUT)
    assert watch.verify_requests == [{"claim": FALSE_CLAIM_EN}]
    assert deep_focus(page).startswith("textarea")
    assert result.locator(".verdict-text").text_content() == "يناقضه المقال"
    assert result.evaluate("el => getComputedStyle(el).direction") == "rtl"
    # The English claim stays left to right inside the Arabic interface.
    assert result.locator(".claim-text").evaluate("el => getComputedStyle(el).direction") == "ltr"
    why = result.locator("li.ev").first.locator(".why li").first.text_content()
    assert why.startswith("✗ يناقض (ترتيب): «largest» مقابل «ثالث أكبر»")
    # Shift+Tab back to the tabs, ArrowRight returns to the chat.
    for _ in range(20):
        page.keyboard.press("Shift+Tab")
        if deep_focus(page).startswith("button.tab"):
            break
    page.keyboard.press("ArrowRight")
    assert tabs.nth(0).get_attribute("aria-selected") == "true"
    assert page.locator("sanad-chat .chat-view").is_visible() and view.is_hidden()
    # Switching the interface language re-labels the kept result.
    page.locator("sanad-chat button.lang-toggle").click()
    tabs.nth(1).click()
    assert result.locator(".verdict-text").text_content() == "Contradicted by the article"


def test_claim_mode_shows_a_rejected_claim_and_bad_answers_as_errors(en_page, server):
    page, _ = en_page
    page.locator("sanad-chat").evaluate("el => el.setAttribute('view', 'claim')")
    check = page.locator("sanad-chat [role=tab]").filter(has_text="Check a claim")
    assert check.get_attribute("aria-selected") == "true"
    box = page.locator("sanad-chat .claim-view textarea")
    assert box.is_visible()
    box.fill("Where is Al Udeid? " * 60)  # over the server's 1,000-character limit
    box.press("Enter")
    error = page.locator("sanad-chat .claim-view .msg.error")
    error.wait_for(timeout=ANSWER_TIMEOUT)
    assert "the limit is 1000" in error.text_content()
    assert error.locator("button.retry").count() == 0
    serve_verify(page, {"claim": "x", "verdict": "maybe", "evidence": []})
    box.fill("Qatar hosts Al Udeid.")
    box.press("Enter")
    page.locator("sanad-chat .claim-view .msg.error").filter(
        has_text="does not understand"
    ).wait_for()
    assert page.locator("sanad-chat .claim-result").count() == 0


# Claims against the real server and model: one fact of the article changed, and kept.
# (claim, verdict, stance of the deciding span, its text in the claim, in the sentence, where)
REAL_CLAIMS = [
    (
        "Qatar is the largest customer of US defence systems in the world.",
        "contradicted",
        "contradicts",
        "largest",
        "third-largest",
        "translation",
    ),
    (
        "Qatar is the third-largest customer of US defence systems in the world.",
        "supported",
        "supports",
        "third-largest",
        "third-largest",
        "translation",
    ),
    (
        "بدأت العلاقات الدبلوماسية بين الولايات المتحدة وقطر عام 1975",
        "contradicted",
        "contradicts",
        "1975",
        "1972",
        "source",
    ),
    (
        "بدأت العلاقات الدبلوماسية بين الولايات المتحدة وقطر عام 1972",
        "supported",
        "supports",
        "1972",
        "1972",
        "source",
    ),
    (
        "تمثل قطر أكبر عميل للأنظمة الدفاعية الأميركية على مستوى العالم",
        "contradicted",
        "contradicts",
        "أكبر",
        "ثالث أكبر",
        "source",
    ),
]


def test_claims_checked_by_the_real_server(ar_page, server, screenshots):
    page, watch = ar_page
    page.locator("sanad-chat").evaluate(  # room for the result in the screenshot
        "el => el.style.setProperty('--sanad-height', '1040px')"
    )
    page.set_viewport_size({"width": 1280, "height": 1100})
    tab = "تحقّق من ادعاء"
    for claim, verdict, stance, in_claim, in_sentence, where in REAL_CLAIMS:
        expected = httpx.post(f"{server.url}/v1/verify", json={"claim": claim}, timeout=30).json()
        assert expected["verdict"] == verdict, (claim, expected["explanation"])
        deciding = next(
            e
            for e in expected["evidence"]
            if e[stance] and any(s["claim"]["text"] == in_claim for s in e[stance])
        )
        result = check_claim(page, claim, tab)
        assert result.get_attribute("data-verdict") == verdict
        assert result.locator(".claim-text").text_content() == expected["claim"]
        assert in_claim in marks(result.locator(".claim-text"), stance)
        ids = [i.get_attribute("data-passage") for i in result.locator("li.ev").all()]
        assert ids == [e["id"] for e in expected["evidence"]]
        item = result.locator(f'li.ev[data-passage="{deciding["id"]}"]')
        assert item.get_attribute("data-stance") == deciding["stance"]
        assert item.locator(".ev-text").text_content() == deciding["text"]
        place = ".ev-text" if where == "source" else ".ev-translation"
        assert in_sentence in marks(item.locator(place), stance)
        sign = "✗" if stance == "contradicts" else "✓"
        assert any(
            w.startswith(sign) and in_claim in w and in_sentence in w
            for w in item.locator(".why li").all_text_contents()
        )
        assert item.locator(".pid").text_content() == deciding["id"]
        assert item.locator(".offsets").text_content() == f"{deciding['start']}–{deciding['end']}"
    assert [r["claim"] for r in watch.verify_requests] == [c[0] for c in REAL_CLAIMS]
    assert result.locator(".verdict-text").text_content() == "يناقضه المقال"
    assert (
        result.locator(".ev-text").first.evaluate("el => getComputedStyle(el).direction") == "rtl"
    )
    page.locator("sanad-chat").screenshot(path=str(screenshots / "claim-check.png"))
    # The demo page's "try checking" buttons go through element.checkClaim, from the chat too.
    page.locator("sanad-chat [role=tab]").first.click()
    page.locator("button.try-c[lang=en]").click()
    tried = page.locator("sanad-chat .claim-result").filter(
        has=page.locator(".claim-text", has_text=REAL_CLAIMS[0][0])
    )
    tried.wait_for(timeout=ANSWER_TIMEOUT)
    assert tried.get_attribute("data-verdict") == "contradicted"
    assert page.locator("sanad-chat .chat-view").is_hidden()
