"""Question files for `qa eval` (qa/evaluate.py): every row is checked before anything is scored."""
import subprocess
import sys
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.evaluate import load_questions

QA = [str(Path(sys.executable).with_name("qa"))]
GOOD = '{"question": "Who coined the term Silicon Dragon?", "answers": ["Rebecca Fannin"]}\n'


@pytest.mark.parametrize("line, words", [
    ('{"question": "Who?", "answers": "Zzz Qqq"}', '"answers" must be a list of non-empty strings, got "Zzz Qqq"'),
    ('{"question": "Who?", "answers": [2008]}', '"answers" must be a list of non-empty strings, got [2008]'),
    ('{"question": "Who?", "answers": null}', '"answers" must be a list of non-empty strings, got null'),
    ('{"question": "Who?", "answers": [""]}', '"answers" must be a list of non-empty strings, got [""]'),
    ('{"question": "  ", "answers": ["x"]}', '"question" must be a non-empty string, got "  "'),
    ('{"question": 7, "answers": ["x"]}', '"question" must be a non-empty string, got 7'),
    ('{"answers": ["x"]}', '"question" must be a non-empty string, got null'),
    ('{"question": "Who?", "answers": ["x"], "answerable": "yes"}', '"answerable" must be true or false, got "yes"'),
    ('{"question": "Who?", "answers": [], "answerable": true}', '"answerable" is true but "answers" is empty'),
    ('["Who?"]', 'expected a JSON object'),
])
def test_a_bad_row_names_the_file_line_and_value(tmp_path, line, words):
    q = tmp_path / "q.jsonl"
    q.write_text(GOOD + line + "\n")
    with pytest.raises(QAError) as err:
        load_questions(q)
    assert str(err.value).startswith(f"{q}:2: ") and words in str(err.value)


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_a_file_with_no_questions_is_an_error(tmp_path, content):
    q = tmp_path / "q.jsonl"
    q.write_text(content)
    with pytest.raises(QAError, match="holds no questions"):
        load_questions(q)


@pytest.mark.parametrize("content, words", [
    ('{"question": "Who?", "answers": [2008]}\n', ':1: "answers" must be a list'),
    ("", "holds no questions"),
])
def test_the_eval_command_prints_one_line_and_fails(tmp_path, content, words):
    q = tmp_path / "q.jsonl"
    q.write_text(content)
    r = subprocess.run([*QA, "eval", str(q), "--corpus", str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert r.returncode == 1 and words in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
