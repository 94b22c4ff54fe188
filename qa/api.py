"""The plain JSON route served beside the chat: `POST /api/ask` -> `Answer.to_dict()`.

    curl -s localhost:7860/api/ask -H 'Content-Type: application/json' -d '{"question": "What is Cainiao?"}'
    curl -s 'localhost:7860/api/ask?question=What+is+Cainiao%3F&k=3&doc=000_75e6f8e2490986a5.txt'

Why beside Gradio's queue rather than through it: with 10 clients on 2 cores a call through
the queue (a POST, then an event stream to read) cost ~17 ms of server CPU and had a p95 of
236 ms; this route costs ~8 ms (the engine's ~6 ms included), p95 under 150 ms
(benchmarks/bench.py --sections served). The Gradio `/ask` API stays for gradio_client users;
it runs outside Gradio's queue, bounded by an `AskGate` of its own like this route, and a direct POST
to it (/gradio_api/run/ask) costs ~11 ms.

Questions run on `concurrency` worker threads (2 cores: 1 to 4 measured alike, within noise);
up to `max_waiting` more wait their turn, and beyond that the reply is 503 "busy", as the
chat's full queue does. The chat's own queue keeps its own limit (qa.ui.CONCURRENCY_LIMIT).
Errors are JSON `{"error": message}`: 400 for a bad body, question, k or doc id (with the bad
value), 503 when busy, 500 for an engine failure (logged with its traceback). `AskErrorStatus`
gives a direct POST to the Gradio /ask API the same 400 and 503.
"""
# No `from __future__ import annotations` here: FastAPI reads the handlers' annotations
# (`request: Request`) at runtime, and Request is imported lazily, inside api_routes().
import asyncio
import json
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("qa")

ASK_PATH = "/api/ask"
DEFAULT_K = 5
FIELDS = ("question", "k", "docs")


def parse_request(payload: object) -> tuple[str, int, list[str] | None]:
    """(question, k, docs) from a request body; ValueError (or QuestionError) naming the bad value."""
    from qa.engine import validate_k, validate_question

    if not isinstance(payload, Mapping):
        raise ValueError(f'the body must be a JSON object such as {{"question": "What is Cainiao?"}}, '
                         f"got {type(payload).__name__}: {payload!r:.80}")
    unknown = sorted(set(payload) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {unknown!r}; the fields are {', '.join(FIELDS)}")
    if "question" not in payload:
        raise ValueError('the field "question" is missing')
    question = validate_question(payload["question"])
    k = validate_k(payload.get("k", DEFAULT_K))
    docs = payload.get("docs")
    if docs is not None and (not isinstance(docs, list) or not all(isinstance(d, str) for d in docs)):
        raise ValueError(f"docs must be a list of doc_id strings, got {docs!r:.100}")
    return question, k, docs or None


def query_payload(params) -> dict:
    """The GET form (?question=...&k=3&doc=a.txt&doc=b.txt) as a body for parse_request."""
    payload: dict = {key: params[key] for key in params if key not in ("doc", "k")}
    if "k" in params:
        raw = params["k"]
        payload["k"] = int(raw) if raw.strip().isdigit() else raw  # a bad k is reported as typed
    if "doc" in params:
        payload["docs"] = params.getlist("doc")
    return payload


class Busy(Exception):
    """Every worker is busy and the waiting room is full: the caller should retry shortly."""


class AskGate:
    """Runs `engine.ask` for one event loop's requests: at most `concurrency` at a time on
    worker threads, up to `max_waiting` more waiting their turn, and beyond that `Busy` at once
    (with the count in the message), so overload is refused rather than left to pile up.

    Used by the JSON route and by the Gradio `/ask` API when it is served outside the queue.
    """

    def __init__(self, engine, *, concurrency: int = 2, max_waiting: int = 16):
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be an integer >= 1, got {concurrency!r}")
        if isinstance(max_waiting, bool) or not isinstance(max_waiting, int) or max_waiting < 0:
            raise ValueError(f"max_waiting must be an integer >= 0, got {max_waiting!r}")
        self.engine, self.concurrency, self.max_waiting = engine, concurrency, max_waiting
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="qa-ask")
        self.in_flight = 0  # running + waiting; only touched on the event loop, so no lock

    async def ask(self, question: str, k: int = DEFAULT_K, docs: list[str] | None = None):
        """The engine's Answer, or Busy. Validate the question first: a bad one takes no place."""
        if self.in_flight >= self.concurrency + self.max_waiting:
            raise Busy(f"the server is busy ({self.in_flight} questions in hand); try again in a moment")
        self.in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self.pool, lambda: self.engine.ask(question, k=k, docs=docs))
        finally:
            self.in_flight -= 1


# Titles of the gr.Error the Gradio /ask API raises (qa.ui.build_app), read by AskErrorStatus.
BAD_REQUEST_TITLE = "Bad request"
BUSY_TITLE = "Busy"
_STATUS_BY_TITLE = {BAD_REQUEST_TITLE: 400, BUSY_TITLE: 503}
_DIRECT_ASK_PATHS = ("/gradio_api/run/ask", "/gradio_api/api/ask")


class AskErrorStatus:
    """ASGI middleware for the Gradio app: a direct POST to the /ask API whose gr.Error is a bad
    question or k gets 400, a busy server 503 (with Retry-After), instead of Gradio's 500 for
    every failure, which callers read as a server fault. The body, {"error": message, ...}, is
    Gradio's own; other requests and successful replies pass through untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") not in _DIRECT_ASK_PATHS:
            return await self.app(scope, receive, send)
        held: dict | None = None  # a 500's start message, kept until its body says which error it is
        body = b""

        async def send_with_status(message):
            nonlocal held, body
            if message["type"] == "http.response.start" and message["status"] == 500:
                held = message
                return
            if held is None:
                return await send(message)
            body += message.get("body", b"")
            if message.get("more_body"):
                return
            try:
                title = json.loads(body).get("title")
            except (ValueError, AttributeError):
                title = None
            status = _STATUS_BY_TITLE.get(title, 500)
            headers = list(held.get("headers", []))
            if status == 503:
                headers.append((b"retry-after", b"1"))
            await send({**held, "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_with_status)


def api_routes(engine, *, concurrency: int = 2, max_waiting: int = 16) -> list:
    """The routes (POST and GET ASK_PATH) for `launch(app_kwargs={"routes": ...})`."""
    from fastapi import APIRouter, Request
    from fastapi.responses import JSONResponse

    gate = AskGate(engine, concurrency=concurrency, max_waiting=max_waiting)

    def error(status: int, message: str, **headers: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status, headers=headers or None)

    async def answer(payload: object) -> JSONResponse:
        try:
            question, k, docs = parse_request(payload)
        except ValueError as e:  # QuestionError is one
            return error(400, str(e))
        try:
            ans = await gate.ask(question, k=k, docs=docs)
        except Busy as e:
            return error(503, str(e), **{"Retry-After": "1"})
        except ValueError as e:  # an unknown doc id
            return error(400, str(e))
        except Exception as e:  # an engine bug must not take the server down; the log keeps it
            log.exception("api question failed: %.200r", question)
            return error(500, f"the engine failed on this question ({type(e).__name__})")
        return JSONResponse(ans.to_dict())

    router = APIRouter()

    @router.post(ASK_PATH)
    async def ask_post(request: Request) -> JSONResponse:
        """Answer {"question", "k"?, "docs"?}; returns Answer.to_dict()."""
        body = await request.body()
        try:
            payload = json.loads(body)
        except ValueError as e:
            return error(400, f"the body is not JSON ({e}): {body[:80]!r}")
        return await answer(payload)

    @router.get(ASK_PATH)
    async def ask_get(request: Request) -> JSONResponse:
        """Answer ?question=...&k=...&doc=... (doc repeatable); returns Answer.to_dict()."""
        return await answer(query_payload(request.query_params))

    return router.routes
