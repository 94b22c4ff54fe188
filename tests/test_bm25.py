"""qa.bm25 reads bm25s's saved index without bm25s: its scores and the answers must not change."""
import dataclasses
import subprocess
import sys

import numpy as np
import pytest


@pytest.fixture(scope="module")
def dev_questions():
    from qa.evaluate import DEV_SET, load_questions

    return [row["question"] for row in load_questions(DEV_SET)]


@pytest.fixture(scope="module")
def bm25s_index(engine):
    import bm25s

    return bm25s.BM25.load(str(engine.store.path / "bm25"), mmap=True, show_progress=False)


def test_scores_equal_bm25s_bit_for_bit_on_the_dev_questions(engine, bm25s_index, dev_questions):
    from qa.aliases import expand_aliases

    ours = engine.store.bm25
    assert ours.vocab_dict == bm25s_index.vocab_dict
    store = engine.store
    first_doc = np.zeros(store.n_chunks, dtype=np.float32)
    first_doc[: int(store.doc_chunk_lo[1])] = 1.0  # a document filter, as the retriever builds it
    for q in dev_questions:
        terms = [t for t in engine.retriever.parse(q, expand_aliases(q)).terms if t in ours.vocab_dict]
        if not terms:
            continue
        for mask in (None, first_doc):
            got, want = ours.get_scores(terms, weight_mask=mask), bm25s_index.get_scores(terms, weight_mask=mask)
            assert got.dtype == want.dtype and np.array_equal(got, want), q


def test_answers_equal_those_with_bm25s_loaded(engine, bm25s_index, dev_questions):
    from qa.engine import Engine

    with_bm25s = Engine(dataclasses.replace(engine.store, bm25=bm25s_index), engine.model_name)
    for ours, theirs in zip(engine.ask_many(dev_questions), with_bm25s.ask_many(dev_questions)):
        a, b = ours.to_dict(), theirs.to_dict()
        a.pop("elapsed_ms"), b.pop("elapsed_ms")
        assert a == b, a["question"]


def test_unknown_tokens_are_left_out_and_no_tokens_score_zero(engine):
    bm25 = engine.store.bm25
    known = next(iter(bm25.vocab_dict))
    assert np.array_equal(bm25.get_scores([known, "zzzunknownzzz"]), bm25.get_scores([known]))
    assert not bm25.get_scores([]).any()


def test_a_bm25_variant_with_nonoccurrence_scores_is_refused(tmp_path):
    import bm25s

    from qa.bm25 import Bm25Scores

    index = bm25s.BM25(method="bm25l")
    index.index([["alibaba", "taobao"], ["tencent", "wechat"]], show_progress=False)
    index.save(str(tmp_path / "bm25"), show_progress=False)
    with pytest.raises(ValueError, match="bm25l"):
        Bm25Scores(tmp_path / "bm25")


def test_answering_imports_neither_bm25s_scipy_nor_torch(seed_corpus, seed_index):
    code = ("import sys; from qa import get_engine\n"
            f"get_engine({str(seed_corpus)!r}, {str(seed_index)!r}).ask('What is Cainiao?')\n"
            "print([m for m in ('bm25s', 'scipy', 'torch', 'sentence_transformers', 'tqdm') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
