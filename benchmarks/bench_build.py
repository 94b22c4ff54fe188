"""Index-build worker for section 5, in a fresh process as `qa index` would run.

    python benchmarks/bench_build.py WORKDIR N_DOCS

Writes a corpus of N_DOCS recombined seed documents into WORKDIR/corpus, times
qa.index.build_index(rebuild=True) with the time inside encode_passages (and the ONNX export)
measured from outside, then the bare encode_passages of the same chunk and sentence texts
in another fresh process (the first encodes of a process run ~10 % slower than later ones
here, so a bare encode after the build would flatter it) and again in this warm one, then
incremental re-index after one document changes and after none does. Prints one JSON
object (last stdout line).

    python benchmarks/bench_build.py --bare TEXTS.json   (the bare encode alone, for the above)
"""
from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import dir_size_mb, run_worker, seed_paragraphs, write_recombined_corpus  # noqa: E402


def measure(work: Path, n_docs: int) -> dict:
    import torch

    from qa.embed import DEFAULT_MODEL, encode_passages, load_model
    from qa.index import build_index, load_store

    load_model(DEFAULT_MODEL)  # the model load is not part of the build figure
    threads_at_start = torch.get_num_threads()
    corpus = work / "corpus"
    index = work / "index"
    nbytes = write_recombined_corpus(corpus, n_docs, seed_paragraphs(), seed=5)
    res: dict = {"documents": n_docs, "corpus_mb": round(nbytes / 1e6, 2),
                 "corpus_note": f"{n_docs} .txt documents, each 8-16 paragraphs of the seed corpus "
                                "drawn at random and shuffled (recombined, seed 5)"}
    t0 = time.perf_counter()
    embedded: list[list[str]] = []
    with _timed_calls(embedded) as inside:
        report = build_index(corpus, index, DEFAULT_MODEL, rebuild=True)
    build_s = time.perf_counter() - t0
    res["inside_build_s"] = {k: round(v, 2) for k, v in inside.items()}
    store = load_store(index)
    # The bare encode is of exactly the texts the build embedded: chunks under their
    # document's title, sentences with a leading pronoun read as the name it stands for.
    chunk_texts, sent_texts = embedded
    assert len(chunk_texts) == store.n_chunks, (len(chunk_texts), store.n_chunks)
    raw_chunk_chars = sum(len(store.chunk_text(i)) for i in range(store.n_chunks))
    res["embedded_chars_vs_chunk_text"] = round(sum(map(len, chunk_texts)) / max(raw_chunk_chars, 1), 3)
    texts_file = work / "embedded_texts.json"
    texts_file.write_text(json.dumps([chunk_texts, sent_texts]), encoding="utf-8")
    cold = run_worker(Path(__file__), ["--bare", str(texts_file)], timeout=3600, label="bare encode")
    if "error" in cold:
        raise RuntimeError(cold["error"])
    enc_chunks, enc_sents = cold["chunks_s"], cold["sentences_s"]
    enc = enc_chunks + enc_sents
    warm = bare_encode(chunk_texts, sent_texts)
    res["warm_bare_encode_s"] = round(warm["chunks_s"] + warm["sentences_s"], 2)
    res.update({
        "chunks": store.n_chunks, "sentences": len(sent_texts), "build_s": round(build_s, 2),
        "chunks_per_s": round(store.n_chunks / build_s, 1),
        "bare_encode_chunks_s": round(enc_chunks, 2), "bare_encode_sentences_s": round(enc_sents, 2),
        "bare_encode_s": round(enc, 2),
        "bare_chunks_per_s": round(store.n_chunks / enc_chunks, 1),
        "bare_texts_per_s": round((store.n_chunks + len(sent_texts)) / enc, 1),
        "overhead_vs_encode_chunks_and_sentences": round(build_s / enc - 1, 4),
        "overhead_vs_encode_chunks_only": round(build_s / enc_chunks - 1, 4),
        "non_encode_s": round(build_s - enc, 2),
        "index_disk_mb": dir_size_mb(index), "report": report.to_dict(),
    })
    # Incremental: one document changes (a paragraph appended), then nothing changes.
    victim = sorted(corpus.glob("*.txt"))[n_docs // 2]
    victim.write_text(victim.read_text(encoding="utf-8") + "\nA paragraph added for the incremental "
                      "re-index benchmark, about nothing in particular, long enough to be a sentence.\n",
                      encoding="utf-8")
    t0 = time.perf_counter()
    inc = build_index(corpus, index, DEFAULT_MODEL)
    res["incremental_one_changed_s"] = round(time.perf_counter() - t0, 2)
    res["incremental_report"] = inc.to_dict()
    t0 = time.perf_counter()
    none = build_index(corpus, index, DEFAULT_MODEL)
    res["incremental_nothing_changed_s"] = round(time.perf_counter() - t0, 2)
    res["nothing_changed_report"] = none.to_dict()
    res["rebuild_after_ask"] = rebuild_after_ask(corpus, index, res["warm_bare_encode_s"])
    if res["overhead_vs_encode_chunks_and_sentences"] > 0.15:
        res["profile_top"] = profile_build(corpus, work / "index-profiled")
    res["torch_threads"] = threads_at_start
    res["torch_threads_at_end"] = torch.get_num_threads()
    return res


def bare_encode(chunk_texts: list[str], sent_texts: list[str]) -> dict:
    from qa.embed import DEFAULT_MODEL, encode_passages, load_model

    load_model(DEFAULT_MODEL)
    out = {}
    for key, texts in (("chunks_s", chunk_texts), ("sentences_s", sent_texts)):
        t0 = time.perf_counter()
        encode_passages(DEFAULT_MODEL, texts)
        out[key] = round(time.perf_counter() - t0, 2)
    return out


def rebuild_after_ask(corpus: Path, index: Path, bare_encode_s: float) -> dict:
    """A rebuild in a process that has already answered (as `qa serve` or a stale ask() does):
    faiss and torch share one OpenMP setting per thread, so faiss's one search thread once
    left the rebuild's encode on one core. Compared with the bare encode above."""
    import torch

    import qa.embed
    from qa.embed import DEFAULT_MODEL
    from qa.engine import get_engine
    from qa.index import build_index

    get_engine(corpus, index).ask("What is Cainiao?")
    threads_seen = []
    encode = qa.embed.encode_passages

    def encode_noting_threads(*a, **kw):
        out = encode(*a, **kw)
        threads_seen.append(torch.get_num_threads())  # what the encode just ran with
        return out

    qa.embed.encode_passages = encode_noting_threads
    try:
        with _timed_calls() as inside:
            build_index(corpus, index, DEFAULT_MODEL, rebuild=True)
    finally:
        qa.embed.encode_passages = encode
    enc = sum(v for k, v in inside.items() if k.startswith("encode"))
    return {"encode_s": round(enc, 2), "vs_bare_encode": round(enc / bare_encode_s, 3),
            "torch_threads_in_encode": threads_seen}


def profile_build(corpus: Path, dest: Path) -> dict:
    """Own time of the top functions of a rebuild (cProfile), to say where non-encode time goes."""
    import cProfile
    import pstats

    from qa.embed import DEFAULT_MODEL
    from qa.index import build_index

    prof = cProfile.Profile()
    prof.enable()
    build_index(corpus, dest, DEFAULT_MODEL, rebuild=True)
    prof.disable()
    stats = pstats.Stats(prof).stats
    top = sorted(stats.items(), key=lambda kv: -kv[1][2])[:15]
    return {f"{Path(f).name}:{name}": round(v[2], 2) for (f, _, name), v in top}


@contextlib.contextmanager
def _timed_calls(embedded: list | None = None):
    """Time the build's big steps from outside: wrap the functions build_index looks up at call
    time (qa.embed.encode_passages, qa.index.export_query_encoder when present), restore after.
    With `embedded`, the text lists given to encode_passages are appended to it."""
    import qa.embed
    import qa.index

    spent: dict[str, float] = {}
    patched = []

    def wrap(module, attr: str, label: str):
        fn = getattr(module, attr, None)
        if fn is None:
            return

        def timed(*a, **kw):
            if embedded is not None and attr == "encode_passages":
                embedded.append(list(a[1]))
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0

        setattr(module, attr, timed)
        patched.append((module, attr, fn))

    wrap(qa.embed, "encode_passages", "encode_passages (chunks + sentences)")
    wrap(qa.index, "export_query_encoder", "ONNX query-encoder export")
    try:
        yield spent
    finally:
        for module, attr, fn in patched:
            setattr(module, attr, fn)


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    if sys.argv[1] == "--bare":
        print(json.dumps(bare_encode(*json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")))))
    else:
        print(json.dumps(measure(Path(sys.argv[1]), int(sys.argv[2]))))
