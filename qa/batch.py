"""Batch question files: `qa batch questions.csv -o answers.jsonl`.

Reads questions from .txt, .csv or .jsonl, answers them chunk by chunk with `ask_many()`, and
writes one .jsonl or .csv row per input row, in input order. A bad row becomes an output row
with an `error` field and the run goes on. Each chunk is written and flushed as one piece, so
a crash keeps every finished row and `--resume` skips the ids already in the output file.

Exit codes: 0 every row answered or abstained; 1 some rows had errors; 2 unusable input.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, TextIO

import click

from qa.engine import ask_many, get_engine, validate_k, validate_question
from qa.errors import QAError, QuestionError
from qa.types import Answer

InputFormat = Literal["txt", "csv", "jsonl"]
OutputFormat = Literal["jsonl", "csv"]
INPUT_FORMATS: dict[str, InputFormat] = {".txt": "txt", ".csv": "csv", ".jsonl": "jsonl"}
OUTPUT_FORMATS: dict[str, OutputFormat] = {".jsonl": "jsonl", ".csv": "csv"}

# Rows per ask_many() call and per flush: large enough for batched encoding to pay off
# (the per-call overhead is amortised), small enough that a crash loses under a second of work.
CHUNK_ROWS = 256
ERRORS_SHOWN = 10
CITATION_FIELDS = ("title", "doc_id", "page", "passage")
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


@dataclass
class BatchSummary:
    input: str
    output: str  # "-" for stdout
    rows: int = 0  # rows in the input file
    skipped: int = 0  # already in the output file (--resume)
    skipped_errors: int = 0  # of those, error rows: the output still has them, so exit code 1
    answered: int = 0
    abstained: int = 0
    errors: int = 0
    seconds: float = 0.0
    questions_per_second: float = 0.0  # answered + abstained, after the engine was loaded
    error_messages: list[str] = field(default_factory=list)  # the first ERRORS_SHOWN

    @property
    def exit_code(self) -> int:
        return 1 if self.errors or self.skipped_errors else 0

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        parts = [f"answered {self.answered:,}", f"abstained {self.abstained:,}", f"errors {self.errors:,}"]
        if self.skipped:
            with_errors = f" ({self.skipped_errors:,} with errors)" if self.skipped_errors else ""
            parts.append(f"skipped {self.skipped:,} already in {self.output}{with_errors}")
        rate = f", {self.questions_per_second:,.0f} questions/s" if self.questions_per_second else ""
        return f"{', '.join(parts)} ({self.seconds:.1f}s{rate})"


# ---------------------------------------------------------------- reading questions

def read_questions(path: str | os.PathLike) -> InputTable:
    """Parse a .txt, .csv or .jsonl question file. Bad rows come back with `error` set;
    a file that cannot be used at all raises BatchInputError."""
    path = Path(path)
    fmt = INPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        problem = "no such file" if not path.exists() else f"unknown input extension {path.suffix!r}"
        raise BatchInputError(path, f"{problem}; questions come from a .txt, .csv or .jsonl file")
    text = _read_text(path)
    table = {"txt": _read_txt, "csv": _read_csv, "jsonl": _read_jsonl}[fmt](path, text)
    _mark_duplicate_ids(table.rows)
    return table


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BatchInputError(path, "no such file") from None
    except IsADirectoryError:
        raise BatchInputError(path, "is a directory, not a question file") from None
    except OSError as e:
        raise BatchInputError(path, f"cannot read: {e.strerror or e}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise BatchInputError(path, f"not UTF-8 text (byte 0x{data[e.start]:02x} on line {line}); "
                                    "save it as UTF-8") from None


def _lines(text: str) -> Iterator[tuple[int, str]]:
    # StringIO with newline=None splits on \n, \r\n and \r only, like an editor; str.splitlines
    # would also split inside questions on \x0b, \x1c or \u2028.
    return enumerate(io.StringIO(text, newline=None), start=1)


def _row(line: int, row_id, fields: dict, question) -> InputRow:
    try:
        return InputRow(line, row_id, fields, validate_question(question))
    except QuestionError as e:
        return InputRow(line, row_id, fields, question, f"line {line}: {e}")


def _read_txt(path: Path, text: str) -> InputTable:
    rows = []
    for line, raw in _lines(text):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            rows.append(_row(line, line, {}, stripped))
    return InputTable(rows, [])


def _read_csv(path: Path, text: str) -> InputTable:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next((cells for cells in reader if any(c.strip() for c in cells)), None)
        if header is None:
            raise BatchInputError(path, "is empty; expected a header row with a 'question' column")
        names = [h.strip().lower() for h in header]
        if "question" not in names:
            columns = ", ".join(repr(h) for h in header)
            raise BatchInputError(path, f"no 'question' column in the header row (columns: {columns})")
        q_col = names.index("question")
        id_col = names.index("id") if "id" in names else None
        carried = [i for i in range(len(header)) if i not in (q_col, id_col)]
        renamed: dict[str, str] = {}
        out_names = _output_names([header[i] or f"column_{i + 1}" for i in carried], renamed)

        rows = []
        prev_end = reader.line_num
        for cells in reader:
            line, prev_end = prev_end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines and rows of empty cells, as spreadsheets export them
            row_id = cells[id_col].strip() if id_col is not None and id_col < len(cells) else ""
            row_id = row_id or line
            fields = {name: cells[i] if i < len(cells) else "" for name, i in zip(out_names, carried)}
            if len(cells) > len(header):
                rows.append(InputRow(line, row_id, fields, cells[q_col],
                                     f"line {line}: the row has {len(cells)} fields but the header has "
                                     f"{len(header)} (an unquoted comma?)"))
            elif q_col >= len(cells):
                rows.append(InputRow(line, row_id, fields, None,
                                     f"line {line}: missing field 'question' (the row has {len(cells)} "
                                     f"fields, the header {len(header)})"))
            else:
                rows.append(_row(line, row_id, fields, cells[q_col]))
    except csv.Error as e:
        raise BatchInputError(path, f"not valid CSV near line {reader.line_num}: {e}") from None
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


def csv_cells(record: dict, columns: Sequence[str], k: int) -> list[str]:
    cites = record["citations"]
    cells = [record["id"], *(record.get(c) for c in columns), record["question"], record["answer"],
             record["abstained"], record["confidence"]]
    for n in range(k):
        c = cites[n] if n < len(cites) else {}
        cells += [c.get("title"), c.get("doc_id"), c.get("page"), c.get("text")]
    cells += [json.dumps(cites, ensure_ascii=False) if cites else "", record["error"]]
    return [_cell(v) for v in cells]


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
    lines = io.StringIO(text, newline="").readlines()

    def feed() -> Iterator[str]:
        nonlocal consumed
        for line in lines:
            consumed += len(line)
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
            complete = text[:consumed].endswith(("\n", "\r")) and len(cells) == len(header)
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


# ---------------------------------------------------------------- the run

def run_batch(
    input_path: str | os.PathLike,
    output_path: str | os.PathLike | None = None,
    k: int = 5,
    resume: bool = False,
    quiet: bool = False,
    corpus: str | os.PathLike | None = None,
    index: str | os.PathLike | None = None,
) -> BatchSummary:
    """Answer every question in `input_path` and write the rows to `output_path` (None or "-":
    jsonl on stdout). Progress and the summary go to stderr. Raises BatchInputError for an
    unusable input; the returned summary's `exit_code` is 1 when some rows had errors."""
    t0 = time.perf_counter()
    k = validate_k(k)
    input_path = Path(input_path)
    to_stdout = output_path is None or str(output_path) == "-"
    fmt = output_format(output_path)
    out_path = None if to_stdout else Path(output_path)
    if resume and out_path is None:
        raise BatchInputError("-", "--resume needs an output file (-o OUTPUT) to resume into")
    if out_path is not None and out_path.resolve() == input_path.resolve():
        raise BatchInputError(out_path, "is the input file too; pick another -o file")

    table = read_questions(input_path)
    summary = BatchSummary(input=str(input_path), output=str(out_path or "-"), rows=len(table.rows))
    note = (lambda msg: None) if quiet else (lambda msg: click.echo(f"qa batch: {msg}", err=True))
    for old, new in table.renamed.items():
        note(f"input column {old!r} is written as {new!r} (the output has its own {old!r})")
    if not table.rows:
        note(f"{input_path} holds no questions")

    header = csv_header(table.columns, k)
    done: dict[str, bool] = {}
    fresh = True
    if resume and out_path.is_file() and out_path.stat().st_size > 0:
        done = done_rows(out_path, fmt, header)
        fresh = out_path.stat().st_size <= 3  # nothing left but perhaps a BOM
        note(f"resuming: {len(done):,} rows already in {out_path}")
    todo = [r for r in table.rows if str(r.id) not in done]
    summary.skipped = len(table.rows) - len(todo)
    summary.skipped_errors = sum(done.get(str(r.id), False) for r in table.rows)

    # Load (or build) the index before touching the output, so a broken corpus or index
    # leaves an existing output file as it was.
    first = next((r for r in todo if r.error is None), None)
    if first is not None:
        get_engine(corpus, index)
        # The model loads on the first encode; one warm-up question keeps that load out of the
        # questions/s figure (and the progress bar's rate).
        ask_many([first.question], 1, corpus=corpus, index=index)
    t_ready = time.perf_counter()

    out = _open_output(out_path, fresh, resume)
    try:
        if fresh and fmt == "csv":
            # A BOM so Excel reads the file as UTF-8 (Chinese names, curly quotes) instead of cp1252.
            out.write("\ufeff" + _csv_line(header))
            out.flush()
        from tqdm import tqdm

        with tqdm(total=len(table.rows), initial=summary.skipped, unit="q", file=sys.stderr,
                  disable=True if quiet else None, desc="qa batch", dynamic_ncols=True) as bar:
            for start in range(0, len(todo), CHUNK_ROWS):
                chunk = todo[start:start + CHUNK_ROWS]
                valid = [r for r in chunk if r.error is None]
                answers = iter(ask_many([r.question for r in valid], k, corpus=corpus, index=index) if valid else ())
                records = [output_record(r, next(answers) if r.error is None else None) for r in chunk]
                out.write(render(records, fmt, table.columns, k))
                out.flush()
                for r, rec in zip(chunk, records):
                    if r.error is not None:
                        summary.errors += 1
                        if len(summary.error_messages) < ERRORS_SHOWN:
                            summary.error_messages.append(r.error)
                    elif rec["abstained"]:
                        summary.abstained += 1
                    else:
                        summary.answered += 1
                bar.update(len(chunk))
    finally:
        if out is not sys.stdout:
            out.close()

    t_end = time.perf_counter()
    summary.seconds = round(t_end - t0, 3)
    asked = summary.answered + summary.abstained
    if asked and t_end > t_ready:
        summary.questions_per_second = round(asked / (t_end - t_ready), 1)
    if not quiet or summary.errors:
        click.echo(f"qa batch: {summary.line()}", err=True)
        for msg in summary.error_messages:
            click.echo(f"  {msg}", err=True)
        if summary.errors > len(summary.error_messages):
            click.echo(f"  ... and {summary.errors - len(summary.error_messages):,} more "
                       "(see the error field of the output)", err=True)
    return summary


def _csv_line(cells: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(cells)
    return buf.getvalue()


def _open_output(path: Path | None, fresh: bool, resume: bool) -> TextIO:
    if path is None:
        return sys.stdout
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # newline="": rows carry their own line ends (csv writes \r\n, jsonl \n).
        return open(path, "a" if resume and not fresh else "w", encoding="utf-8", newline="")
    except OSError as e:
        raise BatchInputError(path, f"cannot write: {e.strerror or e}") from None


# ---------------------------------------------------------------- the command

@click.command("batch", epilog="""\b
Input, by extension:
  .txt    one question per line; blank lines and # lines are skipped;
          ids are line numbers
  .csv    a header row with a 'question' column (any case), optional
          'id'; other columns are carried through
  .jsonl  objects with 'question', optional 'id'; other keys are
          carried through
Output, by the extension of -o: .jsonl (default, stdout) or .csv.

\b
Exit codes: 0 every row answered or abstained; 1 some rows had
errors (the others are written); 2 unusable input, or the engine
could not start.""")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", "output_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file, .jsonl or .csv.  [default: jsonl on stdout]")
@click.option("-k", default=5, show_default=True, type=click.IntRange(min=1), help="Cited passages per answer.")
@click.option("--resume", is_flag=True,
              help="Skip ids already in OUTPUT (error rows too) and append the rest.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar; the summary only when rows had errors.")
@click.option("--corpus", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of source documents.  [default: $QA_CORPUS or ./corpus]")
@click.option("--index", type=click.Path(file_okay=False, path_type=Path),
              help="Index folder.  [default: $QA_INDEX or ./index]")
@click.pass_context
def batch_command(ctx: click.Context, input_path: Path, output_path: Path | None, k: int, resume: bool,
                  quiet: bool, corpus: Path | None, index: Path | None) -> None:
    """Answer every question in a file, in order.

    INPUT is a .txt, .csv or .jsonl file of questions; the output has one row per
    input row, written in input order as the answers come. A broken row gets an
    'error' field and the run goes on. If a run stops, --resume picks it up.
    """
    try:
        summary = run_batch(input_path, output_path, k=k, resume=resume, quiet=quiet, corpus=corpus, index=index)
    except QAError as e:  # BatchInputError, or an engine that cannot start (no corpus, bad index)
        raise _Exit2(str(e)) from e
    except KeyboardInterrupt:
        click.echo("qa batch: interrupted; finished rows are kept, rerun with --resume to continue", err=True)
        ctx.exit(130)
    except BrokenPipeError:  # `qa batch q.txt | head`: the reader left, nothing more to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        ctx.exit(1)
    ctx.exit(summary.exit_code)


class _Exit2(click.ClickException):
    exit_code = 2
