import json
import logging
import shutil

import pytest

from qa.embed import DEFAULT_MODEL
from qa.errors import IndexCorruptError
from qa.index import build_index, current_build, load_store


@pytest.fixture()
def corpus_copy(seed_corpus, tmp_path):
    dest = tmp_path / "corpus"
    shutil.copytree(seed_corpus, dest)
    return dest


def test_index_folder_holds_manifest_faiss_bm25_and_tables(seed_index):
    build = current_build(seed_index)
    names = {p.name for p in build.iterdir()}
    assert {"manifest.json", "dense.faiss", "bm25", "chunks.npy", "sentences.npy",
            "chunk_vectors.npy", "sentence_vectors.npy", "documents.json", "names.json", "initials.npy"} <= names
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["model"] == DEFAULT_MODEL and manifest["dimension"] == 384
    assert manifest["chunking"] == {"min_words": 40, "max_words": 80, "overlap_sentences": 1}
    assert manifest["index_type"] == "flat" and manifest["format_version"] == 1
    assert set(manifest["documents"]) == {"000_75e6f8e2490986a5.txt", "002_a9c90683bbb9ddbb.txt"}
    assert all(len(h) == 64 for h in manifest["documents"].values())
    # only one build folder is left beside CURRENT
    assert [p.name for p in seed_index.iterdir() if p.is_dir()] == [build.name]


def test_store_chunks_are_verbatim_slices_of_their_documents(seed_index, seed_corpus):
    from qa.ingest import load_corpus

    texts = {d.doc_id: d.text for d in load_corpus(seed_corpus)}
    store = load_store(seed_index)
    for i in range(store.n_chunks):
        c = store.chunk(i)
        assert texts[c.doc_id][c.start:c.end] == c.text


def test_incremental_update_reembeds_only_what_changed(corpus_copy, tmp_path):
    index = tmp_path / "index"
    first = build_index(corpus_copy, index, DEFAULT_MODEL)
    assert (first.added, first.changed, first.removed) == (2, 0, 0)
    ids_before = {load_store(index).chunk(i).chunk_id for i in range(first.chunks)}

    (corpus_copy / "new.txt").write_text("Huawei opened a research centre in Munich in 2021.")
    with open(corpus_copy / "002_a9c90683bbb9ddbb.txt", "a") as fh:
        fh.write("\n\nAn added closing paragraph about SenseTime.")
    report = build_index(corpus_copy, index, DEFAULT_MODEL)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 0, 1)
    assert report.summary().startswith("1 added, 1 changed, 0 removed, ")
    store = load_store(index)
    ids_after = {store.chunk(i).chunk_id for i in range(store.n_chunks)}
    unchanged = {i for i in ids_before if i.startswith("000_")}
    assert unchanged <= ids_after

    (corpus_copy / "new.txt").unlink()
    report = build_index(corpus_copy, index, DEFAULT_MODEL)
    assert (report.added, report.changed, report.removed) == (0, 0, 1)


def test_a_retitled_document_is_reembedded_since_chunk_vectors_carry_the_title(corpus_copy, tmp_path):
    import numpy as np

    index = tmp_path / "index"
    build_index(corpus_copy, index, DEFAULT_MODEL)
    before = np.array(load_store(index).chunk_vectors)
    toml = corpus_copy / "sources.toml"
    toml.write_text(toml.read_text().replace(
        "China's high tech Covid-19 response", "Lessons from Chinese entrepreneurs"))
    report = build_index(corpus_copy, index, DEFAULT_MODEL)
    assert (report.added, report.changed, report.unchanged) == (0, 1, 1)
    store = load_store(index)
    assert store.documents["002_a9c90683bbb9ddbb.txt"].title.startswith("Lessons from")
    after = np.array(store.chunk_vectors)
    assert store.doc_ids == ["000_75e6f8e2490986a5.txt", "002_a9c90683bbb9ddbb.txt"]
    lo = int(store.doc_chunk_lo[1])
    assert np.array_equal(before[:lo], after[:lo])  # the other document's vectors were reused
    assert not np.allclose(before[lo:], after[lo:])


def test_a_build_killed_half_way_leaves_the_previous_index_usable(corpus_copy, tmp_path, monkeypatch):
    import qa.index as qindex

    index = tmp_path / "index"
    build_index(corpus_copy, index, DEFAULT_MODEL)
    before = current_build(index)
    (corpus_copy / "extra.txt").write_text("Tencent Cloud opened a data centre in Frankfurt.")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(qindex, "make_faiss_index", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus_copy, index, DEFAULT_MODEL)
    assert current_build(index) == before
    assert load_store(index).n_chunks > 0
    assert not [p for p in index.iterdir() if p.name.startswith(".tmp-")]


def test_corrupt_index_says_how_to_rebuild(corpus_copy, tmp_path):
    index = tmp_path / "index"
    build_index(corpus_copy, index, DEFAULT_MODEL)
    (current_build(index) / "dense.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError, match="qa index --rebuild"):
        load_store(index)
    build_index(corpus_copy, index, DEFAULT_MODEL, rebuild=True)
    initials = current_build(index) / "initials.npy"
    initials.write_bytes(initials.read_bytes()[:1000])  # truncated
    with pytest.raises(IndexCorruptError, match="qa index --rebuild"):
        load_store(index)
    (index / "CURRENT").write_text("b-missing")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        load_store(index)
    report = build_index(corpus_copy, index, DEFAULT_MODEL, rebuild=True)
    assert report.added == 2 and load_store(index).n_chunks == report.chunks


def test_ask_builds_a_missing_index_and_refreshes_a_stale_one(corpus_copy, tmp_path, caplog, monkeypatch):
    import qa.engine

    monkeypatch.setattr(qa.engine, "STALE_CHECK_SECONDS", 0.0)
    index = tmp_path / "index"
    from qa import ask

    with caplog.at_level(logging.WARNING, logger="qa"):
        ask("What is Cainiao?", corpus=corpus_copy, index=index)
    assert any("no index" in r.getMessage() for r in caplog.records)
    caplog.clear()
    (corpus_copy / "fresh.txt").write_text("Pinduoduo grew its agricultural sales to 270 billion yuan in 2020.")
    with caplog.at_level(logging.WARNING, logger="qa"):
        ans = ask("How much agricultural sales did Pinduoduo have?", corpus=corpus_copy, index=index)
    assert any("stale" in r.getMessage() for r in caplog.records)
    assert ans.citations[0].doc_id == "fresh.txt"


def test_an_index_switched_to_another_corpus_says_so(tmp_path, caplog):
    # ask(q, corpus=B) without index= shares ./index with corpus A: each switch rebuilds it.
    from qa.index import ensure_index

    index = tmp_path / "index"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.txt").write_text(f"Company {name.upper()} was founded in 2001 in Hangzhou.")
    ensure_index(tmp_path / "a", index, DEFAULT_MODEL)
    assert load_store(index).manifest["corpus"] == str((tmp_path / "a").resolve())
    with caplog.at_level(logging.WARNING, logger="qa"):
        ensure_index(tmp_path / "b", index, DEFAULT_MODEL)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert f"built from the corpus at {(tmp_path / 'a').resolve()}" in said and "--index" in said


def test_hnsw_index_gives_the_flat_index_answers_on_the_dev_set(seed_corpus, engine, tmp_path):
    # Every index type must answer alike: HNSW is approximate, but at efSearch 128 over the
    # seed corpus it should find the same 30 candidates as exact search, hence the same answers.
    from qa import get_engine
    from qa.evaluate import DEV_SET, load_questions

    index = tmp_path / "hnsw"
    report = build_index(seed_corpus, index, DEFAULT_MODEL, index_type="hnsw")
    assert report.index_type == "hnsw"
    hnsw = get_engine(seed_corpus, index)
    assert hnsw.store.manifest["index_type"] == "hnsw" and engine.store.manifest["index_type"] == "flat"
    assert type(hnsw.store.faiss_index).__name__ == "IndexHNSWFlat"
    questions = [r["question"] for r in load_questions(DEV_SET)]
    differ = []
    for q in questions:
        a, b = engine.ask(q).to_dict(), hnsw.ask(q).to_dict()
        a.pop("elapsed_ms"), b.pop("elapsed_ms")
        if a != b:
            differ.append(q)
    assert not differ, f"{len(differ)}/{len(questions)} dev answers differ, e.g. {differ[:3]}"
    # the document filter goes through HNSW's own search parameters
    only = ["002_a9c90683bbb9ddbb.txt"]
    a, b = engine.ask("What is Cainiao?", docs=only), hnsw.ask("What is Cainiao?", docs=only)
    assert {c.doc_id for c in b.citations} == set(only)
    assert [(c.doc_id, c.start) for c in a.citations] == [(c.doc_id, c.start) for c in b.citations]


def test_index_type_is_automatic_above_the_threshold_and_overridable(monkeypatch):
    import numpy as np

    import qa.index as qindex

    vecs = np.random.default_rng(0).standard_normal((40, 8)).astype(np.float32)
    monkeypatch.delenv("QA_INDEX_TYPE", raising=False)
    monkeypatch.setattr(qindex, "HNSW_THRESHOLD", 40)
    assert qindex.make_faiss_index(vecs)[1] == "flat"
    monkeypatch.setattr(qindex, "HNSW_THRESHOLD", 39)
    assert qindex.make_faiss_index(vecs)[1] == "hnsw"
    assert qindex.make_faiss_index(vecs, "flat")[1] == "flat"
    monkeypatch.setenv("QA_INDEX_TYPE", "flat")
    assert qindex.make_faiss_index(vecs)[1] == "flat"
    monkeypatch.setenv("QA_INDEX_TYPE", "ivf")
    with pytest.raises(ValueError, match="QA_INDEX_TYPE must be one of auto, flat, hnsw, got 'ivf'"):
        qindex.make_faiss_index(vecs)
    with pytest.raises(ValueError, match="index_type must be one of auto, flat, hnsw, got 'HNSW'"):
        qindex.resolve_index_type("HNSW")


def test_an_index_with_an_older_query_encoder_gets_it_exported_again_and_keeps_its_rows(seed_index, corpus_copy,
                                                                                         tmp_path, caplog):
    """The encoder files are stored graph-optimised (ENCODER_VERSION 2): a build made before
    has them exported again at its next load, without re-embedding any document."""
    import onnx

    from qa.index import ensure_index
    from qa.onnx_encoder import ENCODER_VERSION, INT8_FILE

    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    build = current_build(index)
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["query_encoder_version"] == ENCODER_VERSION
    # what an ENCODER_VERSION 1 build looked like: no version in its manifest
    del manifest["query_encoder_version"]
    (build / "manifest.json").write_text(json.dumps(manifest))
    vectors = load_store(index).chunk_vectors.copy()
    with caplog.at_level(logging.WARNING, logger="qa"):
        store = ensure_index(corpus_copy, index, DEFAULT_MODEL)
    assert any("query encoder format changed" in r.getMessage() for r in caplog.records)
    assert any("0 added, 0 changed, 0 removed" in r.getMessage() for r in caplog.records)
    assert store.manifest["query_encoder_version"] == ENCODER_VERSION
    assert store.path != build and (store.chunk_vectors == vectors).all()
    # stored already optimised: fused onnxruntime kernels, far fewer nodes than the ~800 of
    # the plain quantised export
    graph = onnx.load(str(store.path / INT8_FILE)).graph
    assert len(graph.node) < 500 and any(n.op_type == "DynamicQuantizeMatMul" for n in graph.node)
