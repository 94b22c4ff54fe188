"""Tests for qa/batch.py: question files in, answer files out.

Most tests swap `ask_many` and `ask_stream` for a fast deterministic fake (the batch module only calls the
public API), so parsing, writing, errors, exit codes and --resume are tested without a model.
The tests marked slow run the real engine on the session index of the repo corpus (conftest).
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import qa.batch as batch
from qa import MAX_QUESTION_CHARS, Answer, Citation, validate_question
from qa.batch import BatchInputError, batch_command, csv_header, read_questions, run_batch

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
UNKNOWABLE = "unknowable"  # the fake abstains on questions containing this word


def fake_answer(question: str, k: int) -> Answer:
    abstained = UNKNOWABLE in question
    cites = tuple(
        Citation(n=i + 1, doc_id=f"doc{i + 1}.txt", title=f"Doc {i + 1}, a title",
                 text=f"Passage {i + 1} about {question}.\nSecond line, with \"quotes\".",
                 start=10 * i, end=10 * i + 9, page=i + 1 if i else None, score=0.5)
        for i in range(min(k, 2))
    )
    return Answer(question=question, answer=None if abstained else f"Answer: {question}", abstained=abstained,
                  confidence=0.2 if abstained else 0.9, citations=cites, elapsed_ms=1.5)


class FakeEngine:
    """Stands in for qa.ask_many (the warm-up) and qa.ask_stream (the run): records every call
    and, like the real ones, rejects bad questions."""

    def __init__(self, fail_at_answer: int | None = None):
        self.calls: list[list[str]] = []
        self.fail_at_answer = fail_at_answer  # the stream raises instead of giving this answer (1-based)

    def ask_many(self, questions, k=5, *, corpus=None, index=None, docs=None):
        self.calls.append(list(questions))
        return [fake_answer(validate_question(q), k) for q in questions]

    def ask_stream(self, questions, k=5, *, corpus=None, index=None, docs=None):
        self.calls.append(list(questions))
        cleaned = [validate_question(q) for q in questions]  # checked at the call, as the real one

        def answers():
            for n, q in enumerate(cleaned, 1):
                if n == self.fail_at_answer:
                    raise RuntimeError("simulated crash")
                yield fake_answer(q, k)
        return answers()

    @property
    def asked(self) -> list[str]:
        return [q for call in self.calls[1:] for q in call]  # calls[0] is the warm-up question


@pytest.fixture
def fake(monkeypatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(batch, "ask_many", fake.ask_many)
    monkeypatch.setattr(batch, "ask_stream", fake.ask_stream)
    monkeypatch.setattr(batch, "get_engine", lambda *a, **kw: None)
    return fake


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def cli(*args: str):
    return CliRunner().invoke(batch_command, [str(a) for a in args], prog_name="qa batch")


# ---------------------------------------------------------------- input formats

def test_txt_skips_blank_and_comment_lines_and_uses_line_numbers_as_ids(tmp_path, fake):
    src = write(tmp_path / "q.txt",
                "# analyst questions\nWho founded Baidu?\n\n   \n  What is Alipay?  \r\n# skip me\nWhat is Apollo?")
    out = tmp_path / "a.jsonl"
    summary = run_batch(src, out, quiet=True)
    rows = read_jsonl(out)
    assert [(r["id"], r["question"]) for r in rows] == [
        (2, "Who founded Baidu?"), (5, "What is Alipay?"), (7, "What is Apollo?")]
    assert [r["answer"] for r in rows] == [f"Answer: {r['question']}" for r in rows]
    assert summary.exit_code == 0 and (summary.answered, summary.abstained, summary.errors) == (3, 0, 0)


def test_txt_hash_starts_a_comment_only_before_a_space_so_a_question_starting_with_hash_is_asked(tmp_path, fake):
    src = write(tmp_path / "q.txt", "# analyst questions\n#\n#\tsection two\n  # indented comment\n"
                                    "#1 smartphone maker in China?\n#MeToo in China?\n")
    out = tmp_path / "a.jsonl"
    result = cli(src, "-o", out)
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["question"]) for r in read_jsonl(out)] == [
        (5, "#1 smartphone maker in China?"), (6, "#MeToo in China?")]
    assert "answered 2," in result.stderr


def test_csv_with_bom_any_case_header_quotes_and_carried_columns(tmp_path, fake):
    text = ('ID,Question,Analyst,Notes\r\n'
            'a1,"Who founded Baidu, and when?",Ann,"two\nlines, one comma"\r\n'
            'a2,What is Alipay?,Bob,\r\n')
    src = write(tmp_path / "q.csv", text, "utf-8-sig")
    out = tmp_path / "a.jsonl"
    run_batch(src, out, quiet=True)
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["a1", "a2"]
    assert rows[0]["question"] == "Who founded Baidu, and when?"
    assert rows[0]["Analyst"] == "Ann" and rows[0]["Notes"] == "two\nlines, one comma"
    assert rows[1]["Notes"] == ""
    assert list(rows[0])[:3] == ["id", "Analyst", "Notes"]  # id, carried columns, then the answer


def test_csv_without_bom_or_id_uses_the_line_each_row_starts_on(tmp_path, fake):
    src = write(tmp_path / "q.csv", 'question,team\n"What is\nApollo?",auto\n\nWhat is Alipay?,pay\n')
    out = tmp_path / "a.jsonl"
    run_batch(src, out, quiet=True)
    assert [(r["id"], r["team"]) for r in read_jsonl(out)] == [(2, "auto"), (5, "pay")]


def test_csv_skips_rows_of_empty_cells(tmp_path, fake):
    src = write(tmp_path / "q.csv", "id,question\n1,What is Alipay?\n,\n , \n")
    assert [r.id for r in read_questions(src).rows] == ["1"]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_delimiter_semicolon_or_tab_is_detected_from_the_header(tmp_path, fake, delimiter):
    # Excel writes ';' where the decimal mark is a comma (most of Europe), tab in "Unicode text".
    text = (f"id{delimiter}question{delimiter}owner\r\n"
            f"1{delimiter}Who is the CEO of Tencent Cloud, and since when?{delimiter}ana\r\n"
            f"2{delimiter}\"When was Huawei Cloud launched{delimiter} and where?\"{delimiter}bob\r\n"
            f"3{delimiter}{delimiter}cy\r\n")
    src = write(tmp_path / "q.csv", text)
    out = tmp_path / "a.jsonl"
    result = cli(src, "-o", out, "-q")
    assert result.exit_code == 1, result.output  # row 3 has no question
    rows = read_jsonl(out)
    assert [(r["id"], r["owner"], r["question"]) for r in rows] == [
        ("1", "ana", "Who is the CEO of Tencent Cloud, and since when?"),
        ("2", "bob", f"When was Huawei Cloud launched{delimiter} and where?"),
        ("3", "cy", "")]
    assert rows[0]["answer"] == f"Answer: {rows[0]['question']}"
    assert rows[2]["error"].startswith("line 4: question is empty")


def test_csv_of_one_column_keeps_semicolons_and_tabs_inside_questions(tmp_path, fake):
    src = write(tmp_path / "q.csv", "Question\nWhat is Alipay; and Ant?\nWhat is\tApollo?\n")
    assert [r.question for r in read_questions(src).rows] == ["What is Alipay; and Ant?", "What is\tApollo?"]
    src = write(tmp_path / "q.csv", "question;\nWhat is Alipay, and Ant?;\n")  # Excel's trailing ';'
    assert [r.question for r in read_questions(src).rows] == ["What is Alipay, and Ant?"]


def test_csv_without_a_question_column_names_the_delimiter_it_was_read_with(tmp_path, fake):
    src = write(tmp_path / "q.csv", "id;text;owner\n1;What is Alipay?;ann\n")
    result = cli(src)
    assert result.exit_code == 2
    assert "no 'question' column" in result.stderr and "semicolon-separated as detected" in result.stderr
    assert "'id', 'text', 'owner'" in result.stderr


def test_excel_sep_line_declares_the_delimiter_and_is_not_a_row(tmp_path, fake):
    src = write(tmp_path / "q.csv", "sep=;\r\nid;question\r\n1;Who is the CEO of Tencent Cloud, really?\r\n"
                                    "2;\r\n\r\n3;When was Huawei Cloud launched?\r\n")
    out = tmp_path / "a.jsonl"
    result = cli(src, "-o", out)
    assert result.exit_code == 1, result.output
    rows = read_jsonl(out)
    assert [(r["id"], r["question"]) for r in rows] == [
        ("1", "Who is the CEO of Tencent Cloud, really?"), ("2", ""), ("3", "When was Huawei Cloud launched?")]
    assert rows[1]["error"].startswith("line 4: question is empty")  # the file's own line numbers
    assert "line 4: question is empty" in result.stderr

    # Any delimiter Excel would honour, ids defaulting to the real line; a header without 'question' says so.
    src = write(tmp_path / "q.csv", "SEP=|\nquestion|desk\nWhat is Alipay, and Ant?|pay\n")
    (row,) = read_questions(src).rows
    assert (row.id, row.question, row.fields) == (3, "What is Alipay, and Ant?", {"desk": "pay"})
    src = write(tmp_path / "q.csv", "sep=,\nid;question\n1;What is Alipay?\n")
    with pytest.raises(BatchInputError, match="comma-separated by its 'sep=,' line"):
        read_questions(src)


@pytest.fixture
def qa_log(caplog, monkeypatch):
    """caplog for the 'qa' logger even after a `qa` command set it up to print only to its own stderr."""
    import logging

    log = logging.getLogger("qa")
    monkeypatch.setattr(log, "propagate", True)
    monkeypatch.setattr(log, "handlers", [])
    with caplog.at_level(logging.WARNING, logger="qa"):
        yield caplog


def test_cp1252_csv_from_excel_is_read_with_a_warning_naming_the_file_and_encoding(tmp_path, fake, qa_log):
    text = ("id;question;owner\r\n1;Who is the CEO of Tencent Cloud?;José\r\n"
            "2;What share of the cloud market did Tencent Cloud hold – in 2022, in €?;Zoë\r\n")
    src = write(tmp_path / "q.csv", text, "cp1252")
    out = tmp_path / "a.jsonl"
    result = cli(src, "-o", out)
    assert result.exit_code == 0, result.output
    rows = read_jsonl(out)
    assert [(r["question"], r["owner"]) for r in rows] == [
        ("Who is the CEO of Tencent Cloud?", "José"),
        ("What share of the cloud market did Tencent Cloud hold – in 2022, in €?", "Zoë")]
    (message,) = [r.getMessage() for r in qa_log.records]
    assert str(src) in message and "cp1252" in message and "line 2" in message


@pytest.mark.parametrize("bom, encoding", [
    (b"", "utf-16"),  # Python's utf-16 writes the mark itself, little-endian here
    (b"\xfe\xff", "utf-16-be"),
    (b"", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8"),
])
def test_unicode_text_with_a_byte_order_mark_is_read_without_a_warning(tmp_path, fake, qa_log, bom, encoding):
    # Excel's "Unicode text": UTF-16 with a mark, tab-separated, CRLF.
    text = "id\tquestion\towner\r\n1\tWho is the CEO of Tencent Cloud?\tJosé\r\n2\t腾讯云何时成立？\t李\r\n"
    src = tmp_path / "q.csv"
    src.write_bytes(bom + text.encode(encoding))
    rows = read_questions(src).rows
    assert [(r.line, r.id, r.question, r.fields) for r in rows] == [
        (2, "1", "Who is the CEO of Tencent Cloud?", {"owner": "José"}),
        (3, "2", "腾讯云何时成立？", {"owner": "李"})]
    assert qa_log.records == []
    txt = tmp_path / "q.txt"
    txt.write_bytes(bom + "What is Alipay?\r\n# a comment\r\nWho founded 百度?\r\n".encode(encoding))
    assert [(r.id, r.question) for r in read_questions(txt).rows] == [
        (1, "What is Alipay?"), (3, "Who founded 百度?")]


def test_excel_unicode_text_saved_as_txt_is_read_as_its_table(tmp_path, fake):
    # Excel saves "Unicode text" as .txt: without this, "1\tWho is ...\tJosé" was asked whole.
    src = tmp_path / "q.txt"
    src.write_bytes("ID\tQuestion\towner\r\n1\tWho is the CEO of Tencent Cloud?\tJosé\r\n".encode("utf-16"))
    out = tmp_path / "a.jsonl"
    assert cli(src, "-o", out).exit_code == 0
    assert [(r["id"], r["question"], r["owner"]) for r in read_jsonl(out)] == [
        ("1", "Who is the CEO of Tencent Cloud?", "José")]
    src = write(tmp_path / "q.txt", "What is\tApollo?\nquestion\tanswer\n")  # a tab in a question is kept
    assert [r.question for r in read_questions(src).rows] == ["What is\tApollo?", "question\tanswer"]


def test_latin1_txt_is_read_as_cp1252(tmp_path, fake, qa_log):
    src = tmp_path / "q.txt"
    src.write_bytes("What is Alipay?\nWhat about Zürich?\n".encode("latin-1"))
    result = cli(src)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["question"] for line in result.stdout.splitlines()] == [
        "What is Alipay?", "What about Zürich?"]
    assert "line 2" in qa_log.records[0].getMessage()


@pytest.mark.parametrize("data, problem", [
    # bytes cp1252 leaves undefined: no encoding tried reads the file unchanged
    (b"question\nWhat is Alipay?\nWhat is \x81Apollo?\n", "neither UTF-8 nor cp1252 text (byte 0x81 on line 3)"),
    # UTF-8 lines next to cp1252 ones (files joined): cp1252 would turn "ü" into "Ã¼"
    ("question\nWhat about Zürich?\n".encode() + "What about Málaga?\n".encode("cp1252"),
     "mixes UTF-8 (line 2) with another encoding (byte 0xe1 on line 3)"),
    (b"\xef\xbb\xbfquestion\r\nWhat about M\xe1laga?\r\n",
     "starts with a UTF-8 byte-order mark but is not UTF-8 (line 2)"),
    (b"\xff\xfeq\x00u\x00\x00\xdc", "starts with a UTF-16 byte-order mark but is not UTF-16"),
    ("question\nWhat is Alipay?\n".encode("utf-16-le"), "holds NUL bytes (UTF-16 without a byte-order mark?)"),
])
def test_exit_code_2_for_a_file_no_encoding_reads_unchanged(tmp_path, fake, data, problem):
    src = tmp_path / "q.csv"
    src.write_bytes(data)
    result = cli(src)
    assert result.exit_code == 2 and str(src) in result.stderr and problem in result.stderr, result.stderr
    assert "save it as UTF-8" in result.stderr and fake.calls == []


def test_jsonl_carries_other_keys_and_keeps_id_types(tmp_path, fake):
    src = write(tmp_path / "q.jsonl", "\n".join([
        json.dumps({"id": 7, "question": "Who founded Baidu?", "tags": ["bat", "search"], "meta": {"p": 1}}),
        "",
        json.dumps({"question": "What is Alipay?", "source": "desk"}),
        json.dumps({"id": "x9", "Question": "What is Apollo?"}),
    ]))
    out = tmp_path / "a.jsonl"
    run_batch(src, out, quiet=True)
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == [7, 3, "x9"]
    assert rows[0]["tags"] == ["bat", "search"] and rows[0]["meta"] == {"p": 1}
    assert rows[1]["source"] == "desk" and "source" not in rows[0]
    assert rows[2]["question"] == "What is Apollo?"


def test_dev_question_file_reads_with_its_extra_keys_carried():
    table = read_questions(ROOT / "tests" / "data" / "dev_questions.jsonl")
    assert table.rows and all(r.error is None for r in table.rows)
    assert {"answers", "evidence", "doc", "answerable"} <= set(table.columns)


def test_output_order_is_input_order_across_chunks(tmp_path, fake, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_ROWS", 3)
    questions = [f"Question number {i}?" for i in range(10)]
    src = write(tmp_path / "q.txt", "\n".join(questions))
    out = tmp_path / "a.jsonl"
    run_batch(src, out, quiet=True)
    assert [r["question"] for r in read_jsonl(out)] == questions
    assert [len(c) for c in fake.calls] == [1, 10]  # the warm-up, then one stream written in chunks of 3


# ---------------------------------------------------------------- output formats

def test_jsonl_rows_have_the_answer_fields_and_all_rows_the_same_keys(tmp_path, fake):
    src = write(tmp_path / "q.csv", f"id,question,desk\n1,What is Alipay?,pay\n2,,pay\n3,Is it {UNKNOWABLE}?,x\n")
    out = tmp_path / "a.jsonl"
    run_batch(src, out, k=2, quiet=True)
    ok, bad, abstained = read_jsonl(out)
    expected = {"id": "1", "desk": "pay", **fake_answer("What is Alipay?", 2).to_dict(), "error": None}
    assert ok == expected
    assert list(ok) == list(bad) == list(abstained)
    assert bad["error"].startswith("line 3: ") and bad["answer"] is None and bad["citations"] == []
    assert abstained["abstained"] is True and abstained["answer"] is None


def test_csv_output_columns_and_cells(tmp_path, fake):
    src = write(tmp_path / "q.csv",
                f'id,question,analyst\n1,"What is Alipay, really?",Ann\n2,,Bob\n3,Is it {UNKNOWABLE}?,Cy\n')
    out = tmp_path / "a.csv"
    run_batch(src, out, k=3, quiet=True)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
    with open(out, encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    assert header == csv_header(["analyst"], 3)
    assert header[:6] == ["id", "analyst", "question", "answer", "abstained", "confidence"]
    assert header[6:10] == ["citation_1_title", "citation_1_doc_id", "citation_1_page", "citation_1_passage"]
    assert header[-2:] == ["citations_json", "error"]

    ok, bad, abstained = read_csv(out)
    expected = fake_answer("What is Alipay, really?", 3)
    assert (ok["id"], ok["analyst"], ok["question"], ok["answer"]) == ("1", "Ann", expected.question, expected.answer)
    assert (ok["abstained"], ok["confidence"], ok["error"]) == ("false", "0.9", "")
    c1, c2 = expected.citations
    assert (ok["citation_1_title"], ok["citation_1_doc_id"], ok["citation_1_page"]) == (c1.title, c1.doc_id, "")
    assert ok["citation_1_passage"] == c1.text  # newlines and quotes survive
    assert ok["citation_2_page"] == "2"
    assert ok["citation_3_title"] == ok["citation_3_passage"] == ""  # fewer citations than k
    assert json.loads(ok["citations_json"]) == [c.to_dict() for c in expected.citations]
    assert bad["error"].startswith("line 3: question is empty") and bad["analyst"] == "Bob"
    assert bad["answer"] == bad["abstained"] == bad["citations_json"] == ""
    assert abstained["abstained"] == "true" and abstained["answer"] == ""


def test_csv_cells_a_spreadsheet_would_run_as_formulas_get_a_quote_and_jsonl_stays_verbatim(
        tmp_path, fake, monkeypatch):
    def formula_answer(question: str, k: int) -> Answer:
        cite = Citation(n=1, doc_id="@evil.txt", title="=HYPERLINK(\"http://x\",\"click\")",
                        text="+cmd|' /C calc'!A0 and more", start=0, end=9, page=None, score=0.5)
        return Answer(question=question, answer="-2+3 is the answer", abstained=False, confidence=0.9,
                      citations=(cite,), elapsed_ms=1.0)

    monkeypatch.setattr(batch, "ask_stream", lambda qs, k=5, **kw: iter([formula_answer(q, k) for q in qs]))
    src = write(tmp_path / "q.csv", 'id,question,note\n=x,"What is Alipay?",-3\n')
    run_batch(src, tmp_path / "a.csv", k=1, quiet=True)
    (row,) = read_csv(tmp_path / "a.csv")
    assert row["answer"] == "'-2+3 is the answer"
    assert row["citation_1_title"] == "'=HYPERLINK(\"http://x\",\"click\")"
    assert row["citation_1_doc_id"] == "'@evil.txt"
    assert row["citation_1_passage"] == "'+cmd|' /C calc'!A0 and more"
    assert row["note"] == "-3" and row["id"] == "=x"  # a plain number stays; the id is kept for --resume
    assert json.loads(row["citations_json"])[0]["title"].startswith("=HYPERLINK")  # starts with [, safe
    run_batch(src, tmp_path / "a.jsonl", k=1, quiet=True)
    (obj,) = read_jsonl(tmp_path / "a.jsonl")
    assert obj["answer"] == "-2+3 is the answer" and obj["citations"][0]["title"].startswith("=HYPERLINK")
    summary = run_batch(src, tmp_path / "a.csv", k=1, quiet=True, resume=True)
    assert summary.skipped == 1


def test_jsonl_input_to_csv_output_has_the_union_of_carried_keys(tmp_path, fake):
    src = write(tmp_path / "q.jsonl",
                '{"question": "What is Alipay?", "a": 1}\n{"question": "What is Apollo?", "b": [2]}\n')
    out = tmp_path / "a.csv"
    run_batch(src, out, k=1, quiet=True)
    rows = read_csv(out)
    assert [(r["a"], r["b"]) for r in rows] == [("1", ""), ("", "[2]")]


def test_default_output_is_jsonl_on_stdout_and_the_summary_goes_to_stderr(tmp_path, fake):
    src = write(tmp_path / "q.txt", f"What is Alipay?\nIs it {UNKNOWABLE}?\n")
    result = cli(src)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [1, 2]
    assert "answered 1, abstained 1, errors 0" in result.stderr
    assert "answered" not in result.stdout


def test_a_carried_column_named_like_an_output_field_is_renamed(tmp_path, fake):
    src = write(tmp_path / "q.csv", "question,answer,citation_1_title\nWhat is Alipay?,a payment app,x\n")
    out = tmp_path / "a.jsonl"
    result = cli(src, "-o", out)
    (row,) = read_jsonl(out)
    assert row["input_answer"] == "a payment app" and row["input_citation_1_title"] == "x"
    assert row["answer"] == "Answer: What is Alipay?"
    assert "'answer' is written as 'input_answer'" in result.stderr


# ---------------------------------------------------------------- bad rows

BAD_ROWS = [
    # (file name, content, line of the bad row, words the error must contain)
    ("q.csv", "id,question\n1,What is Alipay?\n2,\n3,What is Apollo?\n", 3, "question is empty"),
    ("q.csv", "id,question\n1,What is Alipay?\n2,   \n3,What is Apollo?\n", 3, "question is empty"),
    ("q.csv", "id,question,desk\n1,What is Alipay?,x\n2\n3,What is Apollo?,y\n", 3, "missing field 'question'"),
    ("q.csv", "question,desk\nWhat is Alipay?,x\nWhat is, Apollo?,y\nWhat is Apollo?,y\n", 3, "the header has 2"),
    ("q.jsonl", '{"question": "What is Alipay?"}\n{"question": "What is Apollo?"\n{"question": "Who?"}\n', 2, "not valid JSON"),
    ("q.jsonl", '{"question": "What is Alipay?"}\n\n["What is Apollo?"]\n', 3, "expected a JSON object"),
    ("q.jsonl", '{"question": "What is Alipay?"}\n{"id": 5, "text": "What is Apollo?"}\n', 2, "missing field 'question'"),
    ("q.jsonl", '{"question": "What is Alipay?"}\n{"question": 42}\n', 2, "question must be a string"),
    ("q.jsonl", '{"question": "What is Alipay?"}\n{"question": ""}\n', 2, "question is empty"),
    ("q.jsonl", '{"question": "What is Alipay?"}\n{"question": "Who?", "id": [1]}\n', 2, "id must be a string or a number"),
    ("q.txt", f"What is Alipay?\n{'x' * (MAX_QUESTION_CHARS + 1)}\n", 2, f"the limit is {MAX_QUESTION_CHARS:,}"),
    ("q.csv", f"question\nWhat is Alipay?\n{'y' * (MAX_QUESTION_CHARS + 1)}\n", 3, "the limit is"),
    ("q.jsonl", json.dumps({"question": "z" * (MAX_QUESTION_CHARS + 5)}) + "\n", 1, "the limit is"),
    ("q.csv", "id,question\n1,What is Alipay?\n1,What is Apollo?\n", 3, "id '1' is already used on line 2"),
]


@pytest.mark.parametrize("name,content,line,words", BAD_ROWS, ids=[f"{n}:{w}" for n, _, _, w in BAD_ROWS])
def test_a_bad_row_gets_an_error_naming_its_line_and_the_run_goes_on(tmp_path, fake, name, content, line, words):
    src = write(tmp_path / name, content)
    out = tmp_path / "a.jsonl"
    result = cli(src, "-o", out, "--quiet")
    assert result.exit_code == 1, result.output
    rows = read_jsonl(out)
    errors = [r["error"] for r in rows if r["error"]]
    assert len(errors) == 1 and errors[0].startswith(f"line {line}: ") and words in errors[0], errors
    assert all(r["answer"] == f"Answer: {r['question']}" for r in rows if not r["error"])
    assert len(rows) == len(read_questions(src).rows)
    assert all(validate_question(q) for q in fake.asked)  # a bad question never reached ask_stream
    assert f"line {line}: " in result.stderr and "errors 1" in result.stderr  # --quiet still reports errors


def test_the_summary_lists_the_first_errors_and_counts_the_rest(tmp_path, fake):
    src = write(tmp_path / "q.csv", "question,n\n" + "".join(f",{i}\n" for i in range(14)) + "What is Alipay?,x\n")
    summary = run_batch(src, tmp_path / "a.jsonl", quiet=True)
    assert (summary.answered, summary.errors, summary.exit_code) == (1, 14, 1)
    assert summary.error_messages[0] == "line 2: question is empty: ''"
    assert len(summary.error_messages) == batch.ERRORS_SHOWN
    assert summary.to_dict()["errors"] == 14
    result = cli(src, "-o", tmp_path / "b.jsonl")
    assert "... and 4 more" in result.stderr


# ---------------------------------------------------------------- exit codes

def test_exit_code_0_when_every_row_is_answered_or_abstained(tmp_path, fake):
    src = write(tmp_path / "q.txt", f"What is Alipay?\nIs it {UNKNOWABLE}?\n")
    result = cli(src, "-o", tmp_path / "a.csv", "-q")
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.parametrize("name,content,problem", [
    ("missing.csv", None, "no such file"),
    ("missing.xlsx", None, "no such file"),
    ("q.xlsx", "question\nWhat?\n", "unknown input extension '.xlsx'"),
    ("q.csv", "id,text,analyst\n1,What is Alipay?,Ann\n", "no 'question' column"),
    ("q.csv", "", "is empty"),
    ("q.csv", "\n\n", "is empty"),
    ("q.csv", "id,question\n", "holds no questions"),
    ("q.txt", "", "holds no questions"),
    ("q.txt", "\n# only a comment\n\n", "holds no questions"),
    ("q.jsonl", "", "holds no questions"),
    ("q.jsonl", "\n  \n", "holds no questions"),
])
def test_exit_code_2_for_unusable_input_names_the_file_and_the_problem(tmp_path, fake, name, content, problem):
    src = tmp_path / name
    if content is not None:
        write(src, content)
    out = tmp_path / "a.jsonl"
    result = cli(src, "-o", out)
    assert result.exit_code == 2
    assert str(src) in result.stderr and problem in result.stderr
    assert not out.exists() and fake.calls == []


def test_exit_code_2_for_a_directory_an_unknown_output_extension_or_resume_to_stdout(tmp_path, fake):
    src = write(tmp_path / "q.txt", "What is Alipay?\n")
    (tmp_path / "dir.txt").mkdir()
    result = cli(tmp_path / "dir.txt")
    assert result.exit_code == 2 and "is a directory" in result.stderr
    result = cli(src, "-o", tmp_path / "a.json")
    assert result.exit_code == 2 and "unknown output extension '.json'" in result.stderr
    result = cli(src, "--resume")
    assert result.exit_code == 2 and result.stderr.startswith("Error: --resume needs an output file")
    same = write(tmp_path / "q.jsonl", '{"question": "What is Alipay?"}\n')
    result = cli(same, "-o", same)
    assert result.exit_code == 2 and "is the input file too" in result.stderr
    assert same.read_text() == '{"question": "What is Alipay?"}\n'


def test_run_batch_raises_batch_input_error_with_path_and_problem(tmp_path, fake):
    with pytest.raises(BatchInputError) as err:
        run_batch(tmp_path / "nope.txt")
    assert err.value.path == str(tmp_path / "nope.txt") and err.value.problem.startswith("no such file")


def test_an_engine_that_cannot_start_exits_2_without_touching_the_output(tmp_path, monkeypatch):
    from qa.errors import EmptyCorpusError

    def no_corpus(*a, **kw):
        raise EmptyCorpusError("corpus folder /nowhere does not exist")

    monkeypatch.setattr(batch, "get_engine", no_corpus)
    src = write(tmp_path / "q.txt", "What is Alipay?\n")
    out = write(tmp_path / "a.jsonl", '{"id": 1}\n')
    result = cli(src, "-o", out)
    assert result.exit_code == 2 and "/nowhere" in result.stderr
    assert out.read_text() == '{"id": 1}\n'


def test_k_must_be_at_least_1(tmp_path, fake):
    src = write(tmp_path / "q.txt", "What is Alipay?\n")
    assert cli(src, "-k", "0").exit_code == 2
    with pytest.raises(ValueError, match="k must be"):
        run_batch(src, k=0)


# ---------------------------------------------------------------- --resume

def questions_file(tmp_path: Path, n: int = 7) -> Path:
    rows = [f'q{i},"Question {i}, with a comma?",desk {i}' for i in range(n)]
    rows[3] = 'q3,,desk 3'  # one error row, which --resume must not repeat either
    return write(tmp_path / "q.csv", "id,question,desk\n" + "\n".join(rows) + "\n")


def assert_complete(out: Path, reference: Path) -> None:
    if out.suffix == ".jsonl":
        got, want = read_jsonl(out), read_jsonl(reference)
    else:
        got, want = read_csv(out), read_csv(reference)
    ids = [r["id"] for r in got]
    assert len(ids) == len(set(ids)), f"duplicate rows: {ids}"
    assert got == want


@pytest.mark.parametrize("ext", ["jsonl", "csv"])
def test_resume_after_a_crash_keeps_the_finished_chunks_and_adds_the_rest(tmp_path, fake, monkeypatch, ext):
    src = questions_file(tmp_path)
    reference = tmp_path / f"reference.{ext}"
    run_batch(src, reference, quiet=True)

    monkeypatch.setattr(batch, "CHUNK_ROWS", 2)
    crashing = FakeEngine(fail_at_answer=4)  # two chunks (q3 is an error row), then a crash on the third
    monkeypatch.setattr(batch, "ask_many", crashing.ask_many)
    monkeypatch.setattr(batch, "ask_stream", crashing.ask_stream)
    out = tmp_path / f"a.{ext}"
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_batch(src, out, quiet=True)
    finished = read_jsonl(out) if ext == "jsonl" else read_csv(out)
    assert [r["id"] for r in finished] == ["q0", "q1", "q2", "q3"]

    resumed = FakeEngine()
    monkeypatch.setattr(batch, "ask_many", resumed.ask_many)
    monkeypatch.setattr(batch, "ask_stream", resumed.ask_stream)
    result = cli(src, "-o", out, "--resume")
    assert result.exit_code == 1  # the error row q3 from before is still in the file
    assert "resuming: 4 rows already in" in result.stderr
    assert "errors 0, skipped 4 already in" in result.stderr and "(1 with errors)" in result.stderr
    assert resumed.asked == ["Question 4, with a comma?", "Question 5, with a comma?", "Question 6, with a comma?"]
    assert_complete(out, reference)


@pytest.mark.parametrize("ext", ["jsonl", "csv"])
def test_resume_cuts_off_a_row_a_crash_left_half_written(tmp_path, fake, ext):
    src = questions_file(tmp_path)
    reference = tmp_path / f"reference.{ext}"
    run_batch(src, reference, quiet=True)
    data = reference.read_bytes()
    # Cut inside row q2's first passage, just after the newline inside it, so the cut-off row
    # ends with a line end and looks whole line by line but not field by field.
    cut = data.index(b"Passage 1 about Question 2") + len("Passage 1 about Question 2, with a comma?.")
    cut += 2 if ext == "jsonl" else 1  # the \n escape in jsonl, the raw newline in csv
    out = tmp_path / f"a.{ext}"
    out.write_bytes(data[:cut])

    summary = run_batch(src, out, resume=True, quiet=True)
    assert summary.skipped == 2
    assert_complete(out, reference)


def test_resume_keeps_a_last_jsonl_row_that_only_lacks_its_newline(tmp_path, fake):
    src = questions_file(tmp_path)
    reference = tmp_path / "reference.jsonl"
    run_batch(src, reference, quiet=True)
    lines = reference.read_text(encoding="utf-8").splitlines(keepends=True)
    out = tmp_path / "a.jsonl"
    out.write_text("".join(lines[:3]).rstrip("\n"), encoding="utf-8")
    assert run_batch(src, out, resume=True, quiet=True).skipped == 3
    assert_complete(out, reference)


def test_resume_with_nothing_left_asks_nothing(tmp_path, fake):
    src = questions_file(tmp_path)
    out = tmp_path / "a.csv"
    run_batch(src, out, quiet=True)
    before = out.read_bytes()
    fake.calls.clear()
    summary = run_batch(src, out, resume=True, quiet=True)
    assert fake.calls == [] and out.read_bytes() == before
    assert (summary.skipped, summary.answered, summary.errors) == (7, 0, 0)


class CountingText(str):
    """A str that counts the characters copied out of it by slicing."""

    copied = 0

    def __getitem__(self, key):
        part = super().__getitem__(key)
        CountingText.copied += len(part)
        return part


def test_resume_reads_a_csv_output_in_linear_work(tmp_path, fake, monkeypatch):
    """Reading back what a CSV run wrote copies the text a bounded number of times, not once a
    row (which made resuming a finished 4,000-row, 30 MB file take over a minute)."""
    import qa.batch_output as batch_output

    n = 600
    src = write(tmp_path / "q.txt", "".join(f"Question {i}?\n" for i in range(n)))
    out = tmp_path / "a.csv"
    run_batch(src, out, quiet=True)
    original = batch_output._done_csv
    sizes = []

    def counting_done_csv(path, text, header):
        sizes.append(len(text))
        CountingText.copied = 0
        return original(path, CountingText(text), header)

    monkeypatch.setattr(batch_output, "_done_csv", counting_done_csv)
    fake.calls.clear()
    summary = run_batch(src, out, resume=True, quiet=True)
    assert summary.skipped == n and fake.calls == []
    assert CountingText.copied <= 2 * sizes[0], (CountingText.copied, sizes[0])


def test_resume_without_an_output_file_yet_starts_one(tmp_path, fake):
    src = questions_file(tmp_path)
    reference = tmp_path / "reference.csv"
    run_batch(src, reference, quiet=True)
    out = tmp_path / "new" / "a.csv"
    run_batch(src, out, resume=True, quiet=True)
    assert_complete(out, reference)


def test_resume_into_a_csv_with_other_columns_exits_2_and_leaves_it(tmp_path, fake):
    src = questions_file(tmp_path)
    out = tmp_path / "a.csv"
    run_batch(src, out, k=5, quiet=True)
    before = out.read_bytes()
    result = cli(src, "-o", out, "--resume", "-k", "2")
    assert result.exit_code == 2 and str(out) in result.stderr and "has columns" in result.stderr
    assert out.read_bytes() == before


def test_resume_refuses_an_output_with_a_broken_row_in_the_middle(tmp_path, fake):
    src = questions_file(tmp_path)
    out = write(tmp_path / "a.jsonl", '{"id": "q0"}\nnot json\n{"id": "q1"}\n')
    result = cli(src, "-o", out, "--resume")
    assert result.exit_code == 2 and "line 2 is not JSON" in result.stderr


def test_without_resume_an_existing_output_is_replaced(tmp_path, fake):
    src = questions_file(tmp_path)
    out = write(tmp_path / "a.jsonl", '{"id": "old"}\n')
    run_batch(src, out, quiet=True)
    assert [r["id"] for r in read_jsonl(out)] == [f"q{i}" for i in range(7)]


# ---------------------------------------------------------------- the command itself

def test_help_lists_formats_and_exit_codes():
    result = cli("--help")
    assert result.exit_code == 0
    for words in (".txt", ".csv", ".jsonl", "--resume", "--quiet", "Exit codes"):
        assert words in result.output


def test_importing_the_batch_module_loads_no_heavy_package():
    code = ("import sys, qa.batch; heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'gradio') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_example_files_parse_cleanly():
    tables = {ext: read_questions(EXAMPLES / f"questions.{ext}") for ext in ("csv", "txt", "jsonl")}
    assert len(tables["csv"].rows) >= 10
    assert all(r.error is None for t in tables.values() for r in t.rows)
    assert tables["csv"].columns == ["analyst"]
    assert [r.question for r in tables["txt"].rows] == [r.question for r in tables["csv"].rows]
    assert [r.question for r in tables["jsonl"].rows] == [r.question for r in tables["csv"].rows]


# ---------------------------------------------------------------- end to end, real engine

@pytest.fixture
def real_index(seed_corpus, seed_index) -> dict:
    """The session's index of the repo corpus (conftest builds it once for all slow tests)."""
    return {"corpus": seed_corpus, "index": seed_index}


def without_timing(d: dict) -> dict:
    return {key: value for key, value in d.items() if key != "elapsed_ms"}


@pytest.mark.slow
def test_ask_and_ask_many_give_identical_answers(real_index):
    from qa import ask, ask_many

    questions = [r.question for r in read_questions(EXAMPLES / "questions.csv").rows]
    questions += ["What colour is the sky on Mars?", "Baidu", "How many AI patents had Baidu filed?"]
    singles = [without_timing(ask(q, **real_index).to_dict()) for q in questions]
    together = [without_timing(a.to_dict()) for a in ask_many(questions, **real_index)]
    reversed_batch = [without_timing(a.to_dict()) for a in ask_many(questions[::-1], **real_index)][::-1]
    for q, one, many, rev in zip(questions, singles, together, reversed_batch):
        assert one == many == rev, q


@pytest.mark.slow
def test_batch_of_the_example_file_matches_ask_row_for_row(real_index, tmp_path):
    from qa import ask

    out = tmp_path / "answers.jsonl"
    summary = run_batch(EXAMPLES / "questions.csv", out, k=3, quiet=True, **real_index)
    table = read_questions(EXAMPLES / "questions.csv")
    rows = read_jsonl(out)
    assert summary.exit_code == 0 and summary.answered + summary.abstained == len(table.rows) == len(rows)
    assert [r["id"] for r in rows] == [r.id for r in table.rows]
    for row, src in zip(rows, table.rows):
        assert row["analyst"] == src.fields["analyst"] and row["error"] is None
        expected = without_timing(ask(src.question, k=3, **real_index).to_dict())
        assert {key: row[key] for key in expected} == expected
        assert row["abstained"] or (row["answer"] and row["citations"])


@pytest.mark.slow
@pytest.mark.parametrize("variable, value, message", [
    ("QA_ENCODE_WORKERS", "abc", "QA_ENCODE_WORKERS must be an integer >= 1, got 'abc'"),
    ("QA_BACKEND", "bogus", "QA_BACKEND must be 'onnx' or 'torch', got 'bogus'"),  # was silently ignored
])
def test_a_bad_setting_is_one_line_and_exit_code_2(real_index, tmp_path, variable, value, message):
    import os

    src = write(tmp_path / "q.txt", "".join(f"What is Cainiao, take {i}?\n" for i in range(40)))
    qa = Path(sys.executable).with_name("qa")
    r = subprocess.run([str(qa), "batch", str(src), "-o", str(tmp_path / "a.jsonl"), "-q",
                        "--corpus", str(real_index["corpus"]), "--index", str(real_index["index"])],
                       capture_output=True, text=True, env={**os.environ, variable: value})
    assert (r.returncode, r.stderr) == (2, f"Error: {message}\n")


@pytest.mark.slow
def test_cli_writes_csv_with_citations_from_the_real_corpus(real_index, tmp_path):
    out = tmp_path / "answers.csv"
    result = cli(EXAMPLES / "questions.txt", "-o", out, "-k", "2", "--quiet",
                 "--corpus", real_index["corpus"], "--index", real_index["index"])
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert len(rows) == len(read_questions(EXAMPLES / "questions.txt").rows)
    answered = [r for r in rows if r["abstained"] == "false"]
    assert answered, "no example question was answered"
    for r in answered:
        cites = json.loads(r["citations_json"])
        assert r["citation_1_doc_id"] == cites[0]["doc_id"] and r["citation_1_passage"] == cites[0]["text"]
        assert r["answer"] in r["citation_1_passage"] or any(r["answer"] in c["text"] for c in cites)


def test_a_chinese_windows_csv_is_read_as_gb18030_with_a_warning(tmp_path, qa_log):
    # Excel's "CSV" on a Chinese Windows is GBK; it was read as cp1252 mojibake ("°Ù¶ÈµÄ...").
    src = write(tmp_path / "q.csv", "question,备注\r\n百度的创始人是谁？,测试\r\n腾讯总部在哪里？,测试\r\n", "gbk")
    rows = read_questions(src).rows
    assert [(r.question, r.fields) for r in rows] == [("百度的创始人是谁？", {"备注": "测试"}),
                                                      ("腾讯总部在哪里？", {"备注": "测试"})]
    (message,) = [r.getMessage() for r in qa_log.records]
    assert str(src) in message and "GB18030" in message
