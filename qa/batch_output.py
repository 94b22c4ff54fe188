"""Writing batch answers (.jsonl or .csv rows) and reading back the rows a run already wrote (--resume).

Part of `qa batch` (qa/batch.py runs it; qa/batch_input.py reads the questions).
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal, TextIO

from qa.batch_input import BatchInputError, InputRow
from qa.types import Answer

OutputFormat = Literal["jsonl", "csv"]
OUTPUT_FORMATS: dict[str, OutputFormat] = {".jsonl": "jsonl", ".csv": "csv"}
CITATION_FIELDS = ("title", "doc_id", "page", "passage")


# ---------------------------------------------------------------- writing answers

def output_record(row: InputRow, answer: Answer | None) -> dict:
    """The JSON form of one output row: id, carried fields, Answer.to_dict() fields, error.

    Every row has the same keys (error rows get nulls), so the file loads as one table."""
    if answer is not None:
        body = answer.to_dict()
    else:
        body = {"question": row.question, "answer": None, "abstained": None, "confidence": None,
                "citations": [], "elapsed_ms": None}
    error = row.error.replace("\n", " ") if row.error else None
    return {"id": row.id, **row.fields, **body, "error": error}


def csv_header(columns: Sequence[str], k: int) -> list[str]:
    cites = [f"citation_{n}_{f}" for n in range(1, k + 1) for f in CITATION_FIELDS]
    return ["id", *columns, "question", "answer", "abstained", "confidence", *cites, "citations_json", "error"]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# Corpus files are untrusted, and a spreadsheet runs a cell that starts with one of these as a
# formula (=HYPERLINK(...), +cmd|...): such a text cell gets a leading ' (OWASP's advice on CSV
# injection), so it opens as text, the ' shown. Only in CSV: the jsonl output stays verbatim.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def spreadsheet_safe(cell: str) -> str:
    """`cell` with a ' in front when a spreadsheet would read it as a formula (a plain number stays)."""
    if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def csv_cells(record: dict, columns: Sequence[str], k: int) -> list[str]:
    cites = record["citations"]
    cells = [*(record.get(c) for c in columns), record["question"], record["answer"],
             record["abstained"], record["confidence"]]
    for n in range(k):
        c = cites[n] if n < len(cites) else {}
        cells += [c.get("title"), c.get("doc_id"), c.get("page"), c.get("text")]
    cells += [json.dumps(cites, ensure_ascii=False) if cites else "", record["error"]]
    # The id is written as it came (--resume matches rows by it); it is the user's own, not corpus text.
    return [_cell(record["id"]), *(spreadsheet_safe(_cell(v)) for v in cells)]


def render(records: Sequence[dict], fmt: OutputFormat, columns: Sequence[str], k: int) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerows(csv_cells(r, columns, k) for r in records)
    return buf.getvalue()


def output_format(path: str | os.PathLike | None) -> OutputFormat:
    if path is None or str(path) == "-":
        return "jsonl"
    fmt = OUTPUT_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise BatchInputError(path, f"unknown output extension {Path(path).suffix!r}; use .jsonl or .csv")
    return fmt


# ---------------------------------------------------------------- resuming

def done_rows(path: Path, fmt: OutputFormat, header: list[str]) -> dict[str, bool]:
    """The rows already written to `path`: id (as a string) -> whether the row is an error row.

    A row cut short by a crash is the last one in the file; it is cut off here so the rows
    appended next start on a line of their own."""
    data = path.read_bytes()
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError:
        raise BatchInputError(path, "is not UTF-8 text; cannot resume from it") from None
    done, good_end = (_done_jsonl if fmt == "jsonl" else _done_csv)(path, text, header)
    if good_end < len(text):
        with open(path, "r+b") as f:
            f.truncate(bom + len(text[:good_end].encode("utf-8")))
    if good_end and not text[:good_end].endswith(("\n", "\r")):
        with open(path, "ab") as f:  # a last row written without its newline (not by us)
            f.write(b"\n")
    return done


def _done_jsonl(path: Path, text: str, header: list[str]) -> tuple[dict[str, bool], int]:
    done: dict[str, bool] = {}
    end = 0
    lines = io.StringIO(text, newline="").readlines()
    for n, line in enumerate(lines, start=1):
        last = n == len(lines)
        try:
            obj = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            if last:  # the row a crash cut short
                break
            raise BatchInputError(path, f"line {n} is not JSON; cannot tell which rows are done") from None
        if obj is not None:
            if not isinstance(obj, dict) or "id" not in obj:
                raise BatchInputError(path, f"line {n} has no 'id'; cannot tell which rows are done")
            done[str(obj["id"])] = bool(obj.get("error"))
        end += len(line)
    return done, end


def _done_csv(path: Path, text: str, header: list[str]) -> tuple[dict[str, bool], int]:
    done: dict[str, bool] = {}
    consumed = 0
    last_line = ""  # the line the reader took last: whether a row ended on a line end is read here,
    # not off text[:consumed], which copied the text once a row (30 MB x 4,000 rows took 72 s)

    def feed() -> Iterator[str]:
        nonlocal consumed, last_line
        for line in io.StringIO(text, newline=""):
            consumed += len(line)
            last_line = line
            yield line

    reader = csv.reader(feed())
    good_end = 0
    try:
        found = next(reader, None)
        if found is None:
            return done, 0
        if found != header:
            raise BatchInputError(path, f"has columns {found!r} but this run writes {header!r} (another -k or "
                                        "input file?); rerun without --resume or pick a new -o file")
        good_end = consumed
        for cells in reader:
            complete = last_line.endswith(("\n", "\r")) and len(cells) == len(header)
            if not complete:
                if consumed < len(text):
                    raise BatchInputError(path, f"line {reader.line_num} is not a complete row; "
                                                "cannot tell which rows are done")
                break  # the row a crash cut short
            if any(cells):
                done[cells[0]] = bool(cells[-1])  # the error column
            good_end = consumed
    except csv.Error as e:
        raise BatchInputError(path, f"not valid CSV near line {reader.line_num}: {e}") from None
    return done, good_end


def csv_line(cells: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(cells)
    return buf.getvalue()


def open_output(path: Path | None, fresh: bool, resume: bool) -> TextIO:
    if path is None:
        return sys.stdout
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # newline="": rows carry their own line ends (csv writes \r\n, jsonl \n).
        return open(path, "a" if resume and not fresh else "w", encoding="utf-8", newline="")
    except OSError as e:
        raise BatchInputError(path, f"cannot write: {e.strerror or e}") from None
