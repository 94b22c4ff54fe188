"""Split a Document into sentence-aligned, overlapping passages short enough to cite."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from qa.text import sentence_spans, word_count
from qa.types import Chunk, Document


@dataclass(frozen=True)
class ChunkSettings:
    # 40–80 words keeps a passage a precise citation; one sentence of overlap means any two
    # adjacent sentences share at least one chunk, so a two-sentence answer is never split.
    min_words: int = 40
    max_words: int = 80
    overlap_sentences: int = 1

    def __post_init__(self):
        if not 1 <= self.min_words <= self.max_words:
            raise ValueError(f"need 1 <= min_words <= max_words, got {self.min_words!r}, {self.max_words!r}")
        if self.overlap_sentences < 0:
            raise ValueError(f"overlap_sentences must be >= 0, got {self.overlap_sentences!r}")

    def to_dict(self) -> dict:
        return asdict(self)


def chunk_document(doc: Document, settings: ChunkSettings = ChunkSettings()) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in _page_sections(doc):
        for window in _windows(doc.text, section, settings):
            start, end = window[0][0], window[-1][1]
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{len(chunks):04d}",
                    doc_id=doc.doc_id,
                    text=doc.text[start:end],
                    start=start,
                    end=end,
                    page=doc.page_at(start),
                    sentences=window,
                )
            )
    return chunks


def _page_sections(doc: Document) -> list[list[tuple[int, int]]]:
    """The document's sentences, in runs that start on the same page.

    A chunk never takes sentences from two pages, as it never crosses a document, so its page
    is the page its text starts on; a sentence running on to the next page stays whole, with
    the page it starts on."""
    spans = sentence_spans(doc.text)
    if not doc.pages:
        return [spans] if spans else []
    sections: list[list[tuple[int, int]]] = []
    page = object()
    for span in spans:
        here = doc.page_at(span[0])
        if here != page or not sections:
            sections.append([])
            page = here
        sections[-1].append(span)
    return sections


def _windows(text: str, spans: list[tuple[int, int]], settings: ChunkSettings) -> list[tuple[tuple[int, int], ...]]:
    """The sentence spans of each chunk, in order, overlapping by settings.overlap_sentences."""
    # In words of English: a CJK letter counts as qa.text.CJK_WORD of one (see there).
    counts = [word_count(text[a:b]) for a, b in spans]
    # Past min_words a chunk stops before exceeding max_words; below it, it may grow to this
    # ceiling rather than end on a fragment. A chunk always takes two sentences when it can,
    # even past the ceiling, so that every adjacent pair shares a chunk.
    ceiling = settings.max_words + settings.max_words // 4
    windows = []
    i, n = 0, len(spans)
    while i < n:
        j, words = i, 0
        while j < n:
            if j > i + 1 and (
                (words >= settings.min_words and words + counts[j] > settings.max_words)
                or words + counts[j] > ceiling
            ):
                break
            words = round(words + counts[j], 6)
            j += 1
        windows.append(tuple(spans[i:j]))
        if j >= n:
            break
        i = max(i + 1, j - settings.overlap_sentences)
    return windows
