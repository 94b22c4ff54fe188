"""Scaling worker: one size, one phase, in its own process so RSS is that size's alone.

    python benchmarks/bench_scale.py build  N WORKDIR BASE_INDEX_BUILD [--hnsw-budget S]
    python benchmarks/bench_scale.py query  N WORKDIR flat|hnsw BASE_INDEX_BUILD
    python benchmarks/bench_scale.py engine-build N WORKDIR BASE_INDEX_BUILD [--hnsw-threshold T]
    python benchmarks/bench_scale.py engine-query N WORKDIR

Synthetic data (encoding a million texts would take hours on 2 cores, so vectors are made,
not encoded). A synthetic chunk is 2-4 random real sentences of the seed corpus; its text is
those sentences joined and its vector is the mean of their stored sentence vectors plus
Gaussian noise (sigma 0.02 per dimension), re-normalised. Texts and vectors therefore agree
roughly, and no two vectors coincide. The vocabulary stays the seed corpus's (~2k terms), so
BM25 posting lists are denser than a real corpus of that size would have: a pessimistic case
for BM25 latency.

Queries are the dev-set questions, encoded for real by the parent (queries.npy, terms.json).

The engine phases build a real index folder with qa.index.build_index over a synthetic
corpus of recombined seed paragraphs, with qa.embed.encode_passages replaced by the same
stored-vector lookup, then load it with get_engine() and time the real ask().

Prints one JSON object (the last stdout line).
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import dir_size_mb, latency_summary, proc_status_mb  # noqa: E402

NOISE = 0.02
CANDIDATES = 30  # as qa.retrieve.CANDIDATES: the engine asks FAISS and BM25 for 30 each
ROUNDS = 3


def base_material(build_dir: Path) -> tuple[list[str], np.ndarray]:
    """The seed index's sentence texts and their stored vectors."""
    from qa.index import _read_build

    store = _read_build(Path(build_dir))
    texts = []
    rows = np.asarray(store.chunk_rows)
    seen = set()
    for i in range(store.n_chunks):
        r = rows[i]
        chunk = store.chunk_text(i)
        for s in range(int(r["sent_lo"]), int(r["sent_hi"])):
            if s in seen:
                continue
            seen.add(s)
            _, a, b = store.sentences[s]
            texts.append((s, chunk[int(a) - int(r["start"]): int(b) - int(r["start"])]))
    texts.sort()
    vecs = np.asarray(store.sentence_vectors, dtype=np.float32)
    return [t for _, t in texts], vecs[[s for s, _ in texts]]


def synthetic(n: int, sent_texts: list[str], sent_vecs: np.ndarray, seed: int = 0, sent_tokens=None):
    """N (text, vector) pairs; with sent_tokens, also each text's tokens (joined per sentence:
    the tokenizer works word by word, so this equals tokenising the joined text, 100x faster)."""
    rng = np.random.default_rng(seed)
    texts, tokens = [], []
    vecs = np.empty((n, sent_vecs.shape[1]), dtype=np.float32)
    step = 100_000
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        m = hi - lo
        ks = rng.integers(2, 5, m)
        picks = rng.integers(0, len(sent_texts), (m, 4))
        mask = np.arange(4)[None, :] < ks[:, None]
        v = (sent_vecs[picks] * mask[:, :, None]).sum(1) / ks[:, None]
        v += rng.normal(0.0, NOISE, v.shape).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        vecs[lo:hi] = v
        rows = [row[:k] for row, k in zip(picks.tolist(), ks.tolist())]
        texts += [" ".join(sent_texts[j] for j in row) for row in rows]
        if sent_tokens is not None:
            tokens += [[t for j in row for t in sent_tokens[j]] or [""] for row in rows]
    return texts, vecs, tokens


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index.search(queries, k)[1]


# --- phase: build the FAISS and BM25 parts for N synthetic chunks --------------------------

def phase_build(n: int, work: Path, base_build: Path, hnsw_budget: float) -> dict:
    import bm25s
    import faiss

    from qa.index import make_faiss_index
    from qa.text import tokenize

    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building may use every core
    out: dict = {"n": n}
    t0 = time.perf_counter()
    sent_texts, sent_vecs = base_material(base_build)
    texts, vecs, tokens = synthetic(n, sent_texts, sent_vecs, sent_tokens=[tokenize(t) for t in sent_texts])
    out["generate_and_tokenize_s"] = round(time.perf_counter() - t0, 2)
    np.save(work / "chunk_vectors.npy", vecs)
    queries = np.load(work.parent / "queries.npy")
    t0 = time.perf_counter()
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    out["bm25_index_s"] = round(time.perf_counter() - t0, 2)
    bm25.save(str(work / "bm25"), show_progress=False)
    out["bm25_disk_mb"] = dir_size_mb(work / "bm25")
    out["vocab"] = len(bm25.vocab_dict)
    del tokens, bm25, texts

    t0 = time.perf_counter()
    flat, _ = make_faiss_index(vecs, "flat")
    out["flat_build_s"] = round(time.perf_counter() - t0, 2)
    faiss.write_index(flat, str(work / "flat.faiss"))
    out["flat_disk_mb"] = round((work / "flat.faiss").stat().st_size / 1e6, 1)
    np.save(work / "exact_top10.npy", flat.search(queries, 10)[1])
    del flat

    # HNSW construction is the slow part at 1M on 2 cores: add in slices and stop when the time
    # budget is spent, so the run stays bounded; the figures then say how far it got.
    t0 = time.perf_counter()
    hnsw, _ = make_faiss_index(vecs[:0], "hnsw")
    step = 50_000
    added = 0
    while added < n:
        hnsw.add(vecs[added: added + step])
        added = min(n, added + step)
        if time.perf_counter() - t0 > hnsw_budget and added < n:
            break
    out["hnsw_build_s"] = round(time.perf_counter() - t0, 2)
    out["hnsw_added"] = added
    out["hnsw_complete"] = added == n
    out["hnsw_build_vectors_per_s"] = round(added / out["hnsw_build_s"], 1)
    if added < n:
        out["hnsw_full_build_estimate_s"] = round(out["hnsw_build_s"] * n / added * math.log(n) / math.log(added), 0)
        np.save(work / "exact_top10_hnsw_subset.npy", exact_top(vecs[:added], queries))
    out["hnsw_params"] = {"M": int(hnsw.hnsw.nb_neighbors(1)), "efConstruction": hnsw.hnsw.efConstruction, "efSearch": hnsw.hnsw.efSearch}
    faiss.write_index(hnsw, str(work / "hnsw.faiss"))
    out["hnsw_disk_mb"] = round((work / "hnsw.faiss").stat().st_size / 1e6, 1)
    out["vectors_disk_mb"] = round((work / "chunk_vectors.npy").stat().st_size / 1e6, 1)
    out["build_peak_rss_mb"] = proc_status_mb("VmHWM")
    return out


# --- phase: query one index type as the engine would ----------------------------------------

def load_query_encoder(base_build: Path) -> str:
    """Load what the engine would hold for questions (its RSS counts): ONNX if the index has it."""
    try:
        from qa.onnx_encoder import OnnxQueryEncoder
    except ImportError:
        OnnxQueryEncoder = None
    if OnnxQueryEncoder is not None and OnnxQueryEncoder.available(base_build):
        OnnxQueryEncoder(base_build).encode(["warm up"])
        return "onnx"
    from qa.embed import DEFAULT_MODEL, load_model

    load_model(DEFAULT_MODEL).encode(["warm up"])
    return "torch"


def phase_query(n: int, work: Path, kind: str, base_build: Path) -> dict:
    import bm25s
    import faiss

    out: dict = {"n": n, "kind": kind, "rss_start_mb": proc_status_mb()}
    t0 = time.perf_counter()
    out["query_encoder"] = load_query_encoder(base_build)  # a serving process holds it too
    faiss.omp_set_num_threads(1)  # as the engine: faiss single-threaded
    out["model_load_s"] = round(time.perf_counter() - t0, 2)
    out["rss_with_model_mb"] = proc_status_mb()
    t0 = time.perf_counter()
    index = faiss.read_index(str(work / f"{kind}.faiss"))
    bm25 = bm25s.BM25.load(str(work / "bm25"), mmap=True, show_progress=False)
    vectors = np.load(work / "chunk_vectors.npy", mmap_mode="r")
    out["index_load_s"] = round(time.perf_counter() - t0, 2)
    out["rss_loaded_mb"] = proc_status_mb()
    queries = np.load(work.parent / "queries.npy")
    terms = json.loads((work.parent / "terms.json").read_text())
    vocab = bm25.vocab_dict
    terms = [[t for t in ts if t in vocab] for ts in terms]
    total = index.ntotal

    faiss_t, bm25_t, all_t = [], [], []
    for rnd in range(ROUNDS + 1):
        for qi in range(len(queries)):
            q = queries[qi: qi + 1]
            t0 = time.perf_counter()
            _, ids = index.search(q, CANDIDATES)
            t1 = time.perf_counter()
            lex = bm25.get_scores(terms[qi]) if terms[qi] else np.zeros(total, np.float32)
            top = np.argpartition(-lex, CANDIDATES)[:CANDIDATES]
            t2 = time.perf_counter()
            cand = np.unique(np.concatenate([ids[0][ids[0] >= 0], top]))
            _ = vectors[cand] @ q[0]  # the engine re-scores the union of candidates densely
            t3 = time.perf_counter()
            if rnd:  # round 0 is the warm-up (page cache, mmap faults)
                faiss_t.append(t1 - t0)
                bm25_t.append(t2 - t1)
                all_t.append(t3 - t0)
    out["faiss"] = latency_summary(faiss_t)
    out["bm25"] = latency_summary(bm25_t)
    out["total"] = latency_summary(all_t)
    if kind == "hnsw":
        _, approx = index.search(queries, 10)
        subset = work / "exact_top10_hnsw_subset.npy"
        exact = np.load(subset if total < n else work / "exact_top10.npy")
        out["recall_at_10"] = round(float(np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)])), 4)
        out["recall_measured_on"] = total
    out["rss_end_mb"] = proc_status_mb()
    out["rss_anon_mb"], out["rss_file_mb"] = proc_status_mb("RssAnon"), proc_status_mb("RssFile")
    out["peak_rss_mb"] = proc_status_mb("VmHWM")
    return out


# --- engine phases: the real build_index and ask() at size N -------------------------------

class StoredVectors:
    """Stand-in for encode_passages: each text's vector from the seed's stored sentence vectors."""

    def __init__(self, sent_texts: list[str], sent_vecs: np.ndarray):
        from qa.text import sentence_spans

        self.split = sentence_spans
        self.lookup = {t.strip(): v for t, v in zip(sent_texts, sent_vecs)}
        self.vecs = sent_vecs
        self.rng = np.random.default_rng(1)
        self.hits = self.misses = 0

    def __call__(self, name, texts, progress=False):
        out = np.empty((len(texts), self.vecs.shape[1]), dtype=np.float32)
        for i, text in enumerate(texts):
            found = [self.lookup.get(text[a:b].strip()) for a, b in self.split(text)]
            found = [v for v in found if v is not None]
            self.hits += len(found) > 0
            if not found:
                self.misses += 1
                found = [self.vecs[hash(text) % len(self.vecs)]]
            v = np.mean(found, axis=0) + self.rng.normal(0.0, NOISE, self.vecs.shape[1])
            out[i] = v / np.linalg.norm(v)
        return out


def phase_engine_build(n: int, work: Path, base_build: Path, hnsw_threshold: int | None = None) -> dict:
    import qa.embed
    import qa.index
    from bench_util import seed_paragraphs, write_recombined_corpus

    from qa.index import build_index

    if hnsw_threshold is not None:  # a lever: the engine's automatic switch to HNSW, lowered
        qa.index.HNSW_THRESHOLD = hnsw_threshold

    chunks_per_doc = 15  # 9-15 seed paragraphs make ~15 chunks (measured: 9,378 chunks from 625 docs)
    n_docs = max(1, round(n / chunks_per_doc))
    t0 = time.perf_counter()
    nbytes = write_recombined_corpus(work / "corpus", n_docs, seed_paragraphs(), seed=n, paras_per_doc=(9, 15))
    out = {"n_target": n, "documents": n_docs, "corpus_mb": round(nbytes / 1e6, 1),
           "write_corpus_s": round(time.perf_counter() - t0, 2)}
    sent_texts, sent_vecs = base_material(base_build)
    fake = StoredVectors(sent_texts, sent_vecs)
    qa.embed.encode_passages = fake  # build_index imports it from qa.embed at call time
    qa.embed.dimension(qa.embed.DEFAULT_MODEL)  # load the model before the clock starts
    t0 = time.perf_counter()
    report = build_index(work / "corpus", work / "index", qa.embed.DEFAULT_MODEL, rebuild=True)
    out["build_s"] = round(time.perf_counter() - t0, 2)
    out["report"] = report.to_dict()
    out["chunks"] = report.chunks
    out["vector_lookup_misses"] = fake.misses
    out["index_disk_mb"] = dir_size_mb(work / "index")
    out["build_peak_rss_mb"] = proc_status_mb("VmHWM")
    return out


def phase_engine_query(n: int, work: Path) -> dict:
    from bench_util import DEV, load_jsonl

    from qa import get_engine

    out: dict = {"n_target": n, "rss_start_mb": proc_status_mb()}
    t0 = time.perf_counter()
    engine = get_engine(work / "corpus", work / "index")
    questions = [r["question"] for r in load_jsonl(DEV)]
    engine.ask(questions[0])
    out["load_and_first_answer_s"] = round(time.perf_counter() - t0, 2)
    out["chunks"] = engine.store.n_chunks
    out["index_type"] = engine.store.manifest.get("index_type")
    out["rss_loaded_mb"] = proc_status_mb()
    times = []
    for rnd in range(ROUNDS + 1):
        for q in questions:
            t0 = time.perf_counter()
            engine.ask(q)
            if rnd:
                times.append(time.perf_counter() - t0)
    out["ask"] = latency_summary(times)
    from bench_util import stage_profile

    out["breakdown_ms_per_question"] = stage_profile(lambda: [engine.ask(q) for q in questions], len(questions))
    out["rss_end_mb"] = proc_status_mb()
    # Memory-mapped index files count in RSS as they are touched, but the kernel can drop
    # those pages (RssFile); RssAnon is what the process really holds.
    out["rss_anon_mb"], out["rss_file_mb"] = proc_status_mb("RssAnon"), proc_status_mb("RssFile")
    out["peak_rss_mb"] = proc_status_mb("VmHWM")
    return out


def main(argv: list[str]) -> None:
    import logging

    logging.disable(logging.WARNING)
    phase, n, work = argv[0], int(argv[1]), Path(argv[2])
    work.mkdir(parents=True, exist_ok=True)
    if phase == "build":
        budget = float(argv[argv.index("--hnsw-budget") + 1]) if "--hnsw-budget" in argv else 1e9
        result = phase_build(n, work, Path(argv[3]), budget)
    elif phase == "query":
        result = phase_query(n, work, argv[3], Path(argv[4]))
    elif phase == "engine-build":
        threshold = int(argv[argv.index("--hnsw-threshold") + 1]) if "--hnsw-threshold" in argv else None
        result = phase_engine_build(n, work, Path(argv[3]), threshold)
    elif phase == "engine-query":
        result = phase_engine_query(n, work)
    else:
        raise SystemExit(f"unknown phase {phase!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
