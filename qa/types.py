"""The small, frozen data types that flow through the pipeline, each with its JSON form."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass(frozen=True)
class Document:
    """One cleaned source file. Offsets everywhere else point into `text`."""

    doc_id: str  # path relative to the corpus root, posix style: stable across rebuilds
    path: str
    text: str
    title: str
    publisher: str = ""
    date: str = ""
    url: str = ""
    content_hash: str = ""
    # (start, end, page_number) spans of `text` for PDFs; empty for other formats.
    pages: tuple[tuple[int, int, int], ...] = ()

    def page_at(self, offset: int) -> int | None:
        for start, end, page in self.pages:
            if start <= offset < end:
                return page
        return None

    def meta(self) -> dict:
        d = asdict(self)
        del d["text"], d["pages"]
        return d


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    start: int  # character offsets into the document's cleaned text
    end: int
    page: int | None
    # (start, end) of each sentence inside the document's cleaned text.
    sentences: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sentences"] = [list(s) for s in self.sentences]
        return d


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    text: str  # the passage, verbatim cleaned text of the document
    start: int
    end: int
    page: int | None
    score: float
    answer_start: int | None = None  # answer offsets inside `text`, when it holds the answer
    answer_end: int | None = None
    # Extensions beyond the fixed contract (kept out of to_dict's required keys' way).
    publisher: str = ""
    date: str = ""
    url: str = ""
    chunk_id: str = ""

    def to_dict(self) -> dict:
        # The fields are flat values, so no deep copy is needed: asdict() took ~18 us a
        # citation, a tenth of `qa batch`'s per-question writing cost.
        return {name: getattr(self, name) for name in _CITATION_FIELDS}


_CITATION_FIELDS = tuple(f.name for f in fields(Citation))


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str | None  # verbatim sentence from the corpus; None when abstained
    abstained: bool
    confidence: float  # 0..1
    citations: tuple[Citation, ...] = field(default_factory=tuple)
    # Timing, not content: two answers to the same question compare (and hash) equal.
    elapsed_ms: float = field(default=0.0, compare=False)

    def __repr__(self) -> str:
        # Short enough for a notebook cell; to_dict() has every passage in full.
        said = "abstained" if self.abstained else repr(_clip(self.answer or "", 100))
        sources = ", ".join(f"[{c.n}] {_clip(c.title or c.doc_id, 40)}" for c in self.citations)
        return (f"Answer({_clip(self.question, 80)!r} -> {said}, confidence={self.confidence}, "
                f"citations: {sources or 'none'})")

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "confidence": self.confidence,
            "citations": [c.to_dict() for c in self.citations],
            "elapsed_ms": self.elapsed_ms,
        }


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
