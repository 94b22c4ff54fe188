import codecs
import ctypes
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa.errors import EmptyCorpusError
from qa.ingest import corpus_files, load_corpus
from tests.conftest import DATA, ROOT, SEED_CORPUS, make_pdf


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


# Made by pypdf 7.1 (with the `cryptography` package, which qa does not depend on) from
# make_pdf(path, ["Baidu page one.", "Tencent page two."]):
#     writer = PdfWriter(clone_from=path); writer.encrypt("", algorithm="AES-256"); writer.write(out)
AES_PDF = DATA / "aes256_empty_password.pdf"


def test_pdfs_pypdf_cannot_open_are_skipped_with_one_warning_each(tmp_path, caplog):
    from pypdf import PdfWriter

    (tmp_path / "good.txt").write_text("Alibaba runs Taobao.")
    shutil.copy(AES_PDF, tmp_path / "aes.pdf")
    make_pdf(tmp_path / "plain.pdf", ["Secret Huawei plans."])
    writer = PdfWriter(clone_from=tmp_path / "plain.pdf")
    writer.encrypt("secret", algorithm="RC4-128")  # RC4 needs no extra package
    writer.write(tmp_path / "locked.pdf")
    (tmp_path / "plain.pdf").unlink()
    with caplog.at_level(logging.WARNING):
        docs = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["good.txt"]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and all("\n" not in m for m in messages)
    assert any("aes.pdf" in m and "encrypted" in m and "cryptography" in m for m in messages), messages
    assert any("locked.pdf" in m and "encrypted" in m for m in messages), messages


def test_pypdf_complaints_never_reach_the_terminal(tmp_path):
    (tmp_path / "good.txt").write_text("Alibaba runs Taobao.")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    # No logging set up, as in any program that calls load_corpus: a record that no handler
    # takes is printed bare on stderr by logging's last-resort handler.
    code = f"from qa.ingest import load_corpus; load_corpus({str(tmp_path)!r})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    lines = (out.stdout + out.stderr).splitlines()
    assert lines == ["skipping broken.pdf: unreadable PDF (Stream has ended unexpectedly)"], lines


def _without_root_file_access() -> None:
    """Drop the capabilities that let root read any file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)
    from this process's bounding set, so the program it executes meets file permissions as
    any user would; root is not exempt from them otherwise."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop capability %d" % cap)


def test_unreadable_files_and_folders_are_skipped_with_a_warning(tmp_path):
    (tmp_path / "good.txt").write_text("Alibaba runs Taobao.")
    (tmp_path / "secret.txt").write_text("Tencent's secret plans.")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inner.txt").write_text("Huawei's locked plans.")
    (tmp_path / "secret.txt").chmod(0)
    (tmp_path / "locked").chmod(0)
    code = (
        "import logging, sys; from qa.ingest import load_corpus\n"
        "logging.basicConfig(format='%(message)s', stream=sys.stdout)\n"
        f"print(*[d.doc_id for d in load_corpus({str(tmp_path)!r})])"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                             preexec_fn=_without_root_file_access if os.geteuid() == 0 else None)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "skipping folder locked: cannot list it (Permission denied)",
        "skipping secret.txt: cannot read it (Permission denied)",
        "good.txt",
    ]


def test_index_and_hidden_folders_inside_the_corpus_are_not_part_of_it(tmp_path):
    from qa.embed import DEFAULT_MODEL
    from qa.index import build_index, load_store

    corpus = tmp_path / "corpus"
    (corpus / ".git").mkdir(parents=True)
    (corpus / ".git" / "notes.txt").write_text("Not a source.")
    (corpus / "a.txt").write_text("Meituan delivers food in Beijing.")
    index = corpus / "idx"
    assert [f.doc_id for f in corpus_files(corpus)] == ["a.txt"]
    report = build_index(corpus, index, DEFAULT_MODEL)
    assert (report.added, report.chunks) == (1, 1)
    assert [f.doc_id for f in corpus_files(corpus, exclude=index)] == ["a.txt"]
    assert len(corpus_files(corpus)) > 1  # the index's own files, without the exclusion
    assert not load_store(index).is_stale(corpus)  # so a later ask does not rebuild
    report = build_index(corpus, index, DEFAULT_MODEL)
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 0, 0, 1)


def test_html_table_cells_and_list_items_keep_apart(tmp_path):
    (tmp_path / "t.html").write_text(
        "<html><body><table><caption>Revenue 2023</caption>"
        "<tr><th>Company</th><th>Revenue</th></tr>"
        "<tr><td>Tencent</td><td>482 billion yuan</td></tr></table>"
        "<ul><li>WeChat</li><li>QQ</li></ul><dl><dt>Hunyuan</dt><dd>a large model</dd></dl></body></html>")
    text = load_corpus(tmp_path)[0].text
    assert text.split("\n\n") == ["Revenue 2023", "Company | Revenue", "Tencent | 482 billion yuan",
                                  "WeChat", "QQ", "Hunyuan", "a large model"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-8"])
def test_text_with_a_byte_order_mark_is_decoded(tmp_path, caplog, encoding):
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
           "utf-32-le": codecs.BOM_UTF32_LE, "utf-8": codecs.BOM_UTF8}.get(encoding, b"")
    text = "Huawei’s Shenzhen campus — 华为.\nIt opened in 2019."
    (tmp_path / "notes.txt").write_bytes(bom + text.encode(encoding))
    with caplog.at_level(logging.WARNING, logger="qa"):
        docs = load_corpus(tmp_path)
    assert docs[0].text == "Huawei’s Shenzhen campus — 华为. It opened in 2019."
    assert docs[0].title == docs[0].text
    assert not caplog.records


def test_a_sources_entry_for_a_missing_file_is_warned_about(tmp_path, caplog):
    (tmp_path / "tencent.txt").write_text("Tencent runs WeChat.\n", encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '["tencent.txt"]\ntitle = "Tencent notes"\n\n["tencnet-2020.txt"]\ntitle = "A typo"\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="qa"):
        docs = load_corpus(tmp_path)
    assert [d.title for d in docs] == ["Tencent notes"]
    messages = [r.getMessage() for r in caplog.records]
    assert any("'tencnet-2020.txt' names no file" in m for m in messages), messages


def _make_pdf_lines(path: Path, pages: list[list[str]]) -> None:
    """make_pdf with several lines a page: each line after the first is moved down by a
    text-positioning operator slipped in between make_pdf's "(...) Tj" strings."""
    make_pdf(path, [") Tj 0 -16 Td (".join(lines) for lines in pages])


def test_pdf_running_headers_footers_and_page_numbers_are_removed(tmp_path):
    pages = [
        ["Tencent Holdings Interim Report 2022 - Internal", "Part 1: Games",
         "Tencent earned 42 billion from games.", "Tencent Holdings Ltd. p. 1 of 3"],
        ["Tencent Holdings Interim Report 2022 - Internal", "Part 2: Cloud",
         "Tencent Cloud grew by 9 percent.", "Tencent Holdings Ltd. p. 2 of 3"],
        ["Tencent Holdings Interim Report 2022 - Internal", "Part 3: Payments",
         "WeChat Pay had 900 million users.", "Tencent Holdings Ltd. p. 3 of 3"],
    ]
    _make_pdf_lines(tmp_path / "report.pdf", pages)
    _make_pdf_lines(tmp_path / "numbered.pdf", [
        ["Alibaba overview", "Alibaba was founded in 1999 by Jack Ma. Its marketplaces had a", "- 1 -"],
        ["billion users in 2021.", "Ant Group was spun out in 2014.", "2/2"]])
    docs = {d.doc_id: d for d in load_corpus(tmp_path)}
    report = docs["report.pdf"]
    assert report.text.split("\n\n") == [
        "Part 1: Games Tencent earned 42 billion from games.",
        "Part 2: Cloud Tencent Cloud grew by 9 percent.",
        "Part 3: Payments WeChat Pay had 900 million users."]
    for number, words in enumerate(["Tencent earned", "Tencent Cloud grew", "WeChat Pay"], start=1):
        assert report.page_at(report.text.index(words)) == number
    numbered = docs["numbered.pdf"]
    # The page number goes; the sentence running on to page 2 stays one sentence, on page 1.
    assert numbered.text == ("Alibaba overview Alibaba was founded in 1999 by Jack Ma. Its marketplaces had a "
                             "billion users in 2021. Ant Group was spun out in 2014.")
    assert numbered.page_at(numbered.text.index("Its marketplaces")) == 1
    assert numbered.page_at(numbered.text.index("Ant Group")) == 2


def test_lines_repeated_inside_pages_or_numbers_inside_text_are_kept(tmp_path):
    _make_pdf_lines(tmp_path / "a.pdf", [
        ["Baidu runs Apollo.", "Apollo drives in Wuhan.", "It started in 2017.", "Revenue 2021",
         "Baidu earned 124 billion.", "7", "Search ads lead.", "Cloud follows.", "Robotaxis grow.", "1"],
        ["Ernie is a model.", "It answers in Chinese.", "It launched in 2023.", "Revenue 2022",
         "Baidu earned 134 billion.", "8", "Ernie has users.", "Wenku uses it.", "Maps too.", "2"]])
    text = load_corpus(tmp_path)[0].text
    assert text == ("Baidu runs Apollo. Apollo drives in Wuhan. It started in 2017. Revenue 2021 Baidu earned "
                    "124 billion. 7 Search ads lead. Cloud follows. Robotaxis grow.\n\n"
                    "Ernie is a model. It answers in Chinese. It launched in 2023. Revenue 2022 Baidu earned "
                    "134 billion. 8 Ernie has users. Wenku uses it. Maps too.")


def test_a_pdf_titled_untitled_by_its_writer_gets_a_title_of_its_own(tmp_path):
    from pypdf import PdfWriter

    for name, title in [("blank.pdf", "untitled"), ("word.pdf", "Microsoft Word - draft.docx"),
                        ("named.pdf", "JD Logistics Review")]:
        make_pdf(tmp_path / "plain.pdf", ["JD Logistics runs 1,300 warehouses."])
        writer = PdfWriter(clone_from=tmp_path / "plain.pdf")
        writer.add_metadata({"/Title": title})
        writer.write(tmp_path / name)
    (tmp_path / "plain.pdf").unlink()
    titles = {d.doc_id: d.title for d in load_corpus(tmp_path)}
    assert titles == {"blank.pdf": "JD Logistics runs 1,300 warehouses.",
                      "word.pdf": "JD Logistics runs 1,300 warehouses.", "named.pdf": "JD Logistics Review"}


def test_html_page_chrome_and_cookie_banners_are_dropped(tmp_path):
    (tmp_path / "p.html").write_text(
        "<html><body><div class='gdpr-overlay'><p>We store small files on your device.</p></div>"
        "<div id='CookieNotice'>This site uses cookies.</div>"
        "<div role='dialog' aria-label='Newsletter'>Sign up for our newsletter today.</div>"
        "<header><a href='/'>SiteName</a> <a href='/x'>Sections</a></header>"
        "<aside>Most read: something else</aside>"
        "<main><article><header><h1>Xiaomi in Europe</h1></header>"
        "<p>Xiaomi sells phones in Spain.</p><aside>Xiaomi was founded in 2010.</aside>"
        "<pre>Year  Phones\n2020  20m\n2021  30m</pre></article></main>"
        "<footer><p>Copyright SiteName. All rights reserved.</p></footer></body></html>")
    doc = load_corpus(tmp_path)[0]
    assert doc.title == "Xiaomi in Europe"
    assert doc.text.split("\n\n") == ["Xiaomi in Europe", "Xiaomi sells phones in Spain.",
                                      "Xiaomi was founded in 2010.", "Year Phones", "2020 20m", "2021 30m"]


def test_a_cookie_class_on_the_body_does_not_drop_the_page(tmp_path):
    (tmp_path / "p.html").write_text(
        "<html><body class='cookie-consent-pending'><div class='consent-wrapper'><h1>Didi</h1>"
        "<p>Didi runs ride hailing.</p></div></body></html>")
    assert load_corpus(tmp_path)[0].text == "Didi\n\nDidi runs ride hailing."


def test_markdown_markup_code_comments_and_front_matter_are_dropped(tmp_path):
    (tmp_path / "crlf.md").write_bytes(
        b"---\r\ntitle: Pinduoduo brief\r\nowner: someone\r\n---\r\n\r\nPinduoduo sells groceries.\r\n")
    (tmp_path / "doc.md").write_text(
        "```sh\n# set up the tool\nmake\n```\n\n"
        "# ByteDance notes\n\n"
        "~~~\n# not a heading\nByteDance revenue was made up here\n~~~\n\n"
        "<!-- ByteDance draft note, not for readers -->\n\n"
        "| Product | Users |\n|:--------|------:|\n| Douyin | 700m |\n| TikTok | 1b |\n\n"
        "> ByteDance was founded in 2012.\n\n"
        "1. First, Douyin launched.\n2. Then TikTok launched.\n")
    docs = {d.doc_id: d for d in load_corpus(tmp_path)}
    assert docs["crlf.md"].text == "Pinduoduo sells groceries."
    assert docs["crlf.md"].title == "Pinduoduo brief"
    doc = docs["doc.md"]
    assert doc.title == "ByteDance notes"
    assert doc.text.split("\n\n") == [
        "ByteDance notes", "Product | Users", "Douyin | 700m", "TikTok | 1b",
        "ByteDance was founded in 2012.", "First, Douyin launched.", "Then TikTok launched."]


def test_chinese_legacy_encodings_are_detected_or_taken_from_the_page(tmp_path, caplog):
    (tmp_path / "gbk.txt").write_bytes("Huawei (华为) was founded in 1987 in 深圳.".encode("gbk"))
    (tmp_path / "big5.html").write_bytes(
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=big5"></head>'
        "<body><p>騰訊由馬化騰創立。</p></body></html>".encode("big5"))
    (tmp_path / "gb.html").write_bytes(
        '<?xml version="1.0" encoding="GB2312"?><html><body><p>百度总部在北京。</p></body></html>'.encode("gb2312"))
    (tmp_path / "german.txt").write_bytes("Herr Müller aus München nutzt Alipay.".encode("cp1252"))
    with caplog.at_level(logging.WARNING, logger="qa"):
        docs = {d.doc_id: d.text for d in load_corpus(tmp_path)}
    assert docs == {"gbk.txt": "Huawei (华为) was founded in 1987 in 深圳.", "big5.html": "騰訊由馬化騰創立。",
                    "gb.html": "百度总部在北京。", "german.txt": "Herr Müller aus München nutzt Alipay."}
    assert sorted(r.getMessage() for r in caplog.records) == [
        "gbk.txt is not valid UTF-8 (byte 8); decoded as GB18030",
        "german.txt is not valid UTF-8 (byte 6); decoded as cp1252"]


def test_chinese_text_wrapped_in_a_file_joins_without_a_space(tmp_path):
    (tmp_path / "zh.txt").write_text("美团成立于2010年，\n2015年与大众点评\n合并。\n", encoding="utf-8")
    assert load_corpus(tmp_path)[0].text == "美团成立于2010年，2015年与大众点评合并。"


def test_content_at_page_edges_that_differs_in_its_numbers_is_kept(tmp_path):
    # Both opening sentences were removed as a "running header": alike but for their numbers.
    _make_pdf_lines(tmp_path / "t.pdf", [
        ["In 2019, Tencent had 1,151 million users.", "Tencent is based in Shenzhen.", "Annual review 2021 1"],
        ["In 2020, Tencent had 1,225 million users.", "Revenue grew strongly that year.", "Annual review 2021 2"]])
    text = load_corpus(tmp_path)[0].text
    assert "In 2019, Tencent had 1,151 million users." in text and "In 2020, Tencent had 1,225 million" in text
    assert "Annual review" not in text  # the footer: the same but for its page number


def test_a_sentence_running_on_to_the_next_page_is_one_passage(tmp_path):
    from qa.chunk import chunk_document

    _make_pdf_lines(tmp_path / "a.pdf", [["Alibaba grew into a giant whose revenue in"],
                                         ["fiscal 2020 reached 509.7 billion yuan.", "Cainiao is its logistics arm."]])
    doc = load_corpus(tmp_path)[0]
    chunks = chunk_document(doc)
    assert chunks[0].text.startswith("Alibaba grew") and "509.7 billion yuan." in chunks[0].text
    assert chunks[0].page == 1 and any(c.page == 2 and c.text.startswith("Cainiao") for c in chunks)


def test_html_marked_cookie_or_consent_but_long_and_section_headers_are_content(tmp_path):
    post = " ".join(["Alibaba Cloud opened a data centre in Frankfurt in 2016."] * 15)
    (tmp_path / "post.html").write_text(
        f"<html><body><div class='post tag-gdpr tag-cookies'><h2>Alibaba in Europe</h2><p>{post}</p></div>"
        "<section><header><h2>Early years</h2></header><p>Tencent was founded in 1998.</p></section>"
        "<blockquote><p>WeChat saved us.</p><footer>Pony Ma, 2014</footer></blockquote>"
        "<div class='cookie-banner'>We use cookies. <a href='/ok'>OK</a></div></body></html>")
    text = load_corpus(tmp_path)[0].text
    assert "Frankfurt in 2016" in text and "Early years" in text and "Pony Ma, 2014" in text
    assert "We use cookies" not in text


def test_a_markdown_timeline_keeps_its_years_and_a_list_drops_its_numbers(tmp_path):
    (tmp_path / "t.md").write_text("# Tencent\n\n1998. Tencent is founded in Shenzhen.\n\n2011. WeChat is launched.\n\n"
                                   "Top companies:\n\n1. Alibaba\n2. Tencent\n")
    text = load_corpus(tmp_path)[0].text
    assert "1998. Tencent is founded in Shenzhen." in text and "2011. WeChat is launched." in text
    assert "1. Alibaba" not in text and "Alibaba" in text


def test_accented_latin_text_is_not_taken_for_chinese(tmp_path, caplog):
    (tmp_path / "pt.txt").write_bytes("A Tencent anunciou a aquisição de participações.".encode("cp1252"))
    (tmp_path / "de.txt").write_bytes("Huawei: Umsatzgröße gemäß Jahresbericht 2020.".encode("cp1252"))
    docs = {d.doc_id: d.text for d in load_corpus(tmp_path)}
    assert docs == {"pt.txt": "A Tencent anunciou a aquisição de participações.",
                    "de.txt": "Huawei: Umsatzgröße gemäß Jahresbericht 2020."}


def test_a_file_without_a_title_is_titled_by_its_first_line_or_sentence_when_short(tmp_path):
    (tmp_path / "a.txt").write_text("Tencent notes\n\nTencent runs WeChat.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("In 2019, Tencent had 1,151 million monthly active users. Tencent is based in "
                                    "Shenzhen and was founded in 1998. Its flagship app is WeChat.", encoding="utf-8")
    (tmp_path / "c.txt").write_text("Tencent " * 30, encoding="utf-8")
    titles = {d.doc_id: d.title for d in load_corpus(tmp_path)}
    assert titles == {"a.txt": "Tencent notes", "b.txt": "In 2019, Tencent had 1,151 million monthly active users.",
                      "c.txt": "c"}


def test_site_chrome_written_as_divs_is_dropped_but_a_long_lead_is_kept(tmp_path):
    lead = " ".join(["Alibaba Group was founded in Hangzhou in 1999 by Jack Ma and seventeen partners."] * 3)
    (tmp_path / "p.html").write_text(
        "<html><body><div class='site-header'><a href='/'>Home</a> <a href='/n'>News</a> <a href='/l'>Login</a></div>"
        f"<div id='page-header'><p>{lead}</p></div>"
        "<div class='content'><p>Taobao was launched in May 2003.</p></div>"
        "<div class='footer'>Copyright 2024 TechNews | <a href='/c'>Contact</a> | <a href='/p'>Privacy</a></div>"
        "</body></html>", encoding="utf-8")
    text = load_corpus(tmp_path)[0].text
    assert "Login" not in text and "Copyright" not in text
    assert "Taobao was launched in May 2003." in text and "seventeen partners" in text
