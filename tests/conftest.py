"""Shared fixtures: the real bundled model and a real index on disk, built once per session."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"


def pytest_collection_modifyitems(items):
    for item in items:
        if "engine" in item.fixturenames or "seed_index" in item.fixturenames:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def seed_corpus(tmp_path_factory) -> Path:
    """A private copy of the shipped corpus (tests may not touch corpus/)."""
    dest = tmp_path_factory.mktemp("corpus")
    shutil.copytree(SEED_CORPUS, dest, dirs_exist_ok=True)
    return dest


@pytest.fixture(scope="session")
def seed_index(seed_corpus, tmp_path_factory) -> Path:
    from qa.embed import DEFAULT_MODEL
    from qa.index import build_index

    index_dir = tmp_path_factory.mktemp("index")
    build_index(seed_corpus, index_dir, DEFAULT_MODEL)
    return index_dir


@pytest.fixture(scope="session")
def engine(seed_corpus, seed_index):
    from qa import get_engine

    return get_engine(seed_corpus, seed_index)


def make_pdf(path: Path, pages: list[str]) -> None:
    """Write a minimal valid PDF with one line of Helvetica text per page."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    font_obj = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_obj} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
