"""Build, save and load the index folder: FAISS + BM25 + chunk/sentence tables + manifest.

Layout of `index/` (the folder the user names):
    CURRENT            name of the live build folder, replaced atomically (os.replace)
    b-<id>/            one complete build:
        manifest.json  format, model, dimension, chunking, index type, per-document hashes
        documents.json document metadata and each document's row ranges
        chunks.npy     per chunk: doc row, start, end, page (-1 none), sentence rows lo/hi
        chunk_text.npy + chunk_text_offsets.npy  chunk texts (UTF-8 bytes), memory-mapped
        sentences.npy  per sentence: doc row, start, end (offsets into the cleaned document)
        chunk_vectors.npy, sentence_vectors.npy   normalised embeddings (float32)
        dense.faiss    inner-product index over chunk_vectors
        names.json     rare names (stemmed terms the corpus writes capitalised)
        initials.npy   the acronyms the corpus may mean (qa.acronyms), one bit per string
        bm25/          bm25s index over chunk tokens (read memory-mapped by qa.bm25)
        query_encoder{,.int8}.onnx + query_tokenizer.json  question encoders for ONNX Runtime

A build is written into a fresh folder and only then named in CURRENT, so a build killed
half-way leaves the previous one in use.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.acronyms import Initials, known_initials
from qa.chunk import ChunkSettings, chunk_document
from qa.errors import IndexCorruptError
from qa.ingest import corpus_signature, load_corpus
from qa.onnx_encoder import ENCODER_FILES, ENCODER_VERSION, ONNX_FILE, export_query_encoder
from qa.text import tokenize
from qa.types import Chunk, Document

log = logging.getLogger("qa")

FORMAT_VERSION = 1
# Bumped when cleaning, sentence splitting or tokenising changes, so old builds are redone.
PIPELINE_VERSION = 9  # 9: initials.npy
CHUNK_DTYPE = np.dtype([("doc", "<i4"), ("start", "<i8"), ("end", "<i8"), ("page", "<i4"),
                        ("sent_lo", "<i8"), ("sent_hi", "<i8")])
_ARRAY_FILES = {
    "chunk_rows": "chunks.npy",
    "text_blob": "chunk_text.npy",
    "text_offsets": "chunk_text_offsets.npy",
    "sentences": "sentences.npy",
    "chunk_vectors": "chunk_vectors.npy",
    "sentence_vectors": "sentence_vectors.npy",
}
# Above this many chunks, exact search gives way to HNSW. Exact search costs ~0.15 ms per
# 1,000 chunks per question on this CPU: at 100k chunks ask() p50 was 20.1 ms flat against
# 6.5 ms with HNSW (recall@10 0.995); see benchmarks/bench.py --sections scale.
# QA_INDEX_TYPE=flat|hnsw (or build_index(index_type=...)) overrides the choice.
HNSW_THRESHOLD = 50_000
INDEX_TYPES = ("auto", "flat", "hnsw")


@dataclass
class BuildReport:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    seconds: float = 0.0
    index_type: str = "flat"

    def summary(self) -> str:
        return (f"{self.added} added, {self.changed} changed, {self.removed} removed, "
                f"{self.chunks} chunks ({self.seconds:.1f}s)")

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Store:
    """A loaded build. Arrays are memory-mapped (as plain ndarray views); Chunks are made only for hits."""

    path: Path
    manifest: dict
    documents: dict[str, Document]
    doc_ids: list[str]
    chunk_rows: np.ndarray
    text_blob: np.ndarray
    text_offsets: np.ndarray
    sentences: np.ndarray
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    faiss_index: object
    bm25: object
    doc_chunk_lo: np.ndarray = field(default=None)
    names: frozenset[str] = frozenset()  # stemmed terms the corpus writes capitalised mid-sentence
    initials: object = None  # qa.acronyms.Initials; None in a build written before them

    @property
    def n_chunks(self) -> int:
        return len(self.chunk_rows)

    def doc_chunk_range(self, doc_row: int) -> tuple[int, int]:
        """The chunk rows [lo, hi) of the document at row `doc_row`."""
        lo = int(self.doc_chunk_lo[doc_row])
        hi = int(self.doc_chunk_lo[doc_row + 1]) if doc_row + 1 < len(self.doc_chunk_lo) else self.n_chunks
        return lo, hi

    def chunk_text(self, i: int) -> str:
        return bytes(self.text_blob[self.text_offsets[i]: self.text_offsets[i + 1]]).decode("utf-8")

    def chunk(self, i: int) -> Chunk:
        row = self.chunk_rows[i]
        doc_id = self.doc_ids[row["doc"]]
        sents = self.sentences[row["sent_lo"]: row["sent_hi"]]
        return Chunk(
            chunk_id=f"{doc_id}#{i - int(self.doc_chunk_lo[row['doc']]):04d}",
            doc_id=doc_id,
            text=self.chunk_text(i),
            start=int(row["start"]),
            end=int(row["end"]),
            page=None if row["page"] < 0 else int(row["page"]),
            sentences=tuple((int(s[1]), int(s[2])) for s in sents),
        )

    def is_stale(self, corpus_dir: Path) -> bool:
        if not Path(corpus_dir).is_dir():
            return False  # an index shipped without its corpus is still usable
        return corpus_signature(Path(corpus_dir), exclude=self.path.parent) != self.manifest.get("signature")


def settings_dict(model_name: str, dim: int | None, chunking: ChunkSettings) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "pipeline_version": PIPELINE_VERSION,
        "model": model_name,
        "dimension": dim,
        "chunking": chunking.to_dict(),
    }


# --- loading ------------------------------------------------------------------------------

def current_build(index_dir: Path) -> Path | None:
    pointer = Path(index_dir) / "CURRENT"
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return Path(index_dir) / name


def load_store(index_dir: Path, attempts: int = 3) -> Store | None:
    """The live build in index_dir, None if there is none; IndexCorruptError if unreadable.

    A build swapped in by a concurrent `qa index` while this one was being read (its files
    removed under us) is not corruption: the new build is read instead."""
    index_dir = Path(index_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexCorruptError(f"index path {index_dir} is a file, not a folder; point --index (QA_INDEX) at a folder")
    for attempt in range(attempts):
        try:
            build = current_build(index_dir)
        except (OSError, UnicodeDecodeError) as e:
            raise _corrupt(index_dir, e) from e
        if build is None:
            return None
        if _built_by_other_version(build):
            log.warning("index at %s was built by another version of qa: rebuilding it", index_dir)
            return None
        try:
            return _read_build(build)
        except Exception as e:  # numpy, json, faiss and bm25s each raise their own kinds
            if attempt + 1 < attempts and _replaced(index_dir, build):
                continue
            if isinstance(e, IndexCorruptError):
                raise
            raise _corrupt(index_dir, e) from e
    return None  # not reached


def _replaced(index_dir: Path, build: Path) -> bool:
    """Whether CURRENT now names another build than `build`."""
    try:
        return current_build(index_dir) != build
    except (OSError, UnicodeDecodeError):
        return False


def _built_by_other_version(build: Path) -> bool:
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # unreadable: reported as corrupt by the full read
    return (manifest.get("format_version"), manifest.get("pipeline_version")) != (FORMAT_VERSION, PIPELINE_VERSION)


def _corrupt(index_dir: Path, e: Exception) -> IndexCorruptError:
    return IndexCorruptError(
        f"index at {index_dir} is corrupt or unreadable ({type(e).__name__}: {e}); "
        f"rebuild it with: qa index --rebuild --index {index_dir}"
    )


def _read_build(build: Path) -> Store:
    import faiss

    from qa.bm25 import Bm25Scores

    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    doc_rows = json.loads((build / "documents.json").read_text(encoding="utf-8"))
    documents = {}
    for d in doc_rows:
        documents[d["doc_id"]] = Document(
            doc_id=d["doc_id"], path=d["path"], text="", title=d["title"], publisher=d["publisher"],
            date=d["date"], url=d["url"], content_hash=d["content_hash"],
            pages=tuple(tuple(p) for p in d["pages"]),
        )
    # Memory-mapped, so a large index is paged in on demand; but viewed as plain ndarrays,
    # since np.memmap's Python-level __getitem__ cost ~1 ms per question (~170 row lookups).
    mm = dict(mmap_mode="r")
    store = Store(
        path=build,
        manifest=manifest,
        documents=documents,
        doc_ids=[d["doc_id"] for d in doc_rows],
        **{key: np.asarray(np.load(build / fname, **mm)) for key, fname in _ARRAY_FILES.items()},
        faiss_index=faiss.read_index(str(build / "dense.faiss")),
        bm25=Bm25Scores(build / "bm25"),  # bm25s's scores without importing bm25s (and scipy)
        doc_chunk_lo=np.array([d["chunk_lo"] for d in doc_rows], dtype=np.int64),
        names=frozenset(json.loads((build / "names.json").read_text(encoding="utf-8"))),
        initials=Initials(np.load(build / "initials.npy", **mm)) if (build / "initials.npy").is_file() else None,
    )
    n = len(store.chunk_rows)
    if not (len(store.text_offsets) == n + 1 and len(store.chunk_vectors) == n
            and store.faiss_index.ntotal == n and len(store.sentence_vectors) == len(store.sentences)):
        raise IndexCorruptError(
            f"index at {build.parent} is inconsistent (table sizes differ); "
            f"rebuild it with: qa index --rebuild --index {build.parent}"
        )
    return store


# --- building -----------------------------------------------------------------------------

def ensure_index(corpus_dir: Path, index_dir: Path, model_name: str,
                 chunking: ChunkSettings = ChunkSettings()) -> Store:
    """Load the index, building or updating it first when it is missing or stale.

    A stale index this user cannot write (a shared, read-only index) is answered from as it
    is, with a warning, rather than not at all."""
    store = load_store(index_dir)
    if store is not None:
        if not Path(corpus_dir).is_dir():
            # Still usable (an index shipped without its corpus), but a mistyped --corpus should not go unnoticed.
            log.warning("no corpus folder at %s: answering from the index at %s as it was built", corpus_dir, index_dir)
        reason = _stale_reason(store, corpus_dir, model_name, chunking)
        if reason is None:
            return store
        if not _writable(index_dir):
            log.warning("index at %s is stale (%s) but this user cannot update it: answering from it as it is",
                        index_dir, reason)
            return store
        built_from = store.manifest.get("corpus")
        if reason == "corpus changed" and built_from and built_from != str(Path(corpus_dir).resolve()):
            # ask(q, corpus=B) without index= shares ./index with the default corpus: each
            # switch would rebuild it, and each corpus's build would remove the other's.
            reason = (f"it was built from the corpus at {built_from}; give each corpus its own index "
                      "folder (--index / index=) to keep both")
        log.warning("index at %s is stale (%s): updating it", index_dir, reason)
    else:
        log.warning("no index at %s: building it from %s", index_dir, corpus_dir)
    report = build_index(corpus_dir, index_dir, model_name, chunking)
    log.warning("index: %s", report.summary())
    return load_store(index_dir)


def _writable(index_dir: Path) -> bool:
    lock = index_dir / ".lock"
    return os.access(index_dir, os.W_OK | os.X_OK) and (not lock.exists() or os.access(lock, os.W_OK))


def _stale_reason(store: Store, corpus_dir: Path, model_name: str, chunking: ChunkSettings) -> str | None:
    m = store.manifest
    if m.get("model") != model_name:
        return f"model changed from {m.get('model')!r} to {model_name!r}"
    if m.get("chunking") != chunking.to_dict() or m.get("pipeline_version") != PIPELINE_VERSION:
        return "chunking settings changed"
    if store.is_stale(corpus_dir):
        return "corpus changed"
    if m.get("query_encoder") == "onnx" and m.get("query_encoder_version") != ENCODER_VERSION:
        return "query encoder format changed"
    return None


@contextmanager
def _build_lock(index_dir: Path):
    import fcntl

    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_index(corpus_dir: Path, index_dir: Path, model_name: str,
                chunking: ChunkSettings = ChunkSettings(), rebuild: bool = False,
                progress: bool = False, index_type: str | None = None) -> BuildReport:
    """(Re)build the index, re-embedding only documents that are new or changed.

    index_type: "flat" (exact), "hnsw" (approximate) or "auto" (HNSW above HNSW_THRESHOLD
    chunks); default $QA_INDEX_TYPE, else "auto".
    """
    from qa.embed import dimension, encode_passages

    index_type = resolve_index_type(index_type)
    t0 = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    signature = corpus_signature(corpus_dir, exclude=index_dir)
    docs = load_corpus(corpus_dir, exclude=index_dir)
    with _build_lock(index_dir):
        prev = None
        if not rebuild:
            try:
                prev = load_store(index_dir)
            except IndexCorruptError as e:
                log.warning("%s; building from scratch", e)
            if prev is not None and _stale_reason(prev, corpus_dir, model_name, chunking) not in (
                    None, "corpus changed", "query encoder format changed"):
                prev = None  # the model or the settings changed: nothing can be reused
        prev_docs = {} if prev is None else {d: i for i, d in enumerate(prev.doc_ids)}
        report = BuildReport()

        # Per document: reuse the previous build's rows when its content hash is unchanged.
        parts = []  # (doc, chunks, sentence spans, reuse-from-prev doc row or None)
        for doc in docs:
            old = prev_docs.get(doc.doc_id)
            before = prev.documents[doc.doc_id] if old is not None else None
            # Chunk vectors embed the title too, so a retitled document is re-embedded.
            if before is not None and (before.content_hash, before.title) == (doc.content_hash, doc.title):
                report.unchanged += 1
                parts.append((doc, None, None, old))
                continue
            if old is None:
                report.added += 1
            else:
                report.changed += 1
            chunks = chunk_document(doc, chunking)
            spans = _doc_sentences(chunks)
            parts.append((doc, chunks, spans, None))
        report.removed = len(set(prev_docs) - {d.doc_id for d in docs})

        # A chunk is embedded under its document's title ("China's High Tech Covid-19 Response.
        # If we were to highlight one solution...") so it carries what the document is about.
        new_chunk_texts = [f"{doc.title}. {c.text}" if doc.title else c.text
                           for doc, chunks, _, _ in parts if chunks for c in chunks]
        new_sent_texts = [sentence_embedding_text(doc.text, spans, j)
                          for doc, chunks, spans, _ in parts if chunks for j in range(len(spans))]
        new_chunk_vecs = encode_passages(model_name, new_chunk_texts, progress=progress)
        new_sent_vecs = encode_passages(model_name, new_sent_texts, progress=progress)
        dim = dimension(model_name)

        tables = _assemble(parts, prev, new_chunk_vecs, new_sent_vecs, dim)
        report.chunks = len(tables["chunk_rows"])
        manifest = settings_dict(model_name, dim, chunking) | {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "signature": signature,
            "corpus": str(corpus_dir.resolve()),
            "documents": {d.doc_id: d.content_hash for d in docs},
            "counts": {"documents": len(docs), "chunks": report.chunks,
                       "sentences": len(tables["sentences"])},
        }
        report.index_type = _write_build(index_dir, tables, manifest, index_type)
        report.seconds = time.perf_counter() - t0
        return report


# A sentence opening with a pronoun or "the company" is about something an earlier sentence
# names; not "It was expected that ..." (an expletive "it") nor "This page ..." (the document).
_OPENS_WITH_REFERENCE = re.compile(
    r"(?:it|its|they|their|them|he|his|she|her|the (?:company|firm|group|start-?up|platform))\b"
    r"(?!\s+(?:is|was|has been|had been|will be|would be|seems|appears)\s+\w+\s+(?:that|to)\b)", re.I)
# Only a subject pronoun is replaced. Resolving "Its ..." and "The platform ..." as well
# measured worse on the seed corpus (held-out answer hit 83.7 -> 81.7 %): a description
# given the company's name then outranks the sentence with the asked number.
_SUBJECTS = frozenset({"it", "they", "he", "she"})
MAX_REFERENCE_CHAIN = 3  # sentences looked back through for the name


def sentence_embedding_text(text: str, spans: list[tuple[int, int]], j: int) -> str:
    """The text a sentence is embedded as: itself, with an opening subject pronoun replaced by
    the name it stands for ("It was founded in 2014 by Zhou Lin." -> "Phoenix Chips was founded
    ..."), so that "Who founded Phoenix Chips?" finds it. The name is the main one of the nearest
    earlier sentence that does not itself open with a reference (qa.followup.main_entity).
    Only the vector changes: the sentence quoted and its offsets stay those of the text."""
    from qa.followup import main_entity

    a, b = spans[j]
    sentence = text[a:b]
    m = _OPENS_WITH_REFERENCE.match(sentence)
    if m is None or m.group(0).lower() not in _SUBJECTS:
        return sentence
    for k in range(j - 1, max(-1, j - 1 - MAX_REFERENCE_CHAIN), -1):
        before = text[spans[k][0]:spans[k][1]]
        if not _OPENS_WITH_REFERENCE.match(before):
            name = main_entity(before)
            return sentence if name is None else name + sentence[m.end():]
    return sentence


def _doc_sentences(chunks: list[Chunk]) -> list[tuple[int, int]]:
    """The document's sentences in order, each once (chunks overlap)."""
    seen: dict[tuple[int, int], None] = {}
    for c in chunks:
        for s in c.sentences:
            seen.setdefault(s, None)
    return list(seen)


def _assemble(parts, prev: Store | None, new_chunk_vecs, new_sent_vecs, dim: int) -> dict:
    doc_rows, chunk_rows, texts, sentences = [], [], [], []
    chunk_vecs, sent_vecs = [], []
    ci = si = 0  # cursors into the newly encoded vectors
    for d_idx, (doc, chunks, spans, old) in enumerate(parts):
        chunk_lo, sent_lo = len(chunk_rows), len(sentences)
        if old is not None:
            lo, hi = prev.doc_chunk_range(old)
            s_lo = int(prev.chunk_rows[lo]["sent_lo"]) if hi > lo else 0
            s_hi = int(prev.chunk_rows[hi - 1]["sent_hi"]) if hi > lo else 0
            for i in range(lo, hi):
                r = prev.chunk_rows[i]
                chunk_rows.append((d_idx, r["start"], r["end"], r["page"],
                                   r["sent_lo"] - s_lo + sent_lo, r["sent_hi"] - s_lo + sent_lo))
                texts.append(prev.chunk_text(i))
            for s in prev.sentences[s_lo:s_hi]:
                sentences.append((d_idx, int(s[1]), int(s[2])))
            chunk_vecs.append(np.asarray(prev.chunk_vectors[lo:hi]))
            sent_vecs.append(np.asarray(prev.sentence_vectors[s_lo:s_hi]))
        else:
            index_of = {span: sent_lo + k for k, span in enumerate(spans)}
            sentences.extend((d_idx, a, b) for a, b in spans)
            for c in chunks:
                lo = index_of[c.sentences[0]]
                chunk_rows.append((d_idx, c.start, c.end, -1 if c.page is None else c.page, lo, lo + len(c.sentences)))
                texts.append(c.text)
            chunk_vecs.append(new_chunk_vecs[ci: ci + len(chunks)])
            sent_vecs.append(new_sent_vecs[si: si + len(spans)])
            ci += len(chunks)
            si += len(spans)
        meta = doc.meta()
        meta.update(pages=[list(p) for p in doc.pages], chunk_lo=chunk_lo, sent_lo=sent_lo)
        doc_rows.append(meta)
    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return {
        "documents": doc_rows,
        "chunk_rows": np.array(chunk_rows, dtype=CHUNK_DTYPE),
        "texts": texts,
        "text_blob": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        "text_offsets": offsets,
        "sentences": np.array(sentences, dtype=np.int64).reshape(-1, 3),
        "chunk_vectors": _stack(chunk_vecs, dim),
        "sentence_vectors": _stack(sent_vecs, dim),
    }


def _stack(parts: list[np.ndarray], dim: int) -> np.ndarray:
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.zeros((0, dim), dtype=np.float32)
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


_MID_SENTENCE_WORD = re.compile(r"(?<=[a-z0-9,;:] )([A-Za-z][\w+-]*)")


def common_words(model_name: str) -> set[str]:
    """Whole words of the model's tokenizer vocabulary: a stand-in for "ordinary English"."""
    from qa.embed import load_model

    try:
        vocab = load_model(model_name).tokenizer.get_vocab()
    except AttributeError:
        return set()
    return {w for w in vocab if w.isalpha() and w.islower()}


def proper_names(texts: list[str], common: set[str] = frozenset()) -> set[str]:
    """Rare names: terms written capitalised in most mid-sentence uses that are not common words.

    "Tencent" and "Megvii" qualify; "Fast" (of Fast Company) or "Brain" (of City Brain) do
    not, since a question may use them as ordinary words.
    """
    caps: dict[str, int] = {}
    seen: dict[str, int] = {}
    for text in texts:
        for m in _MID_SENTENCE_WORD.finditer(text):
            # Each part of a hyphenated word on its own: "AI-backed" says nothing about "backed".
            for part in m.group(1).split("-"):
                if not part or part.lower() in common:
                    continue
                for t in tokenize(part):
                    seen[t] = seen.get(t, 0) + 1
                    if part[0].isupper():
                        caps[t] = caps.get(t, 0) + 1
    return {t for t, n in seen.items() if caps.get(t, 0) / n >= 0.6}


def resolve_index_type(index_type: str | None = None) -> str:
    """The argument, else $QA_INDEX_TYPE, else "auto"; ValueError naming a bad value."""
    kind = index_type or os.environ.get("QA_INDEX_TYPE") or "auto"
    if kind not in INDEX_TYPES:
        source = "index_type" if index_type else "QA_INDEX_TYPE"
        raise ValueError(f"{source} must be one of {', '.join(INDEX_TYPES)}, got {kind!r}")
    return kind


def make_faiss_index(vectors: np.ndarray, index_type: str | None = None):
    """Exact inner product up to HNSW_THRESHOLD chunks, HNSW above (or as asked)."""
    import faiss

    from qa.embed import encode_threads

    dim = vectors.shape[1]
    kind = resolve_index_type(index_type)
    if kind == "auto":
        kind = "hnsw" if len(vectors) > HNSW_THRESHOLD else "flat"
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    if len(vectors):
        faiss.omp_set_num_threads(encode_threads())  # HNSW construction uses every core
        index.add(vectors)
    return index, kind


def _write_build(index_dir: Path, tables: dict, manifest: dict, index_type: str = "auto") -> str:
    import bm25s
    import faiss

    name = f"b-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir(parents=True)
    try:
        index, kind = make_faiss_index(tables["chunk_vectors"], index_type)
        faiss.write_index(index, str(tmp / "dense.faiss"))
        retriever = bm25s.BM25()
        retriever.index([tokenize(t) or [""] for t in tables["texts"]], show_progress=False)
        retriever.save(str(tmp / "bm25"), show_progress=False)
        common = common_words(manifest["model"])
        names = proper_names(tables["texts"], common)
        (tmp / "names.json").write_text(json.dumps(sorted(names)), encoding="utf-8")
        np.save(tmp / "initials.npy", known_initials(tables["texts"], common))
        for key, fname in _ARRAY_FILES.items():
            np.save(tmp / fname, tables[key])
        (tmp / "documents.json").write_text(json.dumps(tables["documents"], ensure_ascii=False), encoding="utf-8")
        _query_encoder(index_dir, tmp, manifest["model"])
        onnx = (tmp / ONNX_FILE).is_file()
        manifest = manifest | {"index_type": kind, "query_encoder": "onnx" if onnx else "torch"}
        if onnx:
            manifest["query_encoder_version"] = ENCODER_VERSION
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        final = index_dir / name
        os.replace(tmp, final)
        pointer_tmp = index_dir / f".CURRENT-{uuid.uuid4().hex[:8]}"
        pointer_tmp.write_text(name, encoding="utf-8")
        with open(pointer_tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(pointer_tmp, index_dir / "CURRENT")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_old_builds(index_dir, keep=name)
    return kind


def _query_encoder(index_dir: Path, dest: Path, model_name: str) -> None:
    """Reuse the previous build's ONNX question encoder for the same model, else export one."""
    try:
        prev = current_build(index_dir)
        old = json.loads((prev / "manifest.json").read_text()) if prev is not None else {}
        same = (old.get("model"), old.get("query_encoder_version")) == (model_name, ENCODER_VERSION)
    except (OSError, ValueError):
        same = False
    if same and all((prev / name).is_file() for name in ENCODER_FILES):
        for name in ENCODER_FILES:
            os.link(prev / name, dest / name)
        return
    export_query_encoder(model_name, dest)


# The names _write_build gives its folders; nothing else in an index folder is ever removed.
_BUILD_NAME = re.compile(r"(?:\.tmp-)?b-\d{14}-[0-9a-f]{8}")


def _remove_old_builds(index_dir: Path, keep: str) -> None:
    for p in index_dir.iterdir():
        if p.name != keep and _BUILD_NAME.fullmatch(p.name) and p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
