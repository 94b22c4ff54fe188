"""The public contract of ask()/ask_many() and Answer.to_dict(), on the real model and index."""
import pytest

from qa import Answer, QuestionError, ask, ask_many

CONTRACT_KEYS = {"question", "answer", "abstained", "confidence", "citations"}
CITATION_KEYS = {"n", "doc_id", "title", "text", "start", "end", "page", "score", "answer_start", "answer_end"}


@pytest.fixture(scope="module")
def docs_text(seed_corpus):
    from qa.ingest import load_corpus

    return {d.doc_id: d.text for d in load_corpus(seed_corpus)}


def check_contract(d: dict, k: int, docs_text: dict) -> None:
    assert CONTRACT_KEYS <= set(d)
    assert isinstance(d["question"], str) and isinstance(d["abstained"], bool)
    assert 0.0 <= d["confidence"] <= 1.0
    assert (d["answer"] is None) == d["abstained"]
    assert 1 <= len(d["citations"]) <= k
    spans = []
    for n, c in enumerate(d["citations"], start=1):
        assert CITATION_KEYS <= set(c) and c["n"] == n
        # every cited passage is verbatim text of its document at its offsets
        assert docs_text[c["doc_id"]][c["start"]:c["end"]] == c["text"]
        for doc, s, e in spans:
            assert not (doc == c["doc_id"] and s < c["end"] and c["start"] < e), "overlapping citations"
        spans.append((c["doc_id"], c["start"], c["end"]))
    if d["answer"] is not None:
        first = d["citations"][0]
        assert first["text"][first["answer_start"]:first["answer_end"]] == d["answer"]
        assert all(c["answer_start"] is None for c in d["citations"][1:])
    else:
        assert all(c["answer_start"] is None and c["answer_end"] is None for c in d["citations"])


def test_the_issue_example_is_answered_verbatim_with_offsets(engine, seed_corpus, seed_index, docs_text):
    ans = ask("How many AI patents had Baidu filed by October 2019?", corpus=seed_corpus, index=seed_index)
    assert isinstance(ans, Answer) and not ans.abstained
    assert "5,712 patents in total, as of October 2019" in ans.answer
    check_contract(ans.to_dict(), 5, docs_text)


@pytest.mark.parametrize("k", [1, 3, 5, 8])
def test_contract_holds_for_any_k(engine, docs_text, k):
    for q in ["Who coined the term Silicon Dragon?", "What was Huawei's revenue in 2020?", "health code colours"]:
        check_contract(engine.ask(q, k=k).to_dict(), k, docs_text)


def test_unanswerable_question_abstains_but_still_shows_closest_passages(engine, docs_text):
    ans = engine.ask("What was Huawei's revenue in 2020?")
    assert ans.abstained and ans.answer is None and ans.confidence < 0.5
    assert ans.citations
    check_contract(ans.to_dict(), 5, docs_text)


def test_ask_is_ask_many_of_one(engine):
    qs = ["When was Taobao launched?", "what is cainiao", "Who founded ByteDance?"]
    many = engine.ask_many(qs)
    for q, a in zip(qs, many):
        one = engine.ask(q).to_dict()
        other = a.to_dict()
        one.pop("elapsed_ms"), other.pop("elapsed_ms")
        assert one == other


@pytest.mark.parametrize("workers", ["2", "1"])
def test_ask_many_of_the_dev_set_is_ask_of_each(engine, monkeypatch, workers):
    """With encoder threads (2) or without (1), a large batch answers exactly as one by one."""
    from qa.evaluate import DEV_SET, load_questions

    monkeypatch.setenv("QA_ENCODE_WORKERS", workers)
    qs = [row["question"] for row in load_questions(DEV_SET)]
    many = [a.to_dict() for a in engine.ask_many(qs)]
    if workers == "2":
        assert engine.onnx is not None and engine.onnx._pool is not None  # the threads did run
    for q, other in zip(qs, many):
        one = engine.ask(q).to_dict()
        one.pop("elapsed_ms"), other.pop("elapsed_ms")
        assert one == other, q


@pytest.mark.parametrize("bad, match", [("", "empty"), ("   \n\t", "empty"), (None, "string"),
                                         ("x" * 2001, "2,001 characters"),
                                         ("who \ud800 founded Baidu", "invalid character")])
def test_bad_questions_raise_with_the_value(seed_corpus, seed_index, bad, match):
    with pytest.raises(QuestionError, match=match):
        ask(bad, corpus=seed_corpus, index=seed_index)
    with pytest.raises(ValueError):
        ask_many(["fine question", bad], corpus=seed_corpus, index=seed_index)


@pytest.mark.parametrize("k", [0, -1, 2.5, "3", True])
def test_bad_k_raises_with_the_value(seed_corpus, seed_index, k):
    with pytest.raises(ValueError, match=f"got {k!r}"):
        ask("What is Alipay?", k=k, corpus=seed_corpus, index=seed_index)


def test_doc_filter_is_applied_in_retrieval(engine):
    covid = "002_a9c90683bbb9ddbb.txt"
    ans = engine.ask("Which company did Baidu sign contracts with?", docs=[covid])
    assert ans.citations and all(c.doc_id == covid for c in ans.citations)
    with pytest.raises(ValueError, match="nope.txt"):
        engine.ask("anything", docs=["nope.txt"])


def test_model_loads_once_per_process(engine):
    from qa.embed import DEFAULT_MODEL, load_model

    assert load_model(DEFAULT_MODEL) is load_model(DEFAULT_MODEL)
    before = load_model.cache_info().misses
    engine.ask("What is City Brain?")
    assert load_model.cache_info().misses == before


def test_ask_stream_gives_ask_many_answers_in_order_and_checks_its_arguments_at_once(engine, monkeypatch):
    from qa.evaluate import DEV_SET, load_questions

    monkeypatch.setenv("QA_ENCODE_WORKERS", "2")
    qs = [row["question"] for row in load_questions(DEV_SET)][:120]
    many = [a.to_dict() for a in engine.ask_many(qs)]
    stream = engine.ask_stream(qs)
    streamed = [a.to_dict() for a in stream]
    for a, b in zip(many, streamed):
        a.pop("elapsed_ms"), b.pop("elapsed_ms")
    assert streamed == many
    # a reader that stops early leaves no work behind that breaks the next call
    partial = engine.ask_stream(qs)
    assert next(partial).question == qs[0].strip()
    partial.close()
    assert engine.ask(qs[5]).answer == many[5]["answer"]
    with pytest.raises(QuestionError, match="empty"):
        engine.ask_stream(["What is Cainiao?", " "])  # before anything is read
    with pytest.raises(ValueError, match="k must be"):
        engine.ask_stream(["What is Cainiao?"], k=0)
    assert list(engine.ask_stream([])) == []


def test_ask_many_and_ask_stream_take_any_iterable_of_questions(seed_corpus, seed_index):
    from qa import ask_many, ask_stream

    qs = ["Who coined the term Silicon Dragon?", "When was Taobao launched?"]
    as_list = [a.answer for a in ask_many(qs, corpus=seed_corpus, index=seed_index)]
    assert all(as_list)
    assert [a.answer for a in ask_many((q for q in qs), corpus=seed_corpus, index=seed_index)] == as_list
    assert [a.answer for a in ask_many(iter(qs), corpus=seed_corpus, index=seed_index)] == as_list
    assert [a.answer for a in ask_stream(map(str, qs), corpus=seed_corpus, index=seed_index)] == as_list


def test_answers_compare_by_content_and_print_short(engine):
    import numpy as np

    q = "Who coined the term Silicon Dragon?"
    first, second = engine.ask(q), engine.ask(q, k=np.int64(5))  # any integer type for k
    assert first == second and hash(first) == hash(second)  # elapsed_ms is timing, not content
    assert first != engine.ask(q, k=2)
    shown = repr(first)
    assert len(shown) < 600 and "[1]" in shown  # it was 4,361 characters: every passage in full
    assert "abstained" in repr(engine.ask("How many AI patents had Samsung filed?"))


def test_an_engine_being_built_does_not_hold_up_another(seed_corpus, seed_index, tmp_path):
    import threading

    import qa.engine
    from qa.embed import DEFAULT_MODEL, resolve_model_name

    # Stand-in for a long build of corpus B: its engine's lock is held.
    b_corpus, b_index = (tmp_path / "b").resolve(), (tmp_path / "b-index").resolve()
    key = (str(b_corpus), str(b_index), resolve_model_name(DEFAULT_MODEL))
    with qa.engine._lock:
        b_lock = qa.engine._engine_locks.setdefault(key, threading.Lock())
    answered = []
    with b_lock:
        worker = threading.Thread(target=lambda: answered.append(ask("What is Cainiao?", corpus=seed_corpus,
                                                                      index=seed_index)))
        worker.start()
        worker.join(timeout=60)
        assert answered and answered[0].citations  # answered while B's lock was held
