"""The `qa` command: help everywhere, readable and JSON output, one-line errors."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import main

QA = [str(Path(sys.executable).with_name("qa"))]


def all_commands(group=main, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if hasattr(cmd, "commands"):
            yield from all_commands(cmd, prefix + (name,))


def test_every_command_has_help_text():
    runner = CliRunner()
    for path, cmd in all_commands():
        assert cmd.help or cmd.short_help, path
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, path


def test_help_does_not_import_heavy_packages():
    code = ("import sys; from qa.cli import main\n"
            "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'gradio') if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_ask_prints_answer_and_numbered_sources(engine, seed_corpus, seed_index):
    r = CliRunner().invoke(main, ["ask", "Who coined the term Silicon Dragon?", "-k", "3",
                                  "--corpus", str(seed_corpus), "--index", str(seed_index)])
    assert r.exit_code == 0, r.output
    assert "Rebecca Fannin" in r.output.splitlines()[0]
    assert "[1] Technological development" in r.output and ">>>" in r.output
    assert "[3]" in r.output and "[4]" not in r.output


def test_ask_json_is_to_dict(engine, seed_corpus, seed_index):
    r = CliRunner().invoke(main, ["ask", "What is Cainiao?", "--json",
                                  "--corpus", str(seed_corpus), "--index", str(seed_index)])
    d = json.loads(r.output)
    assert d == {**engine.ask("What is Cainiao?").to_dict(), "elapsed_ms": d["elapsed_ms"]}


def test_abstention_is_worded_differently(engine, seed_corpus, seed_index):
    r = CliRunner().invoke(main, ["ask", "What was Huawei's revenue in 2020?",
                                  "--corpus", str(seed_corpus), "--index", str(seed_index)])
    assert r.exit_code == 0 and r.output.startswith("Not in the documents")
    # The other document answers this one: with --doc the message speaks of the selection.
    r = CliRunner().invoke(main, ["ask", "How many AI patents had Baidu filed by October 2019?",
                                  "--doc", "002_a9c90683bbb9ddbb.txt",
                                  "--corpus", str(seed_corpus), "--index", str(seed_index)])
    assert r.exit_code == 0 and r.output.startswith("Not in the selected documents (--doc)")


@pytest.mark.parametrize("args, message", [
    (["ask", "   "], "question is empty"),
    (["ask", "x" * 2100], "limit is 2,000"),
    (["ask", "hi", "-k", "0"], "k must be an integer >= 1, got 0"),
    (["ask", "hi", "--doc", "missing.txt"], "unknown doc_id"),
])
def test_user_errors_are_one_line_without_traceback(engine, seed_corpus, seed_index, args, message):
    r = subprocess.run([*QA, *args, "--corpus", str(seed_corpus), "--index", str(seed_index)],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_index_reports_what_it_did_and_errors_on_empty_corpus(tmp_path, seed_corpus):
    r = subprocess.run([*QA, "index", "--corpus", str(seed_corpus), "--index", str(tmp_path / "ix")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "2 added, 0 changed, 0 removed" in r.stdout and "chunks" in r.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    r = subprocess.run([*QA, "index", "--corpus", str(empty), "--index", str(tmp_path / "ix2")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "no readable documents" in r.stderr and "Traceback" not in r.stderr


def test_corrupt_index_is_one_clear_line(tmp_path, seed_corpus, seed_index):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(seed_index, broken)
    (broken / "CURRENT").write_text("b-gone")
    r = subprocess.run([*QA, "ask", "What is Alipay?", "--corpus", str(seed_corpus), "--index", str(broken)],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "qa index --rebuild" in r.stderr and "Traceback" not in r.stderr


def test_eval_prints_the_report(engine, seed_corpus, seed_index, tmp_path):
    qfile = tmp_path / "q.jsonl"
    qfile.write_text('{"question": "Who coined the term Silicon Dragon?", "answers": ["Rebecca Fannin"]}\n'
                     '{"question": "What is Huawei revenue in 2020?", "answers": [], "answerable": false}\n')
    r = CliRunner().invoke(main, ["eval", str(qfile), "--corpus", str(seed_corpus), "--index", str(seed_index)])
    assert r.exit_code == 0, r.output
    assert "hit@1" in r.output and "2 (1 answerable, 1 unanswerable)" in r.output


def test_readable_output_wraps_to_a_narrow_terminal(engine):
    from qa.cli import render_text

    ans = engine.ask("How many AI patents had Baidu filed by October 2019?", k=2)
    wide = render_text(ans)
    narrow = render_text(ans, width=40)
    assert max(len(line) for line in narrow.splitlines()) < 40 < max(len(line) for line in wide.splitlines())
    assert narrow.count(">>>") == wide.count(">>>") == 1 and "<<<" in narrow
    assert " ".join(narrow.split()) == " ".join(wide.split())  # the same words, only re-broken
    marked = [line for line in narrow.splitlines() if ">>>" in line or "<<<" in line]
    assert len(marked) == 2 and all(line.startswith("    ") for line in marked)  # passages keep their indent
