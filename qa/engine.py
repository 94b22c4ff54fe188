"""The one entry point: `ask()` / `ask_many()` over a corpus folder and its index folder."""
from __future__ import annotations

import logging
import operator
import os
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from qa.errors import QuestionError
from qa.types import Answer

log = logging.getLogger("qa")

MAX_QUESTION_CHARS = 2000
DEFAULT_CORPUS = "corpus"
DEFAULT_INDEX = "index"
STALE_CHECK_SECONDS = 2.0


def validate_question(question: object) -> str:
    """Return the question stripped, or raise QuestionError saying what is wrong with it."""
    if not isinstance(question, str):
        raise QuestionError(f"question must be a string, got {type(question).__name__}: {question!r:.80}")
    stripped = question.strip()
    if not stripped:
        raise QuestionError(f"question is empty: {question!r}")
    if len(stripped) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"question is {len(stripped):,} characters long; the limit is {MAX_QUESTION_CHARS:,} "
            f"(starts {stripped[:60]!r})"
        )
    try:
        stripped.encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate ("\ud800"): no text can hold it
        raise QuestionError(f"question holds an invalid character {stripped[e.start]!r} at {e.start}: "
                            f"{stripped!r:.80}") from None
    return stripped


def validate_k(k: object) -> int:
    """k as a plain int; any integer type (numpy's too) is accepted, bools and floats are not."""
    try:
        value = operator.index(k)
    except TypeError:
        value = None
    if isinstance(k, bool) or value is None or value < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    return value


def resolve_paths(corpus: str | os.PathLike | None, index: str | os.PathLike | None) -> tuple[Path, Path]:
    corpus_dir = Path(corpus or os.environ.get("QA_CORPUS") or DEFAULT_CORPUS).resolve()
    index_dir = Path(index or os.environ.get("QA_INDEX") or DEFAULT_INDEX).resolve()
    return corpus_dir, index_dir


class Engine:
    """A loaded index plus the model: answers questions. Build one with `get_engine()`."""

    def __init__(self, store, model_name: str):
        from qa.answer import Answerer
        from qa.retrieve import Retriever

        self.store = store
        self.model_name = model_name
        self.retriever = Retriever(store)
        self.answerer = Answerer(store, self.retriever)
        self.checked_at = 0.0
        self.onnx = None
        from qa.onnx_encoder import OnnxQueryEncoder

        if OnnxQueryEncoder.available(store.path):
            self.onnx = OnnxQueryEncoder(store.path)
        elif not store.path.is_dir():
            # Its build was removed while loading (see _load_engine); torch would serve, silently slower.
            raise FileNotFoundError(f"index build {store.path} was removed while loading")

    def encode(self, questions: list[str]):
        """Question vectors: ONNX Runtime when the index carries an encoder, else torch."""
        if self.onnx is not None:
            return self.onnx.encode(questions)
        from qa.embed import encode_queries

        return encode_queries(self.model_name, questions)

    def encode_slices(self, questions: list[str]):
        """(start, vectors) for consecutive slices of the questions; see OnnxQueryEncoder."""
        if self.onnx is not None:
            yield from self.onnx.encode_slices(questions)
        else:
            yield 0, self.encode(questions)

    @property
    def documents(self) -> list[dict]:
        """Metadata of every indexed document: doc_id, title, publisher, date, url, path."""
        return [d.meta() for d in self.store.documents.values()]

    def ask(self, question: str, k: int = 5, docs: Sequence[str] | None = None) -> Answer:
        return self.ask_many([question], k=k, docs=docs)[0]

    def ask_many(self, questions: Sequence[str], k: int = 5, docs: Sequence[str] | None = None) -> list[Answer]:
        t0 = time.perf_counter()
        answers = list(self.ask_stream(questions, k=k, docs=docs))
        if not answers:
            return []
        per_q = (time.perf_counter() - t0) * 1000 / len(answers)
        return [_with_elapsed(a, per_q) for a in answers]

    def ask_stream(self, questions: Sequence[str], k: int = 5, docs: Sequence[str] | None = None) -> Iterator[Answer]:
        """ask_many()'s answers one at a time, in order, as they are ready.

        The arguments are checked now, the questions answered as the iterator is read; the
        encoder threads stay a few slices ahead of the reader, so a caller that writes each
        answer out (qa batch) keeps both cores busy. elapsed_ms is that of the answer's slice."""
        if isinstance(questions, str):
            raise TypeError("ask_many() and ask_stream() take a list of questions; use ask() for one string")
        cleaned = [validate_question(q) for q in questions]
        k = validate_k(k)
        doc_ids = self._validate_docs(docs)
        return self._answers(cleaned, k, doc_ids)

    def _answers(self, cleaned: list[str], k: int, doc_ids: list[str] | None) -> Iterator[Answer]:
        if not cleaned:
            return
        from qa.aliases import expand_aliases

        # Read as NFKC (full-width "２０２１？" as "2021?") by the encoder, the retriever and the
        # answer-type rules; the Answer echoes the question as it was typed.
        normal = [unicodedata.normalize("NFKC", q) for q in cleaned]
        expanded = [expand_aliases(q) for q in normal]
        t0 = time.perf_counter()
        # Each slice is answered while encoder threads work on the next (a large batch keeps
        # both cores busy); every question is still encoded and answered on its own.
        for lo, qvecs in self.encode_slices(expanded):
            hi = lo + len(qvecs)
            part = cleaned[lo:hi]
            queries = [self.retriever.parse(q, e) for q, e in zip(normal[lo:hi], expanded[lo:hi])]
            hits = self.retriever.search_many(queries, qvecs, doc_ids=doc_ids)
            answers = [self.answerer.answer(q, qu, v, h, k) for q, qu, v, h in zip(part, queries, qvecs, hits)]
            t1 = time.perf_counter()
            per_q = (t1 - t0) * 1000 / len(answers)
            t0 = t1
            yield from (_with_elapsed(a, per_q) for a in answers)

    def _validate_docs(self, docs: Sequence[str] | None) -> list[str] | None:
        if docs is None:
            return None
        if isinstance(docs, str):
            docs = [docs]
        unknown = [d for d in docs if d not in self.store.documents]
        if unknown:
            raise ValueError(f"unknown doc_id(s) {unknown!r}; indexed documents: {sorted(self.store.documents)!r}")
        return list(docs) or None


def _with_elapsed(answer: Answer, ms: float) -> Answer:
    from dataclasses import replace

    return replace(answer, elapsed_ms=round(ms, 3))


_engines: dict[tuple, Engine] = {}
_engine_locks: dict[tuple, threading.Lock] = {}
_lock = threading.Lock()


def get_engine(
    corpus: str | os.PathLike | None = None,
    index: str | os.PathLike | None = None,
    model: str | None = None,
) -> Engine:
    """The engine for this corpus/index/model, loaded once per process.

    A missing or stale index (corpus, settings or model changed) is (re)built first.
    """
    from qa.embed import resolve_model_name
    from qa.index import ensure_index

    corpus_dir, index_dir = resolve_paths(corpus, index)
    model_name = resolve_model_name(model)
    key = (str(corpus_dir), str(index_dir), model_name)
    # One lock per engine: building one corpus's index does not hold up questions to another.
    with _lock:
        lock = _engine_locks.setdefault(key, threading.Lock())
    with lock:
        engine = _engines.get(key)
        # Re-checking the corpus costs a stat per file, so a warm engine does it at most
        # every STALE_CHECK_SECONDS rather than on every question.
        now = time.monotonic()
        if engine is not None and now - engine.checked_at > STALE_CHECK_SECONDS:
            engine.checked_at = now
            if engine.store.is_stale(corpus_dir):
                store = ensure_index(corpus_dir, index_dir, model_name)
                # The same build back: a stale index this user cannot update; keep answering from it.
                if store.path != engine.store.path:
                    engine = _engines[key] = _load_engine(store, corpus_dir, index_dir, model_name)
                    engine.checked_at = now
        if engine is None:
            store = ensure_index(corpus_dir, index_dir, model_name)
            engine = _engines[key] = _load_engine(store, corpus_dir, index_dir, model_name)
            engine.checked_at = now
        return engine


def _load_engine(store, corpus_dir: Path, index_dir: Path, model_name: str, attempts: int = 3) -> Engine:
    """Engine(store), reading the current build again if a concurrent `qa index` replaced this
    one (and removed its files) before its question encoder was loaded."""
    from qa.index import ensure_index

    for attempt in range(attempts):
        try:
            return Engine(store, model_name)
        except Exception:
            if attempt + 1 == attempts or store.path.is_dir():
                raise
            store = ensure_index(corpus_dir, index_dir, model_name)
    raise AssertionError("not reached")


class LiveEngine:
    """The current engine of a corpus and index, looked up on every call (see `get_engine`).

    A long-running server holds one of these, so a file added to or edited in the corpus is
    indexed and answered from without a restart.
    """

    def __init__(self, corpus: str | os.PathLike | None = None, index: str | os.PathLike | None = None,
                 model: str | None = None):
        self._where = (corpus, index, model)

    @property
    def engine(self) -> Engine:
        return get_engine(*self._where)

    @property
    def documents(self) -> list[dict]:
        return self.engine.documents

    def ask(self, question: str, k: int = 5, docs: Sequence[str] | None = None) -> Answer:
        return self.engine.ask(question, k=k, docs=docs)

    def ask_many(self, questions: Sequence[str], k: int = 5, docs: Sequence[str] | None = None) -> list[Answer]:
        return self.engine.ask_many(questions, k=k, docs=docs)


def ask(
    question: str,
    k: int = 5,
    *,
    corpus: str | os.PathLike | None = None,
    index: str | os.PathLike | None = None,
    docs: Sequence[str] | None = None,
) -> Answer:
    """Answer one question from the corpus, with verbatim citations. See README for the dict form."""
    return ask_many([question], k=k, corpus=corpus, index=index, docs=docs)[0]


def ask_many(
    questions: Iterable[str],
    k: int = 5,
    *,
    corpus: str | os.PathLike | None = None,
    index: str | os.PathLike | None = None,
    docs: Sequence[str] | None = None,
) -> list[Answer]:
    """Answer many questions in one batched pass; same answers as calling ask() on each."""
    questions = _check_before_loading("ask_many", questions, k)
    return get_engine(corpus, index).ask_many(questions, k=k, docs=docs)


def ask_stream(
    questions: Iterable[str],
    k: int = 5,
    *,
    corpus: str | os.PathLike | None = None,
    index: str | os.PathLike | None = None,
    docs: Sequence[str] | None = None,
) -> Iterator[Answer]:
    """ask_many()'s answers, yielded in order as each is ready (the same answers). For a
    caller that writes answers out as it goes: encoding runs ahead while it writes."""
    questions = _check_before_loading("ask_stream", questions, k)
    return get_engine(corpus, index).ask_stream(questions, k=k, docs=docs)


def _check_before_loading(caller: str, questions: Iterable[str], k: int) -> list[str]:
    """The questions as a list (a generator is read once, here). The engine checks them too;
    checking first keeps a bad call from loading (or building) an index only to fail."""
    if isinstance(questions, str):
        raise TypeError(f"{caller}() takes a list of questions; use ask() for one string")
    questions = list(questions)
    for q in questions:
        validate_question(q)
    validate_k(k)
    return questions
