"""Load the corpus folder into cleaned Documents, with metadata from corpus/sources.toml.

Bad files never stop a build: binary, empty and unsupported files are skipped and text
that is not UTF-8 is decoded as cp1252, each with a one-line warning naming the file.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import logging
import os
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qa.clean import clean_text
from qa.errors import EmptyCorpusError
from qa.types import Document

log = logging.getLogger("qa")

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}
SOURCES_FILE = "sources.toml"
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
        decoded = _decode(raw, doc_id)
        if decoded is None:
            return None
        if ext in (".html", ".htm"):
            text, found_title = _html_text(decoded)
        elif ext in (".md", ".markdown"):
            text, found_title = _markdown_text(decoded)
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


# Checked longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]


def _decode(raw: bytes, doc_id: str) -> str | None:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw.decode(encoding)  # the codec reads the byte order from the mark
            except UnicodeDecodeError as e:
                log.warning("%s is not valid %s (byte %d); undecodable bytes replaced", doc_id,
                            encoding.upper(), e.start)
                text = raw.decode(encoding, errors="replace")
            # Binary data that happens to open with a mark decodes to NUL characters too.
            if "\x00" in text[:4096]:
                break
            return text
    if b"\x00" in raw[:8192]:
        log.warning("skipping %s: binary file (contains NUL bytes)", doc_id)
        return None
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        log.warning("%s is not valid UTF-8 (byte %d); decoded as cp1252", doc_id, e.start)
        return raw.decode("cp1252", errors="replace")


def _first_line(text: str) -> str:
    line = text.split("\n", 1)[0].strip()
    return line if len(line) <= 200 else ""


def _markdown_text(source: str) -> tuple[str, str]:
    import re

    title = ""
    m = re.search(r"^#\s+(.+)$", source, re.M)
    if m:
        title = m.group(1).strip()
    source = re.sub(r"^---\n.*?\n---\n", "", source, flags=re.S)  # front matter
    source = re.sub(r"```.*?```", "", source, flags=re.S)
    source = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", source)  # images
    source = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", source)  # links keep their text
    source = re.sub(r"^#{1,6}\s+(.*?)\s*#*$", r"\n\1\n", source, flags=re.M)  # headings
    source = re.sub(r"(\*\*|__|`)", "", source)
    return clean_text(source), title


_HIDDEN_TAGS = ["script", "style", "noscript", "template", "svg", "iframe", "head", "nav", "form", "button"]
_BLOCK_TAGS = [
    "p", "div", "section", "article", "main", "header", "footer", "aside", "h1", "h2", "h3",
    "h4", "h5", "h6", "li", "ul", "ol", "table", "tr", "blockquote", "pre", "dd", "dt", "dl", "br",
    "figure", "figcaption", "caption", "details", "summary", "address", "hr",
]
_CELL_TAGS = ["td", "th"]


def _html_text(source: str) -> tuple[str, str]:
    """Visible text of an HTML page: blocks become paragraphs, scripts and chrome dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(source, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if not title and soup.h1:
        title = soup.h1.get_text(" ", strip=True)
    for tag in soup.find_all(_HIDDEN_TAGS):
        tag.decompose()
    for tag in soup.find_all(style=True):
        style = tag["style"].replace(" ", "").lower()
        if "display:none" in style or "visibility:hidden" in style:
            tag.decompose()
    for tag in soup.find_all(hidden=True):
        tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    # A table row stays one line, its cells apart: "Tencent | 482 billion yuan".
    for tag in soup.find_all(_CELL_TAGS):
        tag.insert_before(" | " if tag.find_previous_sibling(_CELL_TAGS) else " ")
        tag.insert_after(" ")
    return clean_text(soup.get_text()), title


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
            title = ""
            if reader.metadata and reader.metadata.title:
                title = str(reader.metadata.title)
            parts: list[str] = []
            spans: list[tuple[int, int, int]] = []
            offset = 0
            for number, page in enumerate(reader.pages, start=1):
                page_text = clean_text(page.extract_text() or "")
                if not page_text:
                    continue
                if parts:
                    offset += 2  # the "\n\n" joining pages
                parts.append(page_text)
                spans.append((offset, offset + len(page_text), number))
                offset += len(page_text)
    except (PyPdfError, DependencyError, *_PDF_BUILTIN_ERRORS) as e:
        why = "encrypted PDF that cannot be decrypted" if isinstance(
            e, (DependencyError, FileNotDecryptedError)) else "unreadable PDF"
        log.warning("skipping %s: %s (%s)", doc_id, why, " ".join(str(e).split()) or type(e).__name__)
        return None, (), ""
    return "\n\n".join(parts), tuple(spans), title


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
