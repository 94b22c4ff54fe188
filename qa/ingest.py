"""Load the corpus folder into cleaned Documents, with metadata from corpus/sources.toml.

Bad files never stop a build: binary, empty and unsupported files are skipped and text
that is not UTF-8 is decoded as the charset an HTML page declares, as GB18030 when it reads
as Chinese that way, or else as cp1252, each guess with a one-line warning naming the file.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qa.clean import clean_text, wrap_separator
from qa.decode import declared_charset, decode_text
from qa.errors import EmptyCorpusError
from qa.markup import html_text, markdown_text
from qa.pdf_furniture import strip_page_furniture
from qa.types import Document

log = logging.getLogger("qa")

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}
SOURCES_FILE = "sources.toml"
TITLE_MAX_CHARS = 100  # a longer first line is a paragraph, not a heading
# Files that describe the corpus rather than belong to it.
IGNORED_NAMES = {SOURCES_FILE, "SOURCES.md", ".DS_Store"}


@dataclass(frozen=True)
class CorpusFile:
    doc_id: str
    path: Path
    size: int
    mtime_ns: int


def corpus_files(corpus_dir: Path, exclude: Path | None = None, warn: bool = False) -> list[CorpusFile]:
    """Every candidate file under corpus_dir (subfolders too), sorted.

    Hidden files and folders are left out, and so is the folder `exclude` (an index kept
    inside the corpus folder would otherwise be indexed, and change with every build). With
    warn, a subfolder that cannot be listed gets a one-line warning.
    """
    if not corpus_dir.is_dir():
        raise EmptyCorpusError(f"corpus folder not found: {corpus_dir}")
    skip = Path(exclude).resolve() if exclude is not None else None

    def unlistable(e: OSError) -> None:
        if warn:
            rel = Path(e.filename or corpus_dir).relative_to(corpus_dir).as_posix()
            log.warning("skipping folder %s: cannot list it (%s)", corpus_dir if rel == "." else rel,
                        e.strerror or e)

    paths = []
    for folder, dirs, files in os.walk(corpus_dir, onerror=unlistable):
        dirs[:] = [d for d in dirs if not d.startswith(".")
                   and (skip is None or Path(folder, d).resolve() != skip)]
        paths.extend(Path(folder, f) for f in files if not f.startswith(".") and f not in IGNORED_NAMES)
    found = []
    for path in sorted(paths):
        try:
            if not path.is_file():  # sockets, FIFOs, broken links
                continue
            st = path.stat()
        except OSError:
            continue  # removed since it was listed
        found.append(CorpusFile(path.relative_to(corpus_dir).as_posix(), path, st.st_size, st.st_mtime_ns))
    return found


def corpus_signature(corpus_dir: Path, exclude: Path | None = None) -> dict[str, list[int]]:
    """Cheap fingerprint (size, mtime) of every file and of sources.toml, to spot changes."""
    sig = {f.doc_id: [f.size, f.mtime_ns] for f in corpus_files(corpus_dir, exclude)}
    meta = corpus_dir / SOURCES_FILE
    if meta.is_file():
        st = meta.stat()
        sig[SOURCES_FILE] = [st.st_size, st.st_mtime_ns]
    return sig


def load_sources(corpus_dir: Path) -> dict[str, dict]:
    path = corpus_dir / SOURCES_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        log.warning("ignoring %s: not valid TOML (%s)", path, e)
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def load_corpus(corpus_dir: Path, exclude: Path | None = None) -> list[Document]:
    """All readable documents in the corpus (see corpus_files for `exclude`).

    Raises EmptyCorpusError if there are none.
    """
    corpus_dir = Path(corpus_dir)
    sources = load_sources(corpus_dir)
    docs = []
    files = corpus_files(corpus_dir, exclude, warn=True)
    for f in files:
        doc = load_document(f.path, f.doc_id, sources.get(f.doc_id, {}))
        if doc is not None:
            docs.append(doc)
    # A misspelt or renamed file in sources.toml would otherwise lose its metadata silently.
    for doc_id in sorted(sources.keys() - {f.doc_id for f in files}):
        log.warning("%s: %r names no file in %s", SOURCES_FILE, doc_id, corpus_dir)
    if not docs:
        raise EmptyCorpusError(
            f"no readable documents in {corpus_dir} (supported: {', '.join(sorted(SUPPORTED))})"
        )
    return docs


def load_document(path: Path, doc_id: str, meta: dict | None = None) -> Document | None:
    """One cleaned Document, or None (with a warning) when the file cannot be used."""
    meta = meta or {}
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        log.warning("skipping %s: unsupported file type %r", doc_id, ext or "(none)")
        return None
    try:
        raw = path.read_bytes()
    except OSError as e:
        log.warning("skipping %s: cannot read it (%s)", doc_id, e.strerror or e)
        return None
    if not raw.strip():
        log.warning("skipping %s: empty file", doc_id)
        return None
    pages: tuple[tuple[int, int, int], ...] = ()
    found_title = ""
    if ext == ".pdf":
        text, pages, found_title = _read_pdf(raw, doc_id)
        if text is None:
            return None
    else:
        decoded = decode_text(raw, doc_id, declared_charset(raw) if ext in (".html", ".htm") else None)
        if decoded is None:
            return None
        if ext in (".html", ".htm"):
            text, found_title = html_text(decoded)
        elif ext in (".md", ".markdown"):
            text, found_title = markdown_text(decoded)
        else:
            text = clean_text(decoded)
    if not text.strip():
        log.warning("skipping %s: no text left after cleaning", doc_id)
        return None
    return Document(
        doc_id=doc_id,
        path=str(path),
        text=text,
        title=str(meta.get("title") or found_title or _first_line(text) or Path(doc_id).stem),
        publisher=str(meta.get("publisher") or meta.get("authors") or ""),
        date=str(meta.get("date") or ""),
        url=str(meta.get("url") or ""),
        content_hash=hashlib.sha256(raw).hexdigest(),
        pages=pages,
    )


def _first_line(text: str) -> str:
    """A title for a file without one: its first line if that is short, as a heading is,
    else its first sentence if that is; else "" (the file's name is used)."""
    from qa.text import sentence_spans

    line = text.split("\n", 1)[0].strip()
    if len(line) <= TITLE_MAX_CHARS:
        return line
    spans = sentence_spans(line)
    first = line[spans[0][0]:spans[0][1]] if spans else ""
    return first if len(first) <= TITLE_MAX_CHARS else ""


# What pypdf raises on a bad file: its own PyPdfError family, DependencyError (outside that
# family: an AES-encrypted file without the `cryptography` package) and, on malformed
# structure, plain built-in errors from deep inside its parser.
_PDF_BUILTIN_ERRORS = (ArithmeticError, AttributeError, LookupError, OSError, RecursionError,
                       TypeError, ValueError)


def _read_pdf(raw: bytes, doc_id: str) -> tuple[str | None, tuple[tuple[int, int, int], ...], str]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    try:
        with _pypdf_logs(doc_id):
            reader = PdfReader(io.BytesIO(raw))
            title = _pdf_title(reader.metadata.title if reader.metadata else None)
            pages = strip_page_furniture([page.extract_text() or "" for page in reader.pages])
    except (PyPdfError, DependencyError, *_PDF_BUILTIN_ERRORS) as e:
        why = "encrypted PDF that cannot be decrypted" if isinstance(
            e, (DependencyError, FileNotDecryptedError)) else "unreadable PDF"
        log.warning("skipping %s: %s (%s)", doc_id, why, " ".join(str(e).split()) or type(e).__name__)
        return None, (), ""
    text, spans = _join_pages([clean_text(page) for page in pages])
    return text, spans, title


# Titles that PDF writers fill in by themselves: "untitled", "Untitled-1", "anonymous", or the
# name of the file it was made from ("Microsoft Word - report.docx").
_JUNK_PDF_TITLE = re.compile(
    r"^(?:untitled\b.*|anonymous|unknown|none|null|no title|document\s*\d*|"
    r".*\.(?:docx?|pptx?|xlsx?|odt|rtf|pdf|tex|indd|pages))$", re.I)


def _pdf_title(title: object) -> str:
    title = " ".join(str(title or "").split())
    return "" if _JUNK_PDF_TITLE.match(title) else title


def _join_pages(pages: list[str]) -> tuple[str, tuple[tuple[int, int, int], ...]]:
    """The pages' texts as one, with each page's (start, end, number); empty pages left out.

    Pages are paragraphs apart, except that a sentence running on to the next page ("191
    million units" / "in 2021, making ...") is joined as a wrapped line is.
    """
    parts: list[str] = []
    spans: list[tuple[int, int, int]] = []
    offset = 0
    for number, page_text in enumerate(pages, start=1):
        if not page_text:
            continue
        if parts:
            parts.append(_page_separator(parts[-1], page_text))
            offset += len(parts[-1])
        parts.append(page_text)
        spans.append((offset, offset + len(page_text), number))
        offset += len(page_text)
    return "".join(parts), tuple(spans)


def _page_separator(before: str, after: str) -> str:
    last, first = before[-1], after[0]
    runs_on = last not in ".!?。！？" and (first.islower() or not wrap_separator(last, first))
    return wrap_separator(last, first) if runs_on else "\n\n"


@contextmanager
def _pypdf_logs(doc_id: str):
    """Keep pypdf's own log lines ("EOF marker not found") off the user's terminal.

    Without a handler of their own they reach logging's last-resort handler and print
    unprefixed; the user gets our one-line warning instead, and they are kept at debug level.
    """
    pypdf_log = logging.getLogger("pypdf")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    propagate = pypdf_log.propagate
    pypdf_log.addHandler(handler)
    pypdf_log.propagate = False
    try:
        yield
    finally:
        pypdf_log.removeHandler(handler)
        pypdf_log.propagate = propagate
        for record in records:
            log.debug("%s: pypdf: %s", doc_id, record.getMessage())
