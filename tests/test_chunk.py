import statistics

import pytest

from qa.chunk import ChunkSettings, chunk_document
from qa.ingest import load_corpus
from qa.text import MAX_SENTENCE_WORDS, sentence_spans
from tests.conftest import SEED_CORPUS, make_pdf


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


def test_chunks_never_cross_a_page(tmp_path):
    make_pdf(tmp_path / "report.pdf", [
        "Baidu is a search company. It is based in Beijing.",
        "Pinduoduo was founded by Colin Huang in 2015. It sells farm produce.",
        "Short page.",
    ])
    doc = load_corpus(tmp_path)[0]
    chunks = chunk_document(doc)
    assert [(c.text, c.page) for c in chunks] == [
        ("Baidu is a search company. It is based in Beijing.", 1),
        ("Pinduoduo was founded by Colin Huang in 2015. It sells farm produce.", 2),
        ("Short page.", 3),
    ]


def test_pdf_citation_gives_the_page_of_the_answer(tmp_path):
    from qa import ask

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_pdf(corpus / "report.pdf", [
        "Baidu is a search company. It is based in Beijing and runs the Apollo programme.",
        "Pinduoduo was founded by Colin Huang in 2015. It sells farm produce online.",
    ])
    ans = ask("Who founded Pinduoduo?", corpus=corpus, index=tmp_path / "index")
    assert "Colin Huang" in ans.answer
    cited = [c for c in ans.citations if c.answer_start is not None]
    assert cited and all(c.page == 2 for c in cited), [(c.text, c.page) for c in cited]


def test_a_line_without_sentence_punctuation_gives_sentence_sized_chunks(tmp_path):
    row = " ".join(f"Tencent item {i} revenue {i * 7} million yuan" for i in range(300))
    (tmp_path / "dump.txt").write_text("Tencent data dump\n\n" + row + "\n")
    doc = load_corpus(tmp_path)[0]
    for c in chunk_document(doc):
        assert doc.text[c.start:c.end] == c.text
        assert all(len(doc.text[a:b].split()) <= MAX_SENTENCE_WORDS for a, b in c.sentences)
        assert len(c.text.split()) <= 2 * MAX_SENTENCE_WORDS


def test_a_chinese_document_is_chunked_by_its_length_in_words(tmp_path):
    from qa.text import word_count

    paragraph = ("百度在第1季度发布了新的产品线。公司表示，这一举措将帮助百度扩大市场份额，并提升用户体验。"
                 "分析师认为，百度的研发投入在2010年达到了新的高度！这是否意味着行业格局的变化？目前还不清楚。")
    (tmp_path / "zh.txt").write_text("\n\n".join([paragraph] * 30), encoding="utf-8")
    doc = load_corpus(tmp_path)[0]
    chunks = chunk_document(doc)
    assert len(chunks) > 20  # was one chunk of the whole document
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        assert word_count(c.text) <= 100 and len(c.text) <= 200  # ~1 wordpiece a character
    assert 40 <= statistics.mean(word_count(c.text) for c in chunks) <= 80
