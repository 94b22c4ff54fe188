"""The JSON route beside the chat (qa/api.py): a real server on 127.0.0.1, real HTTP requests."""
from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from qa.api import ASK_PATH, api_routes, parse_request, query_payload


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, body: object = None, *, raw: bytes | None = None, query: dict | None = None) -> tuple[int, dict]:
    """(status, JSON body) of a POST (body given) or GET (query given) to the route."""
    target = url.rstrip("/") + ASK_PATH
    if query is not None:
        req = urllib.request.Request(target + "?" + urllib.parse.urlencode(query, doseq=True))
    else:
        data = raw if raw is not None else json.dumps(body).encode()
        req = urllib.request.Request(target, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def launch(engine, **limits) -> tuple[object, str]:
    from qa.ui import build_app, launch_app

    app = build_app(engine)
    url = launch_app(app, "127.0.0.1", free_port(), routes=api_routes(engine, **limits), prevent_thread_lock=True)
    return app, url


@pytest.fixture(scope="module")
def server(engine):
    app, url = launch(engine)
    yield url
    app.close()


def without_time(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "elapsed_ms"}


def test_post_returns_the_answer_dict_of_ask(server, engine):
    q = "How many AI patents had Baidu filed?"
    status, got = call(server, {"question": q})
    assert status == 200
    assert without_time(got) == without_time(engine.ask(q).to_dict())
    assert "5,712" in got["answer"] and got["elapsed_ms"] > 0
    status, two = call(server, {"question": q, "k": 2, "docs": ["000_75e6f8e2490986a5.txt"]})
    assert status == 200
    assert without_time(two) == without_time(engine.ask(q, k=2, docs=["000_75e6f8e2490986a5.txt"]).to_dict())


def test_get_takes_the_same_fields_as_query_parameters(server, engine):
    q = "What is Cainiao?"
    status, got = call(server, query={"question": q, "k": "3", "doc": ["000_75e6f8e2490986a5.txt"]})
    assert status == 200
    assert without_time(got) == without_time(engine.ask(q, k=3, docs=["000_75e6f8e2490986a5.txt"]).to_dict())


@pytest.mark.parametrize("body, message", [
    ({"question": "   "}, "question is empty"),
    ({"question": "why " * 600}, "limit is 2,000"),
    ({"question": 42}, "question must be a string, got int"),
    ({"question": "What is Cainiao?", "k": 0}, "k must be an integer >= 1, got 0"),
    ({"question": "What is Cainiao?", "k": "3"}, "k must be an integer >= 1, got '3'"),
    ({"question": "What is Cainiao?", "docs": ["nope.txt"]}, "unknown doc_id(s) ['nope.txt']"),
    ({"question": "What is Cainiao?", "docs": "a.txt"}, "docs must be a list of doc_id strings, got 'a.txt'"),
    ({"q": "What is Cainiao?"}, "unknown field(s) ['q']"),
    ({}, 'the field "question" is missing'),
    (["What is Cainiao?"], "the body must be a JSON object"),
])
def test_bad_requests_get_400_with_the_reason(server, body, message):
    status, got = call(server, body)
    assert status == 400
    assert set(got) == {"error"} and message in got["error"]


def test_bad_json_and_bad_query_k_get_400(server):
    status, got = call(server, raw=b"{question: oops")
    assert status == 400 and "the body is not JSON" in got["error"]
    status, got = call(server, query={"question": "What is Cainiao?", "k": "many"})
    assert status == 400 and got["error"] == "k must be an integer >= 1, got 'many'"


def test_the_gradio_api_still_answers_beside_the_route(server):
    from gradio_client import Client

    result = Client(server, verbose=False).predict("What is Baidu's Apollo project?", api_name="/ask")
    assert "Apollo" in result["answer"]


class GatedEngine:
    """Holds every question until the gate opens, to fill the route's one worker."""

    documents: list = []

    def __init__(self, engine):
        self.engine, self.gate, self.started = engine, threading.Event(), threading.Event()

    def ask(self, question, k=5, docs=None):
        self.started.set()
        self.gate.wait(30)
        return self.engine.ask(question, k=k, docs=docs)


def test_a_full_route_says_busy_with_503_and_recovers(engine):
    gated = GatedEngine(engine)
    app, url = launch(gated, concurrency=1, max_waiting=1)
    try:
        results: list = []
        first = threading.Thread(target=lambda: results.append(call(url, {"question": "What is Cainiao?"})))
        first.start()
        assert gated.started.wait(30)
        second = threading.Thread(target=lambda: results.append(call(url, {"question": "What is Cainiao?"})))
        second.start()
        time.sleep(0.5)  # the second is now waiting for the worker
        status, got = call(url, {"question": "What is Cainiao?"})
        assert status == 503 and "busy" in got["error"]
        gated.gate.set()
        first.join(30), second.join(30)
        assert [s for s, _ in results] == [200, 200]
        assert call(url, {"question": "What is Cainiao?"})[0] == 200
    finally:
        gated.gate.set()
        app.close()


def test_parse_request_and_query_payload_without_a_server():
    assert parse_request({"question": "  What is Cainiao? "}) == ("What is Cainiao?", 5, None)
    assert parse_request({"question": "x", "k": 2, "docs": []}) == ("x", 2, None)
    with pytest.raises(ValueError, match="k must be an integer >= 1, got True"):
        parse_request({"question": "x", "k": True})
    from starlette.datastructures import QueryParams

    assert query_payload(QueryParams("question=x&k=3&doc=a&doc=b")) == {"question": "x", "k": 3, "docs": ["a", "b"]}
    assert query_payload(QueryParams("question=x&k=-1")) == {"question": "x", "k": "-1"}


def test_route_limits_are_validated(engine):
    with pytest.raises(ValueError, match="concurrency must be an integer >= 1, got 0"):
        api_routes(engine, concurrency=0)
    with pytest.raises(ValueError, match="max_waiting must be an integer >= 0, got -1"):
        api_routes(engine, max_waiting=-1)


def test_a_running_server_answers_from_a_file_added_to_the_corpus(seed_corpus, tmp_path, monkeypatch):
    import shutil

    import qa.engine
    from qa.engine import LiveEngine

    monkeypatch.setattr(qa.engine, "STALE_CHECK_SECONDS", 0.0)
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_corpus, corpus)
    app, url = launch(LiveEngine(corpus, tmp_path / "index"))
    try:
        q = "How much agricultural sales did Pinduoduo have in 2020?"
        status, before = call(url, {"question": q})
        assert status == 200 and "fresh.txt" not in {c["doc_id"] for c in before["citations"]}
        (corpus / "fresh.txt").write_text("Pinduoduo grew its agricultural sales to 270 billion yuan in 2020. "
                                          "The platform connects farmers with buyers across China.")
        status, after = call(url, {"question": q})
        assert status == 200 and after["citations"][0]["doc_id"] == "fresh.txt"
        assert "270 billion" in after["citations"][0]["text"]
    finally:
        app.close()
