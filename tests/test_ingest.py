import logging

import pytest

from qa.errors import EmptyCorpusError
from qa.ingest import load_corpus
from tests.conftest import SEED_CORPUS, make_pdf


def test_seed_corpus_metadata_comes_from_sources_toml():
    docs = {d.doc_id: d for d in load_corpus(SEED_CORPUS)}
    assert set(docs) == {"000_75e6f8e2490986a5.txt", "002_a9c90683bbb9ddbb.txt"}
    spi = docs["000_75e6f8e2490986a5.txt"]
    assert spi.title.startswith("Technological development and advancement in the Silicon Dragon")
    assert spi.publisher.startswith("SPI") and "15.12.2020" in spi.date and spi.url == ""
    assert "Zerbib" in docs["002_a9c90683bbb9ddbb.txt"].publisher


def test_formats_subfolders_and_fallback_titles(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.md").write_text("# Huawei notes\n\nHuawei builds **5G** [gear](http://x).\n")
    (tmp_path / "page.html").write_text(
        "<html><head><title>Meituan page</title><script>var hidden = 'secret';</script></head>"
        "<body><nav>Home | About</nav><p>Meituan delivers <b>food</b>.</p>"
        "<div style='display:none'>invisible</div><p>Second paragraph.</p></body></html>")
    make_pdf(tmp_path / "report.pdf", ["Baidu page one text.", "Tencent page two text."])
    docs = {d.doc_id: d for d in load_corpus(tmp_path)}
    assert set(docs) == {"sub/notes.md", "page.html", "report.pdf"}
    md = docs["sub/notes.md"]
    assert md.title == "Huawei notes" and "Huawei builds 5G gear." in md.text
    html = docs["page.html"]
    assert html.title == "Meituan page"
    assert "Meituan delivers food." in html.text and "Second paragraph." in html.text
    assert "secret" not in html.text and "invisible" not in html.text and "About" not in html.text
    pdf = docs["report.pdf"]
    two = pdf.text.index("Tencent")
    assert pdf.page_at(pdf.text.index("Baidu")) == 1 and pdf.page_at(two) == 2


def test_bad_files_are_skipped_or_decoded_with_one_warning_each(tmp_path, caplog):
    (tmp_path / "good.txt").write_text("Alibaba runs Taobao.", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "latin.txt").write_bytes("Caf\xe9 owners in M\xfcnchen use Alipay.".encode("cp1252"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "data.xlsx").write_bytes(b"PK\x03\x04")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    with caplog.at_level(logging.WARNING, logger="qa"):
        docs = {d.doc_id: d for d in load_corpus(tmp_path)}
    assert set(docs) == {"good.txt", "latin.txt"}
    assert "Café owners in München" in docs["latin.txt"].text
    messages = [r.getMessage() for r in caplog.records]
    for name, why in [("binary.txt", "binary"), ("latin.txt", "UTF-8"), ("empty.txt", "empty"),
                      ("data.xlsx", "unsupported"), ("broken.pdf", "PDF")]:
        assert any(name in m and why in m for m in messages), (name, messages)
    assert all("\n" not in m for m in messages)


def test_empty_or_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(EmptyCorpusError, match="no readable documents"):
        load_corpus(tmp_path)
    with pytest.raises(EmptyCorpusError, match="not found"):
        load_corpus(tmp_path / "nope")
