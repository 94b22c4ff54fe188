import numpy as np
import pytest

from qa.embed import DEFAULT_MODEL, encode_passages, encode_queries, resolve_model_name
from qa.index import current_build
from qa.onnx_encoder import OnnxQueryEncoder

QUESTIONS = ["How many AI patents had Baidu filed?", "wechat launch", "x" * 3000, "Qui a fondé Alibaba ?"]


def test_default_model_is_the_bundled_minilm(monkeypatch):
    monkeypatch.delenv("QA_MODEL", raising=False)
    assert resolve_model_name() == DEFAULT_MODEL
    monkeypatch.setenv("QA_MODEL", "/models/mine")
    assert resolve_model_name() == "/models/mine"
    assert resolve_model_name("other") == "other"


def test_vectors_are_normalised_and_query_document_paths_agree():
    q = encode_queries(DEFAULT_MODEL, QUESTIONS)
    d = encode_passages(DEFAULT_MODEL, QUESTIONS)
    assert q.shape == (4, 384) and q.dtype == np.float32
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert np.allclose(q, d, atol=1e-5)


def test_onnx_question_encoders_match_torch(seed_index, monkeypatch):
    build = current_build(seed_index)
    torch_vecs = encode_queries(DEFAULT_MODEL, QUESTIONS)
    monkeypatch.setenv("QA_ONNX_PRECISION", "fp32")
    assert OnnxQueryEncoder.available(build)
    assert np.abs(OnnxQueryEncoder(build).encode(QUESTIONS) - torch_vecs).max() < 1e-4
    monkeypatch.setenv("QA_ONNX_PRECISION", "int8")
    int8 = OnnxQueryEncoder(build)
    assert int8.precision == "int8"
    # int8 drifts a little: cosine >= 0.94 on real questions, 0.88 on the degenerate "xxx…" one
    assert ((int8.encode(QUESTIONS) * torch_vecs).sum(axis=1) > 0.85).all()


def test_torch_backend_gives_the_same_answers_as_fp32_onnx(engine, monkeypatch):
    from qa.engine import Engine

    monkeypatch.setenv("QA_ONNX_PRECISION", "fp32")
    engine = Engine(engine.store, engine.model_name)
    monkeypatch.setenv("QA_BACKEND", "torch")
    torch_engine = Engine(engine.store, engine.model_name)
    assert torch_engine.onnx is None and engine.onnx is not None
    for q in ["Who coined the term Silicon Dragon?", "What was Huawei's revenue in 2020?"]:
        a, b = engine.ask(q).to_dict(), torch_engine.ask(q).to_dict()
        a.pop("elapsed_ms"), b.pop("elapsed_ms")
        assert a == b


def test_a_search_does_not_leave_the_next_passage_encode_on_one_thread(engine, monkeypatch):
    # torch and faiss share one OpenMP thread setting per thread: faiss's single search thread
    # used to leave a later index build (same thread, e.g. a stale ask()) encoding on one core.
    import faiss
    import torch

    from qa.embed import load_model

    monkeypatch.setenv("QA_THREADS", "2")
    monkeypatch.delenv("QA_FAISS_THREADS", raising=False)
    engine.ask("What is Cainiao?")
    assert faiss.omp_get_max_threads() == 1  # the search ran on faiss's one thread
    seen = []
    hook = load_model(DEFAULT_MODEL).register_forward_pre_hook(lambda m, args: seen.append(torch.get_num_threads()))
    try:
        encode_passages(DEFAULT_MODEL, ["Cainiao is Alibaba's logistics network.", "Tencent runs WeChat."])
    finally:
        hook.remove()
    assert seen and set(seen) == {2}
    engine.ask("What is Cainiao?")
    assert faiss.omp_get_max_threads() == 1  # and the encode did not leave faiss on two


def test_encode_slices_in_threads_give_encode_vectors_in_order(seed_index, monkeypatch):
    build = current_build(seed_index)
    enc = OnnxQueryEncoder(build)
    texts = [f"{q} ({i})" for i in range(9) for q in QUESTIONS[:2]] + ["Qui a fondé Alibaba ?"]
    alone = enc.encode(texts)
    for workers in ("2", "1"):
        monkeypatch.setenv("QA_ENCODE_WORKERS", workers)
        slices = list(enc.encode_slices(texts, step=4))
        assert [start for start, _ in slices] == ([0, 4, 8, 12, 16] if workers == "2" else [0])
        assert np.array_equal(np.concatenate([v for _, v in slices]), alone)
    # fewer slices queued ahead than there are: the rest are queued as the reader goes on
    monkeypatch.setattr("qa.onnx_encoder.AHEAD_PER_WORKER", 1)
    monkeypatch.setenv("QA_ENCODE_WORKERS", "2")
    slices = list(enc.encode_slices(texts, step=2))
    assert [start for start, _ in slices] == list(range(0, 19, 2))
    assert np.array_equal(np.concatenate([v for _, v in slices]), alone)
    assert np.array_equal(enc.encode(texts[:1])[0], alone[0])  # a batch of one is the same vector
    monkeypatch.setenv("QA_ENCODE_WORKERS", "zero")
    with pytest.raises(ValueError, match="QA_ENCODE_WORKERS must be an integer >= 1, got 'zero'"):
        list(enc.encode_slices(texts, step=4))
