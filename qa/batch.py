"""Batch question files: `qa batch questions.csv -o answers.jsonl`.

Reads questions from .txt, .csv or .jsonl, answers them with `ask_stream()`, and writes one
.jsonl or .csv row per input row, in input order, chunk by chunk. A bad row becomes an output row
with an `error` field and the run goes on. Each chunk is written and flushed as one piece, so
a crash keeps every finished row and `--resume` skips the ids already in the output file.

Exit codes: 0 every row answered or abstained; 1 some rows had errors; 2 unusable input (a file
with no questions included), a bad option or setting, or an engine that cannot start.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click

from qa.batch_input import INPUT_FORMATS, BatchInputError, InputRow, InputTable, read_questions
from qa.batch_output import (
    OUTPUT_FORMATS, csv_line, open_output, csv_cells, csv_header, done_rows, output_format, output_record, render,
)
from qa.engine import ask_many, ask_stream, get_engine, validate_k

__all__ = [
    "BatchInputError", "BatchSummary", "INPUT_FORMATS", "InputRow", "InputTable", "OUTPUT_FORMATS", "batch_command",
    "csv_cells", "csv_header", "output_record", "read_questions", "render", "run_batch",
]

# Rows per write and flush: small enough that a crash loses under a second of work. The
# answers come from one ask_stream() over the whole file, so the encoder threads keep working
# while a chunk is written (one ask_many() per chunk left a core idle at each chunk's end).
CHUNK_ROWS = 256
ERRORS_SHOWN = 10


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
    unusable input (one with no questions too), ValueError for a bad argument; the returned
    summary's `exit_code` is 1 when some rows had errors."""
    t0 = time.perf_counter()
    k = validate_k(k)
    input_path = Path(input_path)
    to_stdout = output_path is None or str(output_path) == "-"
    fmt = output_format(output_path)
    out_path = None if to_stdout else Path(output_path)
    if resume and out_path is None:
        raise ValueError("--resume needs an output file to resume into (-o OUTPUT); output written to stdout "
                         "cannot be resumed")
    if out_path is not None and out_path.resolve() == input_path.resolve():
        raise BatchInputError(out_path, "is the input file too; pick another -o file")

    table = read_questions(input_path)
    summary = BatchSummary(input=str(input_path), output=str(out_path or "-"), rows=len(table.rows))
    note = (lambda msg: None) if quiet else (lambda msg: click.echo(f"qa batch: {msg}", err=True))
    for old, new in table.renamed.items():
        note(f"input column {old!r} is written as {new!r} (the output has its own {old!r})")

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

    out = open_output(out_path, fresh, resume)
    try:
        if fresh and fmt == "csv":
            # A BOM so Excel reads the file as UTF-8 (Chinese names, curly quotes) instead of cp1252.
            out.write("\ufeff" + csv_line(header))
            out.flush()
        valid = [r.question for r in todo if r.error is None]
        answers = ask_stream(valid, k, corpus=corpus, index=index) if valid else iter(())
        with progress_bar(len(table.rows), summary.skipped, quiet) as bar:
            for start in range(0, len(todo), CHUNK_ROWS):
                chunk = todo[start:start + CHUNK_ROWS]
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


class _NoBar:
    def update(self, n: int) -> None:
        pass


def progress_bar(total: int, initial: int, quiet: bool):
    """tqdm's bar on a terminal. Elsewhere (--quiet, or stderr not a terminal, where tqdm
    draws nothing either) a stand-in, so tqdm is not imported: ~50 ms of a run's start."""
    if quiet or not sys.stderr.isatty():
        return contextlib.nullcontext(_NoBar())
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="q", file=sys.stderr, desc="qa batch", dynamic_ncols=True)


# ---------------------------------------------------------------- the command

@click.command("batch", epilog="""\b
Input, by extension:
  .txt    one question per line; blank lines and lines starting
          "# " are skipped; ids are line numbers
  .csv    a header row with a 'question' column (any case), optional
          'id'; other columns are carried through. Comma, semicolon
          or tab separated (or a sep= first line, as Excel writes);
          UTF-8, UTF-16/32 with a byte-order mark, else cp1252
  .jsonl  objects with 'question', optional 'id'; other keys are
          carried through
Output, by the extension of -o: .jsonl (default, stdout) or .csv.
In .csv output a text cell starting with = + - @ (a spreadsheet
formula) gets a ' in front; .jsonl keeps every text verbatim.

\b
Exit codes: 0 every row answered or abstained; 1 some rows had
errors (the others are written); 2 unusable input (a file with
no questions included), a bad option or setting, or the engine
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
    from qa.cli import exit_on_user_errors  # here, not at the top: qa.cli imports this module

    try:
        # BatchInputError, a bad option or setting (QA_ENCODE_WORKERS=abc), or an engine that
        # cannot start (no corpus, bad index): one line and exit code 2.
        with exit_on_user_errors(exit_code=2):
            summary = run_batch(input_path, output_path, k=k, resume=resume, quiet=quiet, corpus=corpus,
                                index=index)
    except KeyboardInterrupt:
        click.echo("qa batch: interrupted; finished rows are kept, rerun with --resume to continue", err=True)
        ctx.exit(130)
    except BrokenPipeError:  # `qa batch q.txt | head`: the reader left, nothing more to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        ctx.exit(1)
    ctx.exit(summary.exit_code)
