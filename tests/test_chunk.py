import statistics

import pytest

from qa.chunk import ChunkSettings, chunk_document
from qa.ingest import load_corpus
from qa.text import sentence_spans
from tests.conftest import SEED_CORPUS


@pytest.fixture(scope="module")
def docs():
    return load_corpus(SEED_CORPUS)


def test_chunks_are_precise_verbatim_and_stay_in_their_document(docs):
    sizes = []
    for doc in docs:
        chunks = chunk_document(doc)
        assert chunks
        for c in chunks:
            assert c.doc_id == doc.doc_id
            assert doc.text[c.start:c.end] == c.text
            assert c.sentences[0][0] == c.start and c.sentences[-1][1] == c.end
            sizes.append(len(c.text.split()))
            assert len(c.text.split()) <= 100 or len(c.sentences) <= 2
    assert 40 <= statistics.mean(sizes) <= 80


def test_overlap_keeps_every_pair_of_adjacent_sentences_together(docs):
    for doc in docs:
        spans = sentence_spans(doc.text)
        chunks = chunk_document(doc)
        together = {(c.sentences[i], c.sentences[i + 1]) for c in chunks for i in range(len(c.sentences) - 1)}
        for pair in zip(spans, spans[1:]):
            assert pair in together


def test_chunk_ids_are_stable_across_rebuilds(docs):
    first = [c.chunk_id for c in chunk_document(docs[0])]
    assert first == [c.chunk_id for c in chunk_document(docs[0])]
    assert len(set(first)) == len(first)


def test_settings_are_validated():
    with pytest.raises(ValueError, match="min_words"):
        ChunkSettings(min_words=90, max_words=80)
    with pytest.raises(ValueError, match="-1"):
        ChunkSettings(overlap_sentences=-1)
