"""The web chat (qa/ui.py).

Fast tests cover rendering and the chat turn with a stub engine. The slow ones start the real
server on a free port over a temp copy of the corpus (plus an XSS file), call `/ask` through
gradio_client, and drive Debian's Chromium through Playwright.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.errors import QuestionError
from qa.types import Answer, Citation
from qa.ui import (
    EMPTY_PROMPT,
    SMALL_TALK_REPLY,
    build_app,
    chat_turn,
    confidence_words,
    document_choices,
    esc,
    highlight,
    render_answer,
    render_question,
    serve_command,
)

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "screenshot.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
EVIL_TXT = (
    "Party notes <b onmouseover=alert(3)>bold</b> & more\n\n"
    "Tencent hosts a <script>alert(1)</script> party for its engineers every spring. "
    "Huawei shows <img src=x onerror=alert(1)> images at the party.\n"
)
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
# Tags and attributes a rendered reply may contain; anything else came from corpus text.
ALLOWED_TAGS = {"div", "p", "sup", "span", "blockquote", "mark", "details", "summary", "strong", "br", "a"}
ALLOWED_ATTRS = {"class", "href", "target", "rel"}


# --- helpers -----------------------------------------------------------------------------

class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(markup: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(markup)
    collector.close()
    return collector


def citation(n=1, text="Some passage.", answer_start=None, answer_end=None, **extra) -> dict:
    base = dict(n=n, doc_id="a.txt", title="A title", text=text, start=0, end=len(text), page=None,
                score=0.9, answer_start=answer_start, answer_end=answer_end, publisher="Pub",
                date="2020", url="", chunk_id="a.txt#0000")
    base.update(extra)
    return base


def answer_dict(answer="Baidu filed 5,712 patents.", abstained=False, confidence=0.96, citations=None,
                elapsed_ms=33.3) -> dict:
    if citations is None:
        text = f"Intro. {answer} Outro."
        citations = [citation(1, text, 7, 7 + len(answer)), citation(2, "Other passage.")]
    return dict(question="q", answer=None if abstained else answer, abstained=abstained,
                confidence=confidence, citations=citations, elapsed_ms=elapsed_ms)


@dataclass
class StubEngine:
    """Stands in for qa.Engine: records what the UI asks, returns a fixed kind of answer."""

    documents: list = field(default_factory=lambda: [
        {"doc_id": "a.txt", "title": "Doc A", "publisher": "P", "date": "", "url": "", "path": "a.txt"},
        {"doc_id": "b.txt", "title": "Doc B", "publisher": "P", "date": "", "url": "", "path": "b.txt"},
    ])
    calls: list = field(default_factory=list)
    fail: Exception | None = None
    gate: threading.Event | None = None  # when set, each question waits for it (a slow engine)

    def ask(self, question, k=5, docs=None):
        self.calls.append({"question": question, "k": k, "docs": docs})
        if self.gate is not None:
            self.gate.wait(timeout=120)
        if self.fail is not None:
            raise self.fail
        text = f"Passage about it. {question} answered here."
        return Answer(question=question, answer="answered here.", abstained=False, confidence=0.9,
                      citations=(Citation(1, "a.txt", "Doc A", text, 0, len(text), None, 0.9,
                                          len(text) - 14, len(text)),), elapsed_ms=12.0)


def last_reply(history: list) -> str:
    content = history[-1]["content"]
    assert history[-1]["role"] == "assistant"
    return content


# --- rendering: escaping and highlight --------------------------------------------------------

def test_highlight_cuts_on_raw_offsets_and_escapes_each_piece():
    text = f'A <b>&</b> "x". Tencent hosts a {SCRIPT} party. End {IMG}'
    a = text.index("Tencent")
    b = text.index(" End")
    out = highlight(text, (a, b))
    assert out == f"{esc(text[:a])}<mark>{esc(text[a:b])}</mark>{esc(text[b:])}"
    assert "<script" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    # Undoing the markup and the escaping gives back the exact corpus text.
    assert html.unescape(out.replace("<mark>", "").replace("</mark>", "")) == text


def test_highlight_without_span_only_escapes():
    assert highlight("a < b", None) == "a &lt; b"


def test_line_breaks_become_br_so_the_reply_stays_one_html_block():
    assert esc("one\n\ntwo\r\nthree\u2028four") == "one<br><br>two<br>three<br>four"


def test_render_answer_escapes_every_corpus_field():
    evil = "<img src=x onerror=alert(1)>"
    sentence = f"Tencent hosts a {SCRIPT} party."
    text = f"Intro {evil}. {sentence} & more"
    start = text.index(sentence)
    cit = citation(1, text, start, start + len(sentence), title=f"T {evil}", publisher=f"P {SCRIPT}",
                   date=f"D {evil}", page=4, url=f'https://e.x/"><script>alert(2)</script>')
    out = render_answer(answer_dict(sentence, citations=[cit]), interpreted=f"Q {SCRIPT}")
    parsed = parse(out)
    assert {tag for tag, _ in parsed.tags} <= ALLOWED_TAGS
    assert all(set(attrs) <= ALLOWED_ATTRS for _, attrs in parsed.tags)
    shown = "".join(parsed.text)
    for literal in (f"T {evil}", f"P {SCRIPT}", f"D {evil}", sentence, f"Q {SCRIPT}", "& more"):
        assert literal in shown
    # The <mark> holds exactly the answer sentence (escaped), cut on raw offsets.
    assert f"<mark>{esc(sentence)}</mark>" in out
    assert "\n" not in out


def test_render_answer_shows_answer_markers_confidence_time_and_sources():
    out = render_answer(answer_dict(), interpreted="How many AI patents had Tencent filed?", abstain_below=0.5)
    assert 'class="qa-text">Baidu filed 5,712 patents.<sup class="qa-cite">[1]</sup>' in out
    assert "Confidence: high (0.96)" in out
    assert "33 ms" in out
    assert "Interpreted as: “How many AI patents had Tencent filed?”" in out
    assert "Sources" in out and "A title" in out and "Pub · 2020" in out
    assert "p. " not in out  # no page for a text file
    assert "1 more passage" in out and "<details" in out
    assert "Not in the documents" not in out


def test_render_answer_shows_page_when_known():
    cit = citation(1, "Baidu filed.", 0, 12, page=4)
    out = render_answer(answer_dict("Baidu filed.", citations=[cit]))
    assert "Pub · 2020 · p. 4" in out


def test_abstained_reply_is_clearly_different_and_lists_closest_passages():
    out = render_answer(answer_dict(abstained=True, confidence=0.12))
    assert "Not in the documents." in out
    assert "Closest passages" in out and "Sources" not in out
    assert "A title" in out and "Intro." in out
    assert "<mark>" not in out and "qa-cite" not in out
    assert "too low to answer (0.12)" in out
    assert 'class="qa-reply qa-abstained"' in out


def test_an_abstention_with_the_filter_on_speaks_of_the_selected_documents(engine):
    # The other document answers this; the Covid-19 one alone does not.
    q = "How many AI patents had Baidu filed by October 2019?"
    _, history, _ = chat_turn(engine, q, [], None, docs=["002_a9c90683bbb9ddbb.txt"])
    assert "Not in the selected documents." in last_reply(history) and "clear the filter" in last_reply(history)
    _, history, _ = chat_turn(engine, "How many AI patents had Samsung filed?", [], None)
    assert "Not in the documents." in last_reply(history) and "filter" not in last_reply(history)


def test_abstained_reply_with_no_passages():
    out = render_answer(answer_dict(abstained=True, confidence=0.0, citations=[]))
    assert "Not in the documents." in out and "closest passages" not in out.lower()


def test_answer_found_by_search_when_offsets_are_missing():
    cit = citation(1, "Before. Baidu filed 5,712 patents. After.")
    out = render_answer(answer_dict(citations=[cit]))
    assert "<mark>Baidu filed 5,712 patents.</mark>" in out
    assert "[1]</sup>" in out


def test_bad_offsets_are_ignored_not_trusted():
    cit = citation(1, "Short.", answer_start=3, answer_end=99)
    out = render_answer(answer_dict("Not here.", citations=[cit]))
    assert "<mark>" not in out and "qa-cite" not in out


def test_only_http_urls_become_links():
    safe = render_answer(answer_dict(citations=[citation(1, "x", url="https://example.org/a?b=1&c=2")]))
    assert '<a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">' in safe
    unsafe = render_answer(answer_dict(citations=[citation(1, "x", url="javascript:alert(1)")]))
    assert "<a " not in unsafe


@pytest.mark.parametrize("confidence, words", [(0.95, "high"), (0.8, "medium"), (0.6, "low"), (0.5, "low"),
                                               (0.4, "low"), (1.0, "high")])
def test_confidence_words_split_the_answering_range_in_thirds(confidence, words):
    assert confidence_words(confidence, abstain_below=0.5) == words


def test_confidence_words_follow_the_engine_threshold():
    from qa.answer import ABSTAIN_BELOW

    assert confidence_words(1.0) == "high"
    assert confidence_words(ABSTAIN_BELOW) == "low"


def test_user_question_is_escaped_and_shortened():
    assert render_question(f"  {SCRIPT}  ") == f'<div class="qa-question">{esc(SCRIPT)}</div>'
    long = render_question("x" * 5000)
    assert "5,000 characters" in long and len(long) < 500


def test_document_choices_are_plain_text_sorted_and_unique():
    docs = [{"doc_id": "b.txt", "title": "Same"}, {"doc_id": "a.txt", "title": "Same"},
            {"doc_id": "c.txt", "title": "<b>Alpha</b>"}, {"doc_id": "d.txt", "title": ""}]
    assert document_choices(docs) == [("<b>Alpha</b>", "c.txt"), ("d.txt", "d.txt"),
                                      ("Same (a.txt)", "a.txt"), ("Same (b.txt)", "b.txt")]


# --- the chat turn, with a stub engine ---------------------------------------------------------

@pytest.mark.parametrize("typed", ["", "   \n ", None])
def test_empty_input_prompts_and_sends_nothing(typed):
    engine = StubEngine()
    box, history, context = chat_turn(engine, typed, [], "previous question")
    assert engine.calls == []
    assert box == ""
    assert context == "previous question"
    assert len(history) == 1 and esc(EMPTY_PROMPT) in last_reply(history)


@pytest.mark.parametrize("typed", ["Thanks", "ok thanks!", "Hello"])
def test_small_talk_gets_a_hint_and_keeps_the_context(typed):
    engine = StubEngine()
    box, history, context = chat_turn(engine, typed, [], "How many AI patents had Baidu filed?")
    assert engine.calls == []
    assert box == "" and context == "How many AI patents had Baidu filed?"
    assert esc(SMALL_TALK_REPLY) in last_reply(history)
    # The follow-up after it still refers to the question before it.
    chat_turn(engine, "and Tencent?", history, context)
    assert engine.calls[-1]["question"] == "How many AI patents had Tencent filed?"


def test_too_long_input_shows_the_engine_message_and_keeps_the_text():
    engine = StubEngine()
    typed = "why " * 600
    box, history, context = chat_turn(engine, typed, [], "previous question")
    assert engine.calls == []
    assert "the limit is 2,000" in last_reply(history) and "qa-error" in last_reply(history)
    assert box == typed and context == "previous question"
    assert history[0]["role"] == "user"


def test_engine_question_error_is_shown_as_a_message():
    engine = StubEngine(fail=QuestionError("question is odd: 'x'"))
    _, history, _ = chat_turn(engine, "x", [], None)
    assert "question is odd: &#x27;x&#x27;" in last_reply(history)


def test_unexpected_engine_failure_keeps_the_chat_alive():
    engine = StubEngine(fail=RuntimeError("boom"))
    box, history, context = chat_turn(engine, "What is Baidu?", [], "before")
    assert "RuntimeError" in last_reply(history) and "try again" in last_reply(history)
    assert context == "before" and box == "What is Baidu?"


def test_followup_is_rewritten_sent_and_shown():
    engine = StubEngine()
    _, history, context = chat_turn(engine, "and Tencent?", [], "How many AI patents had Baidu filed?")
    assert engine.calls[-1]["question"] == "How many AI patents had Tencent filed?"
    assert "Interpreted as: “How many AI patents had Tencent filed?”" in last_reply(history)
    assert context == "How many AI patents had Tencent filed?"
    assert history[0] == {"role": "user", "content": '<div class="qa-question">and Tencent?</div>'}


def test_standalone_question_is_sent_as_typed_without_interpretation_line():
    engine = StubEngine()
    _, history, context = chat_turn(engine, "  Who founded Alibaba?  ", [], "How many AI patents had Baidu filed?")
    assert engine.calls[-1]["question"] == "Who founded Alibaba?"
    assert "Interpreted as" not in last_reply(history)
    assert context == "Who founded Alibaba?"


def test_document_filter_and_k_are_passed_to_the_engine():
    engine = StubEngine()
    chat_turn(engine, "What is Baidu?", [], None, docs=["b.txt"], k=3.0)
    assert engine.calls[-1] == {"question": "What is Baidu?", "k": 3, "docs": ["b.txt"]}
    chat_turn(engine, "What is Baidu?", [], None, docs=[], k=5)
    assert engine.calls[-1]["docs"] is None


def test_history_accumulates():
    engine = StubEngine()
    _, history, context = chat_turn(engine, "What is Baidu?", [], None)
    _, history, _ = chat_turn(engine, "and Tencent?", history, context)
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]


# --- the app object and the command ----------------------------------------------------------

def test_build_app_has_ask_endpoint_queue_and_private_chat_events():
    app = build_app(StubEngine(), max_queue=7, concurrency=2)
    assert app._queue.max_size == 7
    named = {fn.api_name: fn for fn in app.fns.values() if fn.api_visibility == "public"}
    assert set(named) == {"ask"}
    assert named["ask"].concurrency_limit == 2
    assert named["ask"].queue is False  # a direct POST; gradio_client still comes through the queue
    assert {fn.concurrency_id for fn in app.fns.values() if fn.fn and fn.queue} == {"engine"}


@pytest.mark.parametrize("kwargs, message", [
    ({"max_queue": 0}, "max_queue must be an integer >= 1, got 0"),
    ({"concurrency": "2"}, "concurrency must be an integer >= 1, got '2'"),
])
def test_build_app_validates_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_app(StubEngine(), **kwargs)


def test_serve_command_help_and_options():
    result = CliRunner().invoke(serve_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--corpus", "--index"):
        assert option in result.output
    assert "127.0.0.1" in result.output and "7860" in result.output


def test_importing_the_ui_does_not_import_gradio():
    code = "import sys, qa.ui; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the real server ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CountingEngine:
    """The real engine, with a record of what the UI sent it."""

    def __init__(self, engine):
        self.engine = engine
        self.calls: list[dict] = []

    @property
    def documents(self):
        return self.engine.documents

    def ask(self, question, k=5, docs=None):
        self.calls.append({"question": question, "k": k, "docs": docs})
        return self.engine.ask(question, k=k, docs=docs)


@dataclass
class Server:
    url: str
    engine: CountingEngine
    corpus: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from qa import get_engine
    from qa.ui import launch_app

    corpus = tmp_path_factory.mktemp("ui_corpus")
    shutil.copytree(ROOT / "corpus", corpus, dirs_exist_ok=True)
    (corpus / "evil.txt").write_text(EVIL_TXT, encoding="utf-8")
    index = tmp_path_factory.mktemp("ui_index")
    engine = CountingEngine(get_engine(corpus, index))
    app = build_app(engine)
    url = launch_app(app, "127.0.0.1", free_port(), prevent_thread_lock=True)
    yield Server(url, engine, corpus)
    app.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Chat:
    """One browser tab on the chat, with every dialog it tried to open."""

    page: object
    dialogs: list

    def ask(self, question: str, *, click: bool = False) -> object:
        page = self.page
        before = page.locator("#qa-chat .qa-reply").count()
        page.fill("#qa-question textarea", question)
        if click:
            page.click("#qa-ask")
        else:
            page.press("#qa-question textarea", "Enter")
        page.wait_for_function(
            f"document.querySelectorAll('#qa-chat .qa-reply').length > {before}", timeout=30_000)
        return page.locator("#qa-chat .qa-reply").nth(before)  # this reply, not whatever is last


def open_chat(browser, url: str) -> Chat:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url)
    page.wait_for_selector("#qa-question textarea", timeout=30_000)
    return Chat(page, dialogs)


@pytest.fixture
def chat(browser, server):
    c = open_chat(browser, server.url)
    yield c
    c.page.close()


@pytest.mark.slow
def test_ask_endpoint_returns_the_answer_dict(server):
    from gradio_client import Client

    client = Client(server.url, verbose=False)
    result = client.predict("How many AI patents had Baidu filed?", api_name="/ask")
    assert set(result) == {"question", "answer", "abstained", "confidence", "citations", "elapsed_ms"}
    assert "5,712" in result["answer"] and result["abstained"] is False
    assert 0.0 <= result["confidence"] <= 1.0
    first = result["citations"][0]
    assert {"n", "doc_id", "title", "text", "start", "end", "page", "score", "answer_start",
            "answer_end"} <= set(first)
    assert first["text"][first["answer_start"]:first["answer_end"]] == result["answer"]
    json.dumps(result)  # plain JSON all the way down

    two = client.predict("How many AI patents had Baidu filed?", 2, api_name="/ask")
    assert 1 <= len(two["citations"]) <= 2


@pytest.mark.slow
def test_ask_endpoint_reports_bad_questions(server):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server.url, verbose=False)
    with pytest.raises(AppError, match="limit is 2,000"):
        client.predict("why " * 600, api_name="/ask")
    with pytest.raises(AppError, match="question is empty"):
        client.predict("   ", api_name="/ask")
    # ... and the server is still answering.
    assert client.predict("What is Baidu's Apollo project?", api_name="/ask")["citations"]


def run_ask(url: str, body: dict) -> tuple[int, dict]:
    """(status, JSON reply) of Gradio's direct POST to the /ask API (outside the queue).
    Gradio's raw HTTP API wants every input, k included ("didn't receive enough input values")."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url.rstrip("/") + "/gradio_api/run/ask", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.slow
def test_ask_endpoint_answers_a_direct_post_without_the_queue(server):
    """POST /gradio_api/run/ask: the answer in the reply itself, no event stream to read."""
    status, got = run_ask(server.url, {"data": ["How many AI patents had Baidu filed?", 2]})
    assert status == 200, got
    result = got["data"][0]
    assert "5,712" in result["answer"] and 1 <= len(result["citations"]) <= 2
    # The queued form (POST /call/ask, then the event stream) still answers too.
    import urllib.request

    req = urllib.request.Request(server.url.rstrip("/") + "/gradio_api/call/ask", headers={"Content-Type": "application/json"},
                                 data=json.dumps({"data": ["What is Baidu's Apollo project?", 5]}).encode())
    with urllib.request.urlopen(req, timeout=60) as r:
        event_id = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{server.url.rstrip('/')}/gradio_api/call/ask/{event_id}", timeout=60) as r:
        stream = r.read().decode()
    assert "event: complete" in stream and "Apollo" in stream


@pytest.mark.slow
@pytest.mark.parametrize("data, message", [
    (["why " * 600, 5], "limit is 2,000"),
    (["   ", 5], "question is empty"),
    (["What is Cainiao?", 0], "k must be an integer >= 1, got 0"),
])
def test_a_direct_post_with_bad_input_gets_the_reason(server, data, message, capfd):
    """A 400 with the message, not Gradio's 500 for any failure; the server logs no traceback.
    The queued form gets the same message as its error event."""
    import urllib.request

    calls = len(server.engine.calls)
    status, got = run_ask(server.url, {"data": data})
    assert status == 400 and message in got["error"], (status, got)
    assert len(server.engine.calls) == calls  # refused before it took a place
    req = urllib.request.Request(server.url.rstrip("/") + "/gradio_api/call/ask", data=json.dumps({"data": data}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        event_id = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{server.url.rstrip('/')}/gradio_api/call/ask/{event_id}", timeout=60) as r:
        event, payload = r.read().decode().split("\n")[:2]
    assert event == "event: error" and message in json.loads(payload.removeprefix("data: "))["error"]
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.slow
def test_a_full_api_says_busy_and_recovers():
    """Outside the queue, /ask has its own bound: `concurrency` running plus `max_queue` waiting;
    one more is refused at once with a message saying so, and nothing piles up."""
    from gradio_client import Client

    from qa.ui import launch_app

    gate = threading.Event()
    engine = StubEngine(gate=gate)
    app = build_app(engine, max_queue=1, concurrency=1)
    url = launch_app(app, "127.0.0.1", free_port(), prevent_thread_lock=True)
    try:
        replies: list = []

        def ask_in_background(question: str) -> threading.Thread:
            t = threading.Thread(target=lambda: replies.append(run_ask(url, {"data": [question, 5]})))
            t.start()
            return t

        deadline = time.monotonic() + 30
        first = ask_in_background("slow one")
        while len(engine.calls) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        second = ask_in_background("slow two")
        time.sleep(0.5)  # the second is now waiting for the one worker
        assert len(engine.calls) == 1
        status, got = run_ask(url, {"data": ["one too many", 5]})
        assert status == 503 and "busy" in got["error"] and "try again" in got["error"], (status, got)
        gate.set()
        first.join(60), second.join(60)
        assert sorted(s for s, _ in replies) == [200, 200]
        assert [r["data"][0]["answer"] for _, r in replies] == ["answered here."] * 2
        assert Client(url, verbose=False).predict("and now?", api_name="/ask")["answer"] == "answered here."
    finally:
        gate.set()
        app.close()


@pytest.mark.slow
def test_ask_endpoint_skips_the_queue_analytics_summary(server, monkeypatch):
    """skip_unused_gradio_work: no pandas summary per request. A Gradio upgrade that renames
    the setting fails here rather than silently costing ~3-12 ms a request again."""
    from gradio.queueing import Queue
    from gradio_client import Client

    summaries = []
    original = Queue._get_df

    def counting_get_df(records):
        summaries.append(len(records))
        return original(records)

    monkeypatch.setattr(Queue, "_get_df", staticmethod(counting_get_df))
    client = Client(server.url, verbose=False)
    for _ in range(3):
        assert client.predict("What is Cainiao?", api_name="/ask")["citations"]
    assert summaries == []


@pytest.mark.slow
@pytest.mark.browser
def test_browser_answer_cites_source_and_highlights_sentence(chat, server):
    reply = chat.ask("How many AI patents had Baidu filed?")
    assert "5,712" in reply.locator(".qa-text").inner_text()
    assert reply.locator(".qa-cite").first.inner_text() == "[1]"
    title = reply.locator(".qa-source .qa-title").first.inner_text()
    assert title == "Technological development and advancement in the Silicon Dragon – China"
    assert "SPI" in reply.locator(".qa-source .qa-origin").first.inner_text()
    mark = reply.locator(".qa-source mark").first.inner_text()
    assert "generating 5,712 patents in total" in mark
    meta = reply.locator(".qa-meta").inner_text()
    assert "Confidence:" in meta and " ms" in meta
    assert chat.dialogs == []


@pytest.mark.slow
@pytest.mark.browser
def test_browser_http_example_shows_this_servers_address(chat, server):
    # It said http://127.0.0.1:7860/ whatever port the chat was served on.
    port = server.url.rstrip("/").rsplit(":", 1)[1]
    about = chat.page.locator(".qa-about").first
    about.get_by_text(f"127.0.0.1:{port}").first.wait_for(timeout=10_000)
    assert f"Client('http://127.0.0.1:{port}/')" in about.inner_text()


def test_browser_followup_is_answered_in_context(chat, server):
    chat.ask("What is Baidu doing in AI?")
    reply = chat.ask("and Tencent?", click=True)
    assert server.engine.calls[-1]["question"] == "What is Tencent doing in AI?"
    assert reply.locator(".qa-interpreted").inner_text() == "Interpreted as: “What is Tencent doing in AI?”"
    assert "Tencent" in reply.locator(".qa-text").inner_text()
    assert "Tencent" in reply.locator(".qa-source mark").first.inner_text()
    # and a bare question word after it keeps the chain going
    chat.ask("what about Alibaba?")
    assert server.engine.calls[-1]["question"] == "What is Alibaba doing in AI?"


@pytest.mark.slow
@pytest.mark.browser
def test_browser_xss_in_corpus_shows_as_text_and_never_runs(chat, server):
    reply = chat.ask("What kind of party does Tencent host for its engineers?")
    page = chat.page
    page.wait_for_timeout(500)  # give an injected handler time to fire
    passages = " ".join(reply.locator(".qa-passage").all_inner_texts())
    assert SCRIPT in passages and IMG in passages
    assert "Party notes <b onmouseover=alert(3)>bold</b> & more" in reply.inner_text()
    for selector in ("script", "img", "[onerror]", "[onmouseover]", "b"):
        assert page.locator(f"#qa-chat {selector}").count() == 0, selector
    reply.locator(".qa-title").first.hover()
    page.wait_for_timeout(200)
    assert chat.dialogs == []
    # The document filter lists the file's title as plain text too.
    page.click("#qa-docs input")
    option = page.locator('#qa-docs li[role="option"]', has_text="Party notes")
    assert option.inner_text().strip().endswith("Party notes <b onmouseover=alert(3)>bold</b> & more")
    assert page.locator("#qa-docs b, #qa-docs [onmouseover]").count() == 0
    option.hover()
    page.wait_for_timeout(200)
    assert chat.dialogs == []


@pytest.mark.slow
@pytest.mark.browser
def test_browser_document_filter_restricts_the_search(chat, server):
    covid = "China's high tech Covid-19 response: Another step towards global technological leadership?"
    page = chat.page
    page.click("#qa-docs input")
    page.click(f'#qa-docs li[role="option"][aria-label="{covid}"]')
    page.keyboard.press("Escape")
    reply = chat.ask("How many AI patents had Baidu filed?")
    assert server.engine.calls[-1]["docs"] == ["002_a9c90683bbb9ddbb.txt"]
    # textContent, not innerText: the sources past the first are folded in <details>
    titles = set(reply.locator(".qa-title").evaluate_all("els => els.map(e => e.textContent)"))
    assert titles == {covid}


@pytest.mark.slow
@pytest.mark.browser
def test_browser_empty_and_too_long_input(chat, server):
    calls = len(server.engine.calls)
    page = chat.page
    page.click("#qa-ask")
    page.wait_for_selector("#qa-chat .qa-notice")
    assert "Type a question" in page.locator("#qa-chat .qa-notice").inner_text()
    assert len(server.engine.calls) == calls  # nothing was sent

    reply = chat.ask("why " * 600)
    assert "the limit is 2,000" in reply.inner_text()
    assert len(server.engine.calls) == calls
    # The app keeps running: the next question is answered.
    reply = chat.ask("Who coined the term Silicon Dragon?")
    assert "Rebecca Fannin" in reply.inner_text()


@pytest.fixture(scope="module")
def seed_server(seed_corpus, seed_index):
    """The chat over the shipped corpus only (no XSS file), as a user of the README sees it."""
    from qa import get_engine
    from qa.ui import launch_app

    app = build_app(get_engine(seed_corpus, seed_index))
    url = launch_app(app, "127.0.0.1", free_port(), prevent_thread_lock=True)
    yield url
    app.close()


@pytest.mark.slow
@pytest.mark.browser
def test_browser_screenshot_for_readme(browser, seed_server, tmp_path):
    # Written to a temp folder so a test run leaves the repo clean; QA_UPDATE_SCREENSHOT=1
    # writes the README's docs/screenshot.png instead.
    target = SCREENSHOT if os.environ.get("QA_UPDATE_SCREENSHOT") == "1" else tmp_path / "screenshot.png"
    chat = open_chat(browser, seed_server)
    try:
        chat.ask("What is Baidu doing in AI?")
        reply = chat.ask("and Tencent?")
        assert "Miying" in reply.locator(".qa-text").inner_text()
        assert reply.locator(".qa-interpreted").inner_text() == "Interpreted as: “What is Tencent doing in AI?”"
        assert "2 documents" in chat.page.locator("body").inner_text()
        chat.page.wait_for_timeout(300)
        target.parent.mkdir(exist_ok=True)
        chat.page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 20_000
    finally:
        chat.page.close()


@pytest.mark.slow
@pytest.mark.browser
def test_browser_filter_lists_a_file_added_while_the_server_runs(browser, seed_corpus, tmp_path, monkeypatch):
    import qa.engine
    from qa.engine import LiveEngine
    from qa.ui import launch_app

    monkeypatch.setattr(qa.engine, "STALE_CHECK_SECONDS", 0.0)
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_corpus, corpus)
    app = build_app(LiveEngine(corpus, tmp_path / "index"))
    url = launch_app(app, "127.0.0.1", free_port(), prevent_thread_lock=True)
    try:
        def options(page) -> list[str]:
            page.click("#qa-docs input")
            found = page.locator('#qa-docs li[role="option"]').all_inner_texts()
            page.keyboard.press("Escape")
            return found

        chat = open_chat(browser, url)
        assert len(options(chat.page)) == 2 and "verbatim from 2 documents" in chat.page.inner_text("body")
        (corpus / "pdd.txt").write_text("Pinduoduo grew its agricultural sales to 270 billion yuan in 2020. "
                                        "It links farmers with buyers.")
        chat.page.reload()
        chat.page.wait_for_selector("#qa-docs input")
        assert len(options(chat.page)) == 3
        # The heading counts the same documents as the filter (it said 2 until a restart).
        chat.page.wait_for_function("document.body.innerText.includes('verbatim from 3 documents')", timeout=10_000)
        chat.page.close()
    finally:
        app.close()


@pytest.mark.slow
def test_qa_serve_command_starts_the_chat(seed_corpus, seed_index):
    """`qa serve` (what `make run` runs) listens on the given port and answers /ask."""
    import urllib.request

    from gradio_client import Client

    port = free_port()
    qa_script = Path(sys.executable).parent / "qa"
    proc = subprocess.Popen(
        [str(qa_script), "serve", "--port", str(port), "--corpus", str(seed_corpus), "--index", str(seed_index)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        # The address is printed once the server listens: the page answers at once.
        printed = ""
        while "chat at" not in printed:
            line = proc.stdout.readline()
            assert line, f"qa serve stopped: {printed}"
            printed += line
        assert f"chat at {url}" in printed
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert "qa · ask the documents" in page
        result = Client(url, verbose=False).predict("What is Baidu's Apollo project?", api_name="/ask")
        assert "Apollo" in result["answer"]
        # ... and the JSON route beside it (qa/api.py) gives the same answer
        req = urllib.request.Request(url + "api/ask", data=b'{"question": "What is Baidu\'s Apollo project?"}',
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as response:
            assert json.loads(response.read())["answer"] == result["answer"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_qa_serve_on_a_taken_port_is_one_line_and_prints_no_address(tmp_path):
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        r = subprocess.run([str(Path(sys.executable).parent / "qa"), "serve", "--port", str(port),
                            "--corpus", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert r.stderr == f"Error: port {port} is already in use on 127.0.0.1; pick another with --port\n"


# --- a full queue ------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.browser
def test_full_queue_says_busy_try_again(browser):
    """One slow question at a time and room for one more: the third visitor is told to retry."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError
    from gradio_client.utils import QueueError, Status

    from qa.ui import launch_app

    gate = threading.Event()
    engine = StubEngine(gate=gate)
    app = build_app(engine, max_queue=1, concurrency=1)
    url = launch_app(app, "127.0.0.1", free_port(), prevent_thread_lock=True)
    try:
        client = Client(url, verbose=False)
        deadline = time.monotonic() + 60

        def wait_for(condition) -> None:
            while not condition() and time.monotonic() < deadline:
                time.sleep(0.05)

        # One at a time: two submitted together can both reach the queue before either runs,
        # and the second would already find it full.
        jobs = [client.submit("slow one", api_name="/ask")]
        wait_for(lambda: len(engine.calls) == 1)  # the first is held inside the engine
        jobs.append(client.submit("slow two", api_name="/ask"))
        wait_for(lambda: jobs[1].status().code == Status.IN_QUEUE)
        assert len(engine.calls) == 1 and jobs[1].status().code == Status.IN_QUEUE, [j.status() for j in jobs]
        with pytest.raises((QueueError, AppError), match="(?i)queue is full"):
            client.predict("one too many", api_name="/ask")
        chat = open_chat(browser, url)
        chat.page.fill("#qa-question textarea", "and one more from the browser")
        chat.page.press("#qa-question textarea", "Enter")
        busy = chat.page.get_by_text("busy", exact=False)
        busy.first.wait_for(timeout=30_000)
        assert "try again" in busy.first.inner_text().lower()
        chat.page.close()
        gate.set()
        for job in jobs:
            assert job.result(timeout=60)["answer"] == "answered here."
    finally:
        gate.set()
        app.close()
