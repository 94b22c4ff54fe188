"""Reading batch question files (.txt, .csv, .jsonl) into rows, each valid or carrying its error.

Part of `qa batch` (qa/batch.py runs it; qa/batch_output.py writes the answers).
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from qa.decode import UNICODE_BOMS, as_chinese
from qa.engine import validate_question
from qa.errors import QAError, QuestionError

log = logging.getLogger("qa")

InputFormat = Literal["txt", "csv", "jsonl"]
INPUT_FORMATS: dict[str, InputFormat] = {".txt": "txt", ".csv": "csv", ".jsonl": "jsonl"}
# Output keys a carried input column must not overwrite; such a column is written as input_<name>.
_RESERVED = re.compile(
    r"(id|error|question|answer|abstained|confidence|citations|elapsed_ms|citations_json"
    r"|citation_\d+_(title|doc_id|page|passage))"
)


class BatchInputError(QAError):
    """An input file (or the output file to resume) that cannot be used at all: exit code 2."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


@dataclass(frozen=True)
class InputRow:
    """One question row. `question` is stripped when valid, as read when `error` is set."""

    line: int  # 1-based line of the input file where the row starts
    id: str | int | float
    fields: dict  # carried columns, in input order
    question: object
    error: str | None = None  # "line 7: question is empty: ''"


@dataclass
class InputTable:
    rows: list[InputRow]
    columns: list[str]  # carried column names, first-seen order (the CSV output header needs them)
    renamed: dict[str, str] = field(default_factory=dict)  # input name -> output name


# ---------------------------------------------------------------- reading questions

def read_questions(path: str | os.PathLike) -> InputTable:
    """Parse a .txt, .csv or .jsonl question file. Bad rows come back with `error` set;
    a file that cannot be used at all (one with no question rows too) raises BatchInputError."""
    path = Path(path)
    fmt = INPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        problem = "no such file" if not path.exists() else f"unknown input extension {path.suffix!r}"
        raise BatchInputError(path, f"{problem}; questions come from a .txt, .csv or .jsonl file")
    text = _read_text(path)
    table = {"txt": _read_txt, "csv": _read_csv, "jsonl": _read_jsonl}[fmt](path, text)
    if not table.rows:
        raise BatchInputError(path, f"holds no questions; expected {_EXPECTED[fmt]}")
    _mark_duplicate_ids(table.rows)
    return table


_EXPECTED: dict[InputFormat, str] = {
    "txt": "one question per line (blank lines and lines starting with '# ' are skipped)",
    "csv": "rows under the header row, with a 'question' column",
    "jsonl": "one JSON object per line, with a 'question' key",
}


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BatchInputError(path, "no such file") from None
    except IsADirectoryError:
        raise BatchInputError(path, "is a directory, not a question file") from None
    except OSError as e:
        raise BatchInputError(path, f"cannot read: {e.strerror or e}") from None
    return _decode(path, data)


# The corpus loader's order (qa/decode.py): a byte-order mark decides, else UTF-8, else Chinese
# GB18030 when it reads so, else cp1252.
_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), *UNICODE_BOMS]
_SAVE_AS_UTF8 = "save it as UTF-8 (Excel: CSV UTF-8)"


def _decode(path: Path, data: bytes) -> str:
    """The file's text: UTF-8 with or without a BOM, UTF-16/32 with a BOM ("Unicode text" from
    Excel), else GB18030 when it reads as Chinese or cp1252 (Excel's "CSV" on a Chinese or a
    Western Windows), with a warning. Unlike the corpus loader it
    never replaces a byte: a file no encoding here reads whole is refused, not read with a
    question changed."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)  # the mark is dropped; UTF-16/32 read the byte order from it
            except UnicodeDecodeError as e:
                name = encoding.removesuffix("-sig").upper()
                where = f"line {_line_of(data, len(bom) + e.start)}" if name == "UTF-8" else f"byte {e.start:,}"
                raise BatchInputError(path, f"starts with a {name} byte-order mark but is not {name} "
                                            f"({where}); {_SAVE_AS_UTF8}") from None
    if b"\x00" in data:
        raise BatchInputError(path, f"holds NUL bytes (UTF-16 without a byte-order mark?); {_SAVE_AS_UTF8}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = e.start
    chinese = as_chinese(data)  # a Chinese Windows "CSV": GBK, as the corpus loader reads it
    if chinese is not None:
        log.warning("%s: not UTF-8 (byte 0x%02x on line %d); read as GB18030 (Chinese); if a question "
                    "looks wrong, %s", path, data[bad], _line_of(data, bad), _SAVE_AS_UTF8)
        return chinese
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as e:  # 0x81 0x8d 0x8f 0x90 0x9d mean nothing in cp1252
        raise BatchInputError(path, f"neither UTF-8 nor cp1252 text (byte 0x{data[e.start]:02x} on line "
                                    f"{_line_of(data, e.start)}); {_SAVE_AS_UTF8}") from None
    # Lines already in UTF-8 next to lines that are not (files joined together) would read as
    # mojibake in cp1252 ("Zürich" as "ZÃ¼rich"): refused rather than altered.
    for n, raw in enumerate(_LINE_BREAK.split(data), start=1):
        if not raw.isascii():
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            raise BatchInputError(path, f"mixes UTF-8 (line {n}) with another encoding (byte 0x{data[bad]:02x} "
                                        f"on line {_line_of(data, bad)}); {_SAVE_AS_UTF8}")
    log.warning("%s: not UTF-8 (byte 0x%02x on line %d); read as cp1252 (Windows Western European, "
                "Excel's CSV); if a question looks wrong, %s", path, data[bad], _line_of(data, bad), _SAVE_AS_UTF8)
    return text


_LINE_BREAK = re.compile(rb"\r\n|\r|\n")  # where _lines() and the csv reader end a line


def _line_of(data: bytes, offset: int) -> int:
    return len(_LINE_BREAK.findall(data, 0, offset)) + 1


def _lines(text: str) -> Iterator[tuple[int, str]]:
    # StringIO with newline=None splits on \n, \r\n and \r only, like an editor; str.splitlines
    # would also split inside questions on \x0b, \x1c or \u2028.
    return enumerate(io.StringIO(text, newline=None), start=1)


def _row(line: int, row_id, fields: dict, question) -> InputRow:
    try:
        return InputRow(line, row_id, fields, validate_question(question))
    except QuestionError as e:
        return InputRow(line, row_id, fields, question, f"line {line}: {e}")


# A comment is "#" alone or followed by a space or tab: "#1 smartphone maker in China?" and
# "#MeToo in China?" are questions. A comment asked by mistake shows up as an output row; a
# question skipped as a comment would be lost without a trace.
_COMMENT = re.compile(r"#(\s|$)")


def _read_txt(path: Path, text: str) -> InputTable:
    # Excel saves "Unicode text" as .txt: a tab-separated table, read as one so that its header
    # and id columns do not become part of every question.
    first = next((raw for _, raw in _lines(text) if raw.strip() and not _COMMENT.match(raw.strip())), "")
    if "\t" in first.strip() and "question" in (c.strip().lower() for c in first.split("\t")):
        return _read_csv(path, text)
    rows = []
    for line, raw in _lines(text):
        stripped = raw.strip()
        if stripped and not _COMMENT.match(stripped):
            rows.append(_row(line, line, {}, stripped))
    return InputTable(rows, [])


# Excel's first line "sep=;" declares the delimiter (it writes one, and reads a file by it).
_EXCEL_SEP = re.compile(r"sep=(.)\1*", re.IGNORECASE)
# Comma, or what Excel writes where the decimal mark is a comma (most of Europe), or tab
# ("Unicode text" export).
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _delimiter(text: str) -> str:
    """The delimiter that makes a 'question' cell of the header row (the first line with text); among
    several (a one-column header) or none, the one giving the most cells, comma first on a tie."""
    header = next((ln for ln in io.StringIO(text, newline="") if ln.strip(" \t\r\n,;")), "")
    cells = {d: next(csv.reader([header], delimiter=d), []) for d in _DELIMITERS}
    fits = [d for d in _DELIMITERS if "question" in (c.strip().lower() for c in cells[d])]
    return max(fits or _DELIMITERS, key=lambda d: len(cells[d]))


def _read_csv(path: Path, text: str) -> InputTable:
    first = io.StringIO(text, newline="").readline()
    declared = _EXCEL_SEP.fullmatch(first.rstrip("\r\n"))
    if declared:
        # The "sep=" line is not a row; line numbers stay the file's own (skipped counts it).
        delimiter, skipped, text = declared.group(1), 1, text[len(first):]
        how = f"by its 'sep={delimiter}' line"
    else:
        delimiter, skipped = _delimiter(text), 0
        how = "as detected"
    delimiter_name = _DELIMITERS.get(delimiter, repr(delimiter))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next((cells for cells in reader if any(c.strip() for c in cells)), None)
        if header is None:
            raise BatchInputError(path, "is empty; expected a header row with a 'question' column")
        names = [h.strip().lower() for h in header]
        if "question" not in names:
            columns = ", ".join(repr(h) for h in header)
            raise BatchInputError(path, f"no 'question' column in the header row (columns: {columns}; "
                                        f"{delimiter_name}-separated {how}; comma, semicolon and tab are recognized)")
        q_col = names.index("question")
        id_col = names.index("id") if "id" in names else None
        carried = [i for i in range(len(header)) if i not in (q_col, id_col)]
        renamed: dict[str, str] = {}
        out_names = _output_names([header[i] or f"column_{i + 1}" for i in carried], renamed)

        rows = []
        prev_end = reader.line_num + skipped
        for cells in reader:
            line, prev_end = prev_end + 1, reader.line_num + skipped
            if not any(c.strip() for c in cells):
                continue  # blank lines and rows of empty cells, as spreadsheets export them
            row_id = cells[id_col].strip() if id_col is not None and id_col < len(cells) else ""
            row_id = row_id or line
            fields = {name: cells[i] if i < len(cells) else "" for name, i in zip(out_names, carried)}
            if len(cells) > len(header):
                rows.append(InputRow(line, row_id, fields, cells[q_col],
                                     f"line {line}: the row has {len(cells)} fields but the header has "
                                     f"{len(header)} (an unquoted {delimiter_name}?)"))
            elif q_col >= len(cells):
                rows.append(InputRow(line, row_id, fields, None,
                                     f"line {line}: missing field 'question' (the row has {len(cells)} "
                                     f"fields, the header {len(header)})"))
            else:
                rows.append(_row(line, row_id, fields, cells[q_col]))
    except csv.Error as e:
        raise BatchInputError(path, f"not valid CSV near line {reader.line_num + skipped}: {e}") from None
    return InputTable(rows, out_names, renamed)


def _output_names(names: Sequence[str], renamed: dict[str, str]) -> list[str]:
    """Carried column names as written: reserved names get an `input_` prefix, repeats a suffix."""
    out: list[str] = []
    for name in names:
        new = f"input_{name}" if _RESERVED.fullmatch(name) else name
        n = 2
        while new in out:
            new, n = f"{name}_{n}", n + 1
        if new != name:
            renamed[name] = new
        out.append(new)
    return out


def _find_key(keys, name: str) -> str | None:
    """`name` itself if present, else the first key equal to it ignoring case and spaces."""
    if name in keys:
        return name
    return next((k for k in keys if k.strip().lower() == name), None)


def _read_jsonl(path: Path, text: str) -> InputTable:
    rows = []
    columns: dict[str, None] = {}  # an ordered set
    renamed: dict[str, str] = {}
    for line, raw in _lines(text):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            rows.append(InputRow(line, line, {}, None, f"line {line}: not valid JSON ({e.msg} at column {e.colno})"))
            continue
        if not isinstance(obj, dict):
            rows.append(InputRow(line, line, {}, None,
                                 f"line {line}: expected a JSON object with a 'question' key, "
                                 f"got {type(obj).__name__}"))
            continue
        q_key, id_key = _find_key(obj, "question"), _find_key(obj, "id")
        row_id = obj.get(id_key) if id_key is not None else None
        keys = [k for k in obj if k not in (q_key, id_key)]
        fields = dict(zip(_output_names(keys, renamed), (obj[k] for k in keys)))
        columns.update(dict.fromkeys(fields))
        if row_id is not None and (isinstance(row_id, bool) or not isinstance(row_id, (str, int, float))):
            rows.append(InputRow(line, line, fields, obj.get(q_key),
                                 f"line {line}: id must be a string or a number, got {json.dumps(row_id):.60}"))
            continue
        row_id = line if row_id is None or row_id == "" else row_id
        if q_key is None:
            rows.append(InputRow(line, row_id, fields, None, f"line {line}: missing field 'question' "
                                                             f"(keys: {', '.join(obj) or 'none'})"))
        else:
            rows.append(_row(line, row_id, fields, obj[q_key]))
    return InputTable(rows, list(columns), renamed)


def _mark_duplicate_ids(rows: list[InputRow]) -> None:
    # --resume tells finished rows apart by id, so a repeated id would make it skip a row
    # that was never answered: the repeat is reported instead of answered.
    first_line: dict[str, int] = {}
    for i, row in enumerate(rows):
        key = str(row.id)
        if key in first_line:
            if row.error is None:
                rows[i] = InputRow(row.line, row.id, row.fields, row.question,
                                   f"line {row.line}: id {row.id!r} is already used on line {first_line[key]}; "
                                   "ids must be unique")
        else:
            first_line[key] = row.line
