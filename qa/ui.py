"""The web chat: `qa serve` starts a Gradio app on http://127.0.0.1:7860.

The app only calls `engine.ask()` and renders the `Answer` (see STYLE.md): every reply shows
the verbatim answer sentence with numbered markers, then the sources (title, publisher, date,
page) with the answer sentence highlighted in its passage. Follow-ups ("and Tencent?") are
rewritten into standalone questions by `qa.followup` before they reach the engine.

Corpus files are untrusted, so every piece of corpus text is HTML-escaped here before any
markup is added, and the highlight is cut by offsets on the raw text (escaping first would
shift them). The chat renders messages as Markdown, so each reply is one single-line HTML
block: Markdown leaves a block of HTML alone until a blank line, and there is none.

Gradio is imported inside functions so that `qa --help` stays instant.
"""
from __future__ import annotations

import html
import importlib.util
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger("qa")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
DEFAULT_K = 5
MAX_K = 10
# Two cores: two questions at a time keeps both busy (encoding is serialised inside the
# engine, so the second one does its retrieval while the first encodes) without thrashing.
CONCURRENCY_LIMIT = 2
# Gradio's queue recomputes a pandas summary of its last 10,000 events after every event, for
# the /monitoring page (which launch_app turns off): ~3 ms a request after 600 events and
# ~12 ms after 10,000, all holding the GIL. Recomputed after this many events instead.
ANALYTICS_EVERY = 10**9
# A question takes ~30-100 ms, so 16 waiting is under two seconds of backlog; beyond
# that a user is better told "busy, try again" than left waiting.
QUEUE_MAX_SIZE = 16
# Confidence in words: the range the engine answers in (from its abstention threshold up to 1)
# split in thirds, so the words follow the engine's calibration when its threshold is re-tuned.
CONFIDENCE_WORDS = ("low", "medium", "high")
SHOWN_OPEN = 1  # sources shown in full; the rest fold under "more passages"
QUESTION_PREVIEW_CHARS = 300  # a very long question is shortened in its chat bubble

EXAMPLES = [
    "How many AI-related patent applications has Baidu generated?",
    "How far have Baidu's Apollo cars been road-tested?",
    "What does Alibaba's ET City Brain do?",
    "What is Tencent's Miying platform used for?",
    "Which shopping platforms belong to Alibaba Group?",
    "How did the SARS outbreak in 2003 help Chinese e-commerce?",
    "How is the Health QR Code used during Covid-19?",
    "When was Huawei founded?",  # not in the documents: shows the other kind of reply
]
EMPTY_PROMPT = (
    "Type a question about the documents first, for example "
    "“What does Alibaba's ET City Brain do?”. You can also pick one of the examples below."
)
SMALL_TALK_REPLY = (
    "I answer questions from the documents only, for example "
    "“What does Alibaba's ET City Brain do?”. What would you like to know?"
)

# Local fonts only: the themes' default Google fonts would make every page load call out.
SYSTEM_FONTS = ("ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue",
                "Arial", "sans-serif")
SYSTEM_MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")
CSS = """
#qa-chat .qa-reply { line-height: 1.5; }
#qa-chat .qa-text { font-size: 1.05em; margin: 0 0 .35em 0; }
#qa-chat .qa-cite { font-size: .8em; font-weight: 600; color: var(--color-accent); margin-left: .15em; }
#qa-chat .qa-meta, #qa-chat .qa-interpreted { font-size: .8em; color: var(--body-text-color-subdued); margin: 0 0 .6em 0; }
#qa-chat .qa-verdict { border-left: 4px solid #d97706; padding: .2em .7em; margin: 0 0 .4em 0;
  background: rgba(217, 119, 6, .08); border-radius: 4px; }
#qa-chat .qa-sources-title { font-size: .8em; text-transform: uppercase; letter-spacing: .05em;
  color: var(--body-text-color-subdued); margin: .6em 0 .3em 0; }
#qa-chat .qa-source { border-left: 3px solid var(--border-color-primary); padding: .1em 0 .1em .7em; margin: 0 0 .6em 0; }
#qa-chat .qa-source-head { margin: 0 0 .2em 0; font-size: .9em; }
#qa-chat .qa-n { font-weight: 600; color: var(--color-accent); }
#qa-chat .qa-title { font-weight: 600; }
#qa-chat .qa-origin { color: var(--body-text-color-subdued); }
#qa-chat .qa-passage { margin: 0; font-size: .9em; color: var(--body-text-color); border: 0; padding: 0; }
#qa-chat .qa-passage mark { background: #fde68a; color: inherit; padding: 0 .1em; border-radius: 2px; }
#qa-chat .qa-more summary { cursor: pointer; font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: .4em; }
#qa-chat .qa-notice { color: var(--body-text-color-subdued); }
#qa-chat .qa-error { border-left: 4px solid #dc2626; padding: .2em .7em; background: rgba(220, 38, 38, .07); border-radius: 4px; }
#qa-side .qa-about { font-size: .85em; }
"""


# --- rendering (pure functions over Answer.to_dict(); no gradio) ------------------------------

_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def esc(text: object) -> str:
    """Corpus or user text as HTML text. Line breaks become <br> so the reply stays one line."""
    return _LINE_BREAKS.sub("<br>", html.escape("" if text is None else str(text), quote=True))


def abstain_threshold() -> float:
    """The engine's abstention threshold (qa.answer.ABSTAIN_BELOW)."""
    from qa.answer import ABSTAIN_BELOW

    return float(ABSTAIN_BELOW)


def confidence_words(confidence: float, abstain_below: float | None = None) -> str:
    """ "low", "medium" or "high": which third of the answering range the confidence is in."""
    floor = abstain_threshold() if abstain_below is None else abstain_below
    share = (confidence - floor) / (1.0 - floor) if floor < 1.0 else 1.0
    return CONFIDENCE_WORDS[min(max(int(share * 3), 0), 2)]


def answer_span(citation: dict, answer: str | None) -> tuple[int, int] | None:
    """Offsets of the answer sentence in the citation's passage, or None.

    The engine gives them for the passage it took the answer from; for another passage that
    happens to hold the same sentence verbatim, they are found by search.
    """
    text = citation.get("text") or ""
    a, b = citation.get("answer_start"), citation.get("answer_end")
    if isinstance(a, int) and isinstance(b, int) and 0 <= a < b <= len(text):
        return a, b
    if answer:
        i = text.find(answer)
        if i >= 0:
            return i, i + len(answer)
    return None


def highlight(text: str, span: tuple[int, int] | None) -> str:
    """The passage as HTML with the answer sentence in <mark>.

    The cut is made on the raw text and each piece escaped on its own: escaping first would
    move the offsets, and markup added before escaping would be escaped away.
    """
    if span is None:
        return esc(text)
    a, b = span
    return f"{esc(text[:a])}<mark>{esc(text[a:b])}</mark>{esc(text[b:])}"


def source_origin(citation: dict) -> str:
    """ "publisher · date · p. 4", escaped; only the parts that are known."""
    parts = [citation.get("publisher"), citation.get("date")]
    if citation.get("page") is not None:
        parts.append(f"p. {citation['page']}")
    return " · ".join(esc(p) for p in parts if p not in (None, ""))


def render_source(citation: dict, answer: str | None) -> str:
    """One source: [n] title — publisher · date · page, then the passage (answer marked).

    `answer` None (an abstention) marks nothing, whatever offsets the citation carries.
    """
    title = esc(citation.get("title") or citation.get("doc_id") or "Untitled")
    url = str(citation.get("url") or "")
    if url.startswith(("https://", "http://")):
        title = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{title}</a>'
    origin = source_origin(citation)
    origin_html = f' <span class="qa-origin">— {origin}</span>' if origin else ""
    span = answer_span(citation, answer) if answer else None
    passage = highlight(citation.get("text") or "", span)
    return (
        f'<div class="qa-source"><p class="qa-source-head"><span class="qa-n">[{int(citation["n"])}]</span> '
        f'<span class="qa-title">{title}</span>{origin_html}</p>'
        f'<blockquote class="qa-passage">{passage}</blockquote></div>'
    )


def render_answer(answer: dict, interpreted: str | None = None, abstain_below: float | None = None,
                  filtered: bool = False) -> str:
    """One chat reply for an `Answer.to_dict()`: the answer or "not in the documents", then sources.

    filtered: the question was asked of some documents only (the filter), so an abstention
    speaks of those and suggests clearing it."""
    citations = list(answer.get("citations") or [])
    text = answer.get("answer")
    abstained = bool(answer.get("abstained")) or not text
    confidence = float(answer.get("confidence") or 0.0)
    parts = []
    if abstained:
        parts.append(
            '<div class="qa-reply qa-abstained"><p class="qa-verdict">'
            + ("<strong>Not in the selected documents.</strong> None of the documents chosen in the "
               "filter seems to answer this question; clear the filter to search them all."
               if filtered else
               "<strong>Not in the documents.</strong> None of the indexed documents seems to answer this question.")
            + (" The closest passages are below; they may help, but they do not answer it." if citations else "")
            + "</p>"
        )
        conf = f"Confidence too low to answer ({confidence:.2f})"
        text = None
    else:
        cited = [c for c in citations if answer_span(c, text) is not None]
        markers = "".join(f'<sup class="qa-cite">[{int(c["n"])}]</sup>' for c in cited)
        parts.append(f'<div class="qa-reply qa-answered"><p class="qa-text">{esc(text)}{markers}</p>')
        conf = f"Confidence: {confidence_words(confidence, abstain_below)} ({confidence:.2f})"
    meta = [conf]
    if answer.get("elapsed_ms") is not None:
        meta.append(f"{float(answer['elapsed_ms']):.0f} ms")
    parts.append(f'<p class="qa-meta">{" · ".join(meta)}</p>')
    if interpreted:
        parts.append(f'<p class="qa-interpreted">Interpreted as: “{esc(interpreted)}”</p>')
    if citations:
        heading = "Closest passages" if abstained else "Sources"
        parts.append(f'<div class="qa-sources"><p class="qa-sources-title">{heading}</p>')
        parts.extend(render_source(c, text) for c in citations[:SHOWN_OPEN])
        rest = citations[SHOWN_OPEN:]
        if rest:
            label = f"{len(rest)} more passage{'s' if len(rest) > 1 else ''}"
            parts.append(f'<details class="qa-more"><summary>{label}</summary>')
            parts.extend(render_source(c, text) for c in rest)
            parts.append("</details>")
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


def render_notice(message: str) -> str:
    return f'<div class="qa-reply qa-notice"><p>{esc(message)}</p></div>'


def render_error(message: str) -> str:
    return f'<div class="qa-reply qa-error"><p><strong>Cannot ask this.</strong> {esc(message)}</p></div>'


def render_question(question: str) -> str:
    """The user's own question as typed, escaped (and shortened when very long)."""
    shown = question.strip()
    if len(shown) > QUESTION_PREVIEW_CHARS:
        shown = f"{shown[:QUESTION_PREVIEW_CHARS]}… ({len(shown):,} characters)"
    return f'<div class="qa-question">{esc(shown)}</div>'


def header_markdown(documents: int) -> str:
    """The chat's heading, with how many documents are indexed."""
    return (
        "## Ask the documents\n"
        f"Answers are sentences quoted verbatim from {documents} document{'s' if documents != 1 else ''} "
        "about Chinese tech companies, with their sources. When the documents do not say, the reply says so."
    )


def document_choices(documents: Sequence[dict]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for the document filter. Labels are plain text (not HTML)."""
    titles = [d.get("title") or d["doc_id"] for d in documents]
    choices = []
    for doc, title in zip(documents, titles):
        label = title if titles.count(title) == 1 else f"{title} ({doc['doc_id']})"
        choices.append((label, doc["doc_id"]))
    return sorted(choices, key=lambda c: c[0].lower())


# --- the chat turn ------------------------------------------------------------------------

def chat_turn(engine, message: str | None, history: list | None, context: str | None,
              docs: Sequence[str] | None = None, k: int | float = DEFAULT_K) -> tuple[str, list, str | None]:
    """One turn: returns (text left in the box, new history, new follow-up context).

    Empty input gets a prompt and never reaches the engine; a bad question (too long) gets the
    engine's message; the context only moves on when a question was actually asked.
    """
    from qa.answer_types import is_small_talk
    from qa.engine import validate_question
    from qa.errors import QAError
    from qa.followup import rewrite_followup

    history = list(history or [])
    typed = message if isinstance(message, str) else ""
    if not typed.strip():
        history.append({"role": "assistant", "content": render_notice(EMPTY_PROMPT)})
        return "", history, context
    history.append({"role": "user", "content": render_question(typed)})
    try:
        question = validate_question(typed)
        if is_small_talk(question):  # "thanks", "hello": nothing to look up, and no new context
            history.append({"role": "assistant", "content": render_notice(SMALL_TALK_REPLY)})
            return "", history, context
        rewrite = rewrite_followup(question, context)
        answer = engine.ask(rewrite.question, k=int(k), docs=list(docs) if docs else None)
    except (QAError, ValueError) as e:
        history.append({"role": "assistant", "content": render_error(str(e))})
        return typed, history, context  # keep the text so it can be shortened and re-sent
    except Exception as e:  # the chat must survive an engine bug; the log keeps the traceback
        log.exception("question failed: %.200r", typed)
        history.append({"role": "assistant", "content": render_error(
            f"the engine failed on this question ({type(e).__name__}). Please try again or rephrase it.")})
        return typed, history, context
    interpreted = rewrite.question if rewrite.rewritten else None
    history.append({"role": "assistant", "content": render_answer(answer.to_dict(), interpreted, filtered=bool(docs))})
    return "", history, rewrite.question


# --- the app --------------------------------------------------------------------------------

def build_app(engine, *, max_queue: int = QUEUE_MAX_SIZE, concurrency: int = CONCURRENCY_LIMIT) -> gr.Blocks:
    """The chat and the `/ask` API around a loaded engine (see `qa.get_engine`).

    Launch it with `launch_app()` (which adds the theme and CSS) or `serve()`.
    """
    import gradio as gr

    from qa.api import BAD_REQUEST_TITLE, BUSY_TITLE, AskGate, Busy
    from qa.engine import validate_k, validate_question
    from qa.errors import QAError

    if isinstance(max_queue, bool) or not isinstance(max_queue, int) or max_queue < 1:
        raise ValueError(f"max_queue must be an integer >= 1, got {max_queue!r}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    documents = list(engine.documents)

    def respond(message, history, context, docs, k):
        return chat_turn(engine, message, history, context, docs, k)

    # The /ask API runs outside the queue (below); this bounds it the same way: `concurrency`
    # questions at a time, `max_queue` more waiting, and beyond that "busy, try again".
    gate = AskGate(engine, concurrency=concurrency, max_waiting=max_queue)

    async def ask(question: str, k: int = DEFAULT_K) -> dict:
        """Answer one question from the documents. Returns Answer.to_dict(): the verbatim
        answer sentence (or None when the documents do not say), confidence and citations."""
        # The titles tell AskErrorStatus (qa.api) which status a direct POST's error gets; a
        # caller's mistake or a busy server is not logged with a traceback.
        try:
            question, k = validate_question(question), validate_k(k)
        except ValueError as e:  # QuestionError is one
            raise gr.Error(str(e), title=BAD_REQUEST_TITLE, print_exception=False) from e
        try:
            return (await gate.ask(question, k=k)).to_dict()
        except Busy as e:
            raise gr.Error(str(e), title=BUSY_TITLE, print_exception=False) from e
        except (QAError, ValueError) as e:  # the engine cannot answer (a broken index): a 500
            raise gr.Error(str(e)) from e

    with gr.Blocks(title="qa · ask the documents", analytics_enabled=False) as app:
        header = gr.Markdown(header_markdown(len(documents)), elem_id="qa-header")
        context = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    elem_id="qa-chat", label="Chat", show_label=False, height=620, latex_delimiters=[], buttons=[],
                    feedback_options=None, autoscroll=True,
                    placeholder="Ask about Baidu, Alibaba, Tencent, China's tech market or its Covid-19 response.",
                )
                with gr.Row():
                    box = gr.Textbox(
                        elem_id="qa-question", show_label=False, scale=6, autofocus=True, lines=1,
                        max_lines=6, placeholder="Ask a question, e.g. “How many AI patents had Baidu filed?”",
                    )
                    send = gr.Button("Ask", elem_id="qa-ask", variant="primary", scale=1, min_width=80)
                gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[box], label="Examples",
                            examples_per_page=len(EXAMPLES))
            with gr.Column(scale=1, elem_id="qa-side"):
                docs = gr.Dropdown(
                    choices=document_choices(documents), value=[], multiselect=True,
                    label="Search only in", info="Leave empty to search every document.",
                    elem_id="qa-docs",
                )
                k = gr.Slider(1, MAX_K, value=DEFAULT_K, step=1, label="Passages per answer", elem_id="qa-k")
                clear = gr.Button("New conversation", elem_id="qa-clear", variant="secondary")
                about = gr.Markdown(about_markdown(f"http://127.0.0.1:{DEFAULT_PORT}/"), elem_classes=["qa-about"])
        turn = dict(fn=respond, inputs=[box, chatbot, context, docs, k], outputs=[box, chatbot, context],
                    api_visibility="private", concurrency_id="engine", concurrency_limit=concurrency)
        box.submit(**turn)
        send.click(**turn)
        clear.click(lambda: ([], None, ""), outputs=[chatbot, context, box], api_visibility="private",
                    queue=False)
        # The chat's own trash button empties it; the follow-up context must go with it.
        chatbot.clear(lambda: None, outputs=[context], api_visibility="private", queue=False)
        # Outside the queue, so a program's call is one POST to /gradio_api/run/ask: with 10
        # clients on 2 cores (beside other load) it cost ~11 ms of server CPU and answered ~81/s
        # where the queued POST /call/ask + event stream cost ~18 ms and answered ~44/s
        # (benchmarks/bench.py --sections served, medians of 3). The gate bounds it as the queue
        # did. gradio_client always joins the queue (POST /queue/join + event stream), so for it
        # the queue's size and the "engine" concurrency group still apply, then the gate.
        gr.api(ask, api_name="ask", concurrency_id="engine", concurrency_limit=concurrency, queue=False)
        # Each page load lists and counts the documents indexed now (a served corpus may have grown).
        # and shows the HTTP example with the address the page was served from.
        def on_load(request: gr.Request):
            now = list(engine.documents)
            host = request.headers.get("host", "") if request is not None else ""
            # The Host header is the client's to write: only a plain host[:port] is shown.
            example = about_markdown(f"http://{host}/") if _HOST.fullmatch(host) else gr.skip()
            return gr.Dropdown(choices=document_choices(now)), header_markdown(len(now)), example

        on_load.__annotations__["request"] = gr.Request  # a real class, not this module's postponed string
        app.load(on_load, outputs=[docs, header, about], api_visibility="private", queue=False)
    skip_unused_gradio_work()
    app.queue(max_size=max_queue, default_concurrency_limit=concurrency)
    return app


_HOST = re.compile(r"[A-Za-z0-9.-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")


def about_markdown(url: str) -> str:
    """The side note: how follow-ups work and the HTTP example for this server's address."""
    return (
        "Follow-ups such as “and Tencent?” or “when?” are read in the light of your "
        "previous question; the reply shows how it was interpreted.\n\n"
        "The same engine answers over HTTP:\n"
        f"```python\nfrom gradio_client import Client\nClient({url!r}).predict(\n"
        "    \"How many AI patents had Baidu filed?\", api_name=\"/ask\")\n```"
    )


def skip_unused_gradio_work() -> None:
    """Turn off per-request work Gradio does for features this app does not use.

    Measured with 10 clients on the raw /ask API (benchmarks/bench.py served): over 3,000
    requests server CPU went from 22 to 27 ms a request without this and stayed at ~20 ms with it.
    - the queue's analytics summary (ANALYTICS_EVERY); the env var is read when the queue is
      made, and an explicit setting is kept.
    - every call enters a matplotlib context, which imports matplotlib; when it is not
      installed, each attempt searches sys.path again (~1 ms of stat calls on the event loop).
      A None in sys.modules makes the import fail at once, as it would anyway.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(ANALYTICS_EVERY))
    if "matplotlib" not in sys.modules and importlib.util.find_spec("matplotlib") is None:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]


def launch_app(app: gr.Blocks, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
               routes: Sequence = (), prevent_thread_lock: bool = False, quiet: bool = True) -> str:
    """Start the server (localhost, no share link) with the theme and CSS; returns its URL.

    Gradio 6 takes the theme and CSS at launch(), not in Blocks(), hence this helper. `routes`
    (FastAPI routes, e.g. `qa.api.api_routes(engine)`) are served first, beside Gradio's own,
    and `AskErrorStatus` gives a direct POST to /ask a 400 or 503 for a bad question or a busy
    server: launch() passes app_kwargs to the FastAPI app it creates.
    """
    import gradio as gr
    from starlette.middleware import Middleware

    from qa.api import AskErrorStatus

    _, local_url, _ = app.launch(
        server_name=host, server_port=port, share=False, inbrowser=False, quiet=quiet,
        prevent_thread_lock=prevent_thread_lock, show_error=True, ssr_mode=False,
        theme=gr.themes.Soft(primary_hue="indigo", font=SYSTEM_FONTS, font_mono=SYSTEM_MONO_FONTS),
        css=CSS, footer_links=["api"], enable_monitoring=False,
        app_kwargs={"routes": list(routes), "middleware": [Middleware(AskErrorStatus)]},
    )
    return local_url


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, corpus: Any = None, index: Any = None) -> None:
    """Load (or build) the index and the model once, then serve the chat and the JSON route
    (qa.api) until interrupted."""
    from qa.api import ASK_PATH, api_routes
    from qa.engine import LiveEngine
    from qa.errors import QAError

    check_port(host, port)  # before the engine loads, so a taken port fails at once
    # Looked up per question, so corpus edits are indexed and answered without a restart.
    engine = LiveEngine(corpus, index)
    # The model loads lazily on the first encode; pay that now, not on the first visitor.
    engine.ask("What is this about?", k=1)
    app = build_app(engine)
    routes = api_routes(engine, concurrency=CONCURRENCY_LIMIT, max_waiting=QUEUE_MAX_SIZE)
    try:
        launch_app(app, host, port, routes=routes, prevent_thread_lock=True)
    except OSError as e:  # Gradio says "Cannot find empty port" whatever stopped the server
        raise QAError(f"cannot serve on {host}:{port}: the server did not start (port taken meanwhile?)") from e
    click.echo(f"qa: {len(engine.documents)} documents, chat at http://{host}:{port}/, "
               f"JSON at http://{host}:{port}{ASK_PATH} (Ctrl+C to stop)", err=True)
    app.block_thread()


def check_port(host: str, port: int) -> None:
    """QAError, in one line, when nothing can listen on host:port (the port is taken, or the
    host is not this machine's)."""
    import errno
    import socket

    from qa.errors import QAError

    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as e:
        raise QAError(f"cannot serve on {host}:{port}: unknown host ({e.strerror})") from None
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise QAError(f"port {port} is already in use on {host}; pick another with --port") from None
            raise QAError(f"cannot serve on {host}:{port}: {e.strerror or e}") from None


@click.command("serve")
@click.option("--host", envvar="QA_HOST", default=DEFAULT_HOST, show_default=True,
              help="Interface to listen on (env QA_HOST). Use 0.0.0.0 only on a trusted network.")
@click.option("--port", envvar="QA_PORT", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on (env QA_PORT).")
@click.option("--corpus", envvar="QA_CORPUS", default=None, type=click.Path(file_okay=False),
              help="Folder of source documents (env QA_CORPUS; default ./corpus).")
@click.option("--index", "index_dir", envvar="QA_INDEX", default=None, type=click.Path(file_okay=False),
              help="Index folder (env QA_INDEX; default ./index).")
def serve_command(host: str, port: int, corpus: str | None, index_dir: str | None) -> None:
    """Start the web chat (with its /ask API and the JSON route /api/ask) on http://HOST:PORT."""
    from qa.cli import exit_on_user_errors  # here, not at the top: qa.cli imports this module

    with exit_on_user_errors():
        serve(host=host, port=port, corpus=corpus, index=index_dir)
