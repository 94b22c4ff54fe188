"""An index folder shared with the user's own files, with readers while a build swaps in, and
with users who may read it but not write it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from qa.embed import DEFAULT_MODEL


@pytest.fixture()
def small_corpus(tmp_path, seed_corpus) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(seed_corpus / "000_75e6f8e2490986a5.txt", corpus / "silicon.txt")
    return corpus


def test_a_build_removes_only_its_own_old_builds(small_corpus, tmp_path):
    from qa.index import build_index, current_build

    index_dir = tmp_path / "index"
    index_dir.mkdir()
    # Folders of the user's that merely look like ours.
    for name in ("b-drafts", ".tmp-stuff", "b-2024"):
        (index_dir / name).mkdir()
        (index_dir / name / "notes.txt").write_text("mine", encoding="utf-8")
    build_index(small_corpus, index_dir, DEFAULT_MODEL)
    first = current_build(index_dir)
    build_index(small_corpus, index_dir, DEFAULT_MODEL, rebuild=True)
    second = current_build(index_dir)
    assert first != second and not first.exists() and second.is_dir()
    for name in ("b-drafts", ".tmp-stuff", "b-2024"):
        assert (index_dir / name / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_reader_that_read_current_just_before_a_swap_gets_the_new_build(small_corpus, tmp_path, monkeypatch):
    from qa import index as index_mod

    index_dir = tmp_path / "index"
    index_mod.build_index(small_corpus, index_dir, DEFAULT_MODEL)
    old = index_mod.current_build(index_dir)
    index_mod.build_index(small_corpus, index_dir, DEFAULT_MODEL, rebuild=True)  # removes `old`
    new = index_mod.current_build(index_dir)
    assert not old.exists()
    # The reader saw CURRENT name the old build an instant before the new one replaced it.
    reads = iter([old])
    real = index_mod.current_build
    monkeypatch.setattr(index_mod, "current_build", lambda d: next(reads, None) or real(d))
    store = index_mod.load_store(index_dir)
    assert store.path == new


def test_an_index_path_that_is_a_file_is_a_clear_error(tmp_path):
    from qa.errors import IndexCorruptError
    from qa.index import load_store

    f = tmp_path / "notes.txt"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="is a file, not a folder"):
        load_store(f)


_READ_ONLY_ASK = """
import logging, sys
logging.basicConfig(level=logging.WARNING, format="%(message)s")
from qa import ask
a = ask("Who coined the term Silicon Dragon?", corpus=sys.argv[1], index=sys.argv[2])
print("ANSWER", a.answer)
"""


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to run as another user")
def test_a_user_who_cannot_write_a_stale_index_is_answered_from_it(small_corpus, request):
    """As user nobody: the corpus changed since the index was built, but the index is not
    theirs to update. They get an answer from it and a warning, not 'Permission denied'."""
    from qa.index import build_index, current_build

    # Not under tmp_path: pytest keeps its own temp root private to this user.
    shared = Path(tempfile.mkdtemp(prefix="qa-shared-"))
    request.addfinalizer(lambda: shutil.rmtree(shared, ignore_errors=True))
    corpus, index_dir = shared / "corpus", shared / "index"
    shutil.copytree(small_corpus, corpus)
    build_index(corpus, index_dir, DEFAULT_MODEL)
    built = current_build(index_dir)
    (corpus / "silicon.txt").write_text((corpus / "silicon.txt").read_text(encoding="utf-8") + "\nA new line.\n",
                                        encoding="utf-8")
    for p in [shared, *shared.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    python = _python_for_nobody()
    if python is None:
        pytest.skip("no Python interpreter that user nobody may run")
    # This venv's packages and this checkout, for an interpreter outside the venv.
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = {**os.environ, "HOME": str(shared), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent.parent), *site])}
    proc = subprocess.run(
        [python, "-c", _READ_ONLY_ASK, str(corpus), str(index_dir)],
        capture_output=True, text=True, env=env, timeout=300, user=65534, group=65534,
        cwd=str(shared),
    )
    if "Permission denied" in proc.stderr and "site-packages" in proc.stderr:
        pytest.skip("user nobody cannot read this virtualenv")
    assert proc.returncode == 0, proc.stderr
    assert "ANSWER" in proc.stdout and "Rebecca Fannin" in proc.stdout
    assert "cannot update it" in proc.stderr
    assert current_build(index_dir) == built  # nothing was written


def _reachable(path: Path) -> bool:
    """Whether every folder above path lets other users through."""
    return all(os.stat(p).st_mode & 0o001 for p in path.parents)


def _python_for_nobody() -> str | None:
    """This interpreter if others may run it, else the system's of the same version (a venv
    made by pyenv points into root's home)."""
    candidates = [Path(sys.executable).resolve(), Path(f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}")]
    for c in candidates:
        if c.is_file() and _reachable(c) and os.stat(c).st_mode & 0o001:
            return str(c)
    return None


def test_a_missing_corpus_folder_is_warned_about_and_the_index_still_answers(small_corpus, tmp_path, caplog):
    import logging

    from qa.index import build_index, ensure_index

    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, DEFAULT_MODEL)
    with caplog.at_level(logging.WARNING, logger="qa"):
        store = ensure_index(tmp_path / "corpsu", index_dir, DEFAULT_MODEL)  # a typo
    assert store is not None and store.n_chunks > 0
    assert any("no corpus folder at" in r.getMessage() and "corpsu" in r.getMessage() for r in caplog.records)
