"""The `qa` command. Heavy imports happen inside commands so `qa --help` is instant.

Expected errors (QAError, ValueError from bad input or settings, missing files) are mapped to
one line on stderr and an exit code here, in one place (`user_errors`; `qa batch` and `qa serve`
use `exit_on_user_errors`); anything else is a bug and shows a traceback.
"""
from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
import sys

# The qa command owns its process: numpy's OpenBLAS need not start a thread per core at
# import (~0.1 s of every `qa ask` / `qa batch` start here), as no matrix qa multiplies is
# large enough to share out. Set before anything imports numpy; a user's setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402

from qa.batch import batch_command  # noqa: E402
from qa.ui import serve_command  # noqa: E402

CORPUS_OPT = click.option("--corpus", envvar="QA_CORPUS", default="corpus", show_default=True,
                          type=click.Path(file_okay=False), help="Folder of source documents (env QA_CORPUS).")
INDEX_OPT = click.option("--index", "index_dir", envvar="QA_INDEX", default="index", show_default=True,
                         type=click.Path(file_okay=False), help="Index folder (env QA_INDEX).")


@contextlib.contextmanager
def exit_on_user_errors(exit_code: int = 1):
    """Turn expected errors raised inside into a one-line message and `exit_code`."""
    from qa.errors import QAError

    try:
        yield
    except (QAError, ValueError, FileNotFoundError, PermissionError) as e:
        error = click.ClickException(str(e))
        error.exit_code = exit_code
        raise error from e


def user_errors(fn):
    """A command whose expected errors end it with a one-line message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with exit_on_user_errors():
            return fn(*args, **kwargs)

    return wrapper


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logging.addLevelName(logging.WARNING, "warning")
    logging.addLevelName(logging.INFO, "info")
    log = logging.getLogger("qa")
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO if verbose else logging.WARNING)
    log.propagate = False


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more detail to stderr.")
@click.version_option(package_name="qa")
def main(verbose: bool) -> None:
    """Answer questions about Chinese tech companies from your own documents, with citations.

    Every answer is a sentence quoted verbatim from the corpus, with the passages it came
    from; when the documents do not say, qa says so.
    """
    _setup_logging(verbose)


@main.command("index")
@CORPUS_OPT
@INDEX_OPT
@click.option("--rebuild", is_flag=True, help="Re-embed everything instead of only new or changed files.")
@user_errors
def index_cmd(corpus: str, index_dir: str, rebuild: bool) -> None:
    """Build or update the index from the corpus folder."""
    from pathlib import Path

    from qa.embed import resolve_model_name
    from qa.index import build_index

    report = build_index(Path(corpus), Path(index_dir), resolve_model_name(), rebuild=rebuild,
                         progress=sys.stderr.isatty())
    click.echo(f"{report.summary()} -> {index_dir}")


@main.command("ask")
@click.argument("question")
@click.option("-k", default=5, show_default=True, type=int, help="Number of cited passages.")
@click.option("--json", "as_json", is_flag=True, help="Print Answer.to_dict() as JSON.")
@click.option("--doc", "docs", multiple=True, help="Only search this doc_id (repeatable).")
@CORPUS_OPT
@INDEX_OPT
@user_errors
def ask_cmd(question: str, k: int, as_json: bool, docs: tuple[str, ...], corpus: str, index_dir: str) -> None:
    """Answer QUESTION from the corpus, with numbered sources."""
    from qa.engine import get_engine

    answer = get_engine(corpus, index_dir).ask(question, k=k, docs=list(docs) or None)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        # Wrapped to a terminal's width; piped output keeps one line per paragraph.
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        click.echo(render_text(answer, filtered=bool(docs), width=width))


def render_text(answer, filtered: bool = False, width: int | None = None) -> str:
    """The readable form: answer, confidence, then numbered sources, answer sentence marked;
    each line wrapped to `width` columns when given (passages keep their indent)."""
    lines = _render_lines(answer, filtered)
    if width is None:
        return "\n".join(lines)
    import textwrap

    wrap = max(width - 1, 20)
    out = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip(" "))]
        out.append(textwrap.fill(line, wrap, subsequent_indent=indent, break_on_hyphens=False) if line else line)
    return "\n".join(out)


def _render_lines(answer, filtered: bool) -> list[str]:
    lines = []
    if answer.abstained:
        lines.append("Not in the selected documents (--doc): no passage of theirs answers this question."
                     if filtered else "Not in the documents: no passage answers this question.")
        lines.append(f"(confidence {answer.confidence:.2f}; the closest passages follow)")
    else:
        lines.append(f"{answer.answer} [1]")
        lines.append(f"(confidence {answer.confidence:.2f})")
    for c in answer.citations:
        where = f", p. {c.page}" if c.page is not None else ""
        lines.append("")
        lines.append(f"[{c.n}] {c.title} ({c.doc_id}{where}, chars {c.start}-{c.end})")
        text = c.text
        if c.answer_start is not None:
            text = f"{text[:c.answer_start]}>>>{text[c.answer_start:c.answer_end]}<<<{text[c.answer_end:]}"
        lines.extend("    " + part for part in text.replace("\n\n", "\n").split("\n"))
    return lines


@main.command("eval")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("-k", default=5, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the report and per-question details as JSON.")
@CORPUS_OPT
@INDEX_OPT
@user_errors
def eval_cmd(file: str | None, k: int, as_json: bool, corpus: str, index_dir: str) -> None:
    """Score the engine on a question file (default: the dev set): hit@1/3/5, answer hit, abstentions."""
    from qa.engine import get_engine
    from qa.evaluate import DEV_SET, load_questions, run_eval

    rows = load_questions(file or DEV_SET)
    report, details = run_eval(rows, get_engine(corpus, index_dir), k=k)
    if as_json:
        click.echo(json.dumps({"report": report.to_dict(), "details": details}, ensure_ascii=False, indent=1))
    else:
        click.echo(report.table())


main.add_command(batch_command)
main.add_command(serve_command)

if __name__ == "__main__":
    main()
