"""Load the corpus folder into cleaned Documents, with metadata from corpus/sources.toml.

Bad files never stop a build: binary, empty and unsupported files are skipped and text
that is not UTF-8 is decoded as the charset an HTML page declares, as GB18030 when it reads
as Chinese that way, or else as cp1252, each guess with a one-line warning naming the file.
"""
from __future__ import annotations

import codecs
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
from qa.errors import EmptyCorpusError
from qa.pdf_furniture import strip_page_furniture
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
        decoded = _decode(raw, doc_id, _declared_charset(raw) if ext in (".html", ".htm") else None)
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


def _decode(raw: bytes, doc_id: str, declared: str | None = None) -> str | None:
    """Text of raw, or None for binary data. A byte order mark wins, then UTF-8 (bytes in
    another encoding are almost never valid UTF-8, so a stale declaration cannot spoil a UTF-8
    file), then the charset the file declares, then a guess."""
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
        bad_byte = e.start
    if declared:
        try:
            return raw.decode(declared)
        except UnicodeDecodeError:
            pass  # a wrong declaration: guess as for a file without one
    text = _as_chinese(raw)
    encoding = "GB18030" if text is not None else "cp1252"
    log.warning("%s is not valid UTF-8 (byte %d); decoded as %s", doc_id, bad_byte, encoding)
    return text if text is not None else raw.decode("cp1252", errors="replace")


_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_XML_ENCODING = re.compile(rb"^\s*<\?xml\b[^>]*?encoding\s*=\s*[\"']([\w.:-]+)", re.I)
# Labels that browsers read as a wider encoding (the WHATWG Encoding Standard): pages labelled
# GBK or GB2312 use GBK's extra characters freely, pages labelled Latin-1 use cp1252's quotes.
_WIDER = {"gbk": "gb18030", "gb2312": "gb18030", "iso8859-1": "cp1252", "ascii": "cp1252"}


def _declared_charset(raw: bytes) -> str | None:
    """The Python codec for the charset an HTML page names in a <meta> tag or XML declaration."""
    head = raw[:4096]
    m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if not m:
        return None
    try:
        name = codecs.lookup(m.group(1).decode("ascii")).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None  # without a byte order mark these labels are wrong; browsers read UTF-8
    return _WIDER.get(name, name)


def _as_chinese(raw: bytes) -> str | None:
    """raw decoded as GB18030 (which covers GBK and GB2312), if it decodes and reads as Chinese.

    cp1252 text often decodes as GB18030 too, each accented letter and the ASCII letter after
    it making one rare character ("Mü"+"n"); common Chinese characters, punctuation included,
    are all in GB2312, whose two bytes are both 0xA1 or above. So most of the non-ASCII
    characters must be in GB2312.
    """
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return None
    wide = [c for c in text if ord(c) > 0x7F]
    common = sum(1 for c in wide if _encodes(c, "gb2312"))
    return text if wide and common >= 0.9 * len(wide) else None


def _encodes(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _first_line(text: str) -> str:
    line = text.split("\n", 1)[0].strip()
    return line if len(line) <= 200 else ""


# YAML ("---") or TOML ("+++") front matter: metadata for a site generator, not prose.
_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?\n)?(?:\1|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FRONT_TITLE = re.compile(r"^title\s*[:=]\s*[\"']?(.*?)[\"']?\s*$", re.M)
# Block tokens after which a new paragraph starts; a table row is one, its cells " | " apart.
_MD_BLOCK_ENDS = {"paragraph_close", "heading_close", "tr_close", "code_block", "html_block"}


def _markdown_text(source: str) -> tuple[str, str]:
    """Prose of a Markdown file, parsed as CommonMark with tables; the title is its first h1.

    Fenced code, HTML comments, images and front matter are dropped; headings, list items
    and table rows are paragraphs of their own; markup (list and quote markers, emphasis,
    link targets) goes, its text stays. Indented code is kept as text: a file indented by
    habit would otherwise lose its paragraphs.
    """
    from markdown_it import MarkdownIt

    source = source.replace("\r\n", "\n").replace("\r", "\n")
    front_title = ""
    front = _FRONT_MATTER.match(source)
    if front:
        m = _FRONT_TITLE.search(front.group(2) or "")
        front_title = m.group(1) if m else ""
        source = source[front.end():]
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(source)
    title = ""
    parts: list[str] = []
    for previous, token in zip([None, *tokens], tokens):
        if token.type == "inline":
            text = _markdown_inline(token.children or [])
            if previous is not None and previous.type in ("th_open", "td_open") and parts[-1:] != ["\n\n"]:
                parts.append(" | ")
            parts.append(text)
            if not title and previous is not None and previous.type == "heading_open" and previous.tag == "h1":
                title = " ".join(text.split())
        elif token.type == "code_block":
            parts.append(token.content)
        elif token.type == "html_block":
            parts.append(_html_text(token.content)[0])
        if token.type in _MD_BLOCK_ENDS:
            parts.append("\n\n")
    return clean_text("".join(parts)), title or front_title


def _markdown_inline(children: list) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append("\n")
        elif child.type == "hardbreak" or (child.type == "html_inline" and child.content.lower().startswith("<br")):
            parts.append("\n\n")
    return "".join(parts)


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
    _drop_page_chrome(soup)
    for tag in soup.find_all(style=True):
        style = tag["style"].replace(" ", "").lower()
        if "display:none" in style or "visibility:hidden" in style:
            tag.decompose()
    for tag in soup.find_all(hidden=True):
        tag.decompose()
    # Preformatted lines stay apart, as lines broken by <br> do.
    for string in [s for pre in soup.find_all("pre") for s in pre.find_all(string=True)]:
        string.replace_with(string.replace("\n", "\n\n"))
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    # A table row stays one line, its cells apart: "Tencent | 482 billion yuan".
    for tag in soup.find_all(_CELL_TAGS):
        tag.insert_before(" | " if tag.find_previous_sibling(_CELL_TAGS) else " ")
        tag.insert_after(" ")
    return clean_text(soup.get_text()), title


# Site-wide header, footer and sidebar; inside an <article> or <main> they belong to the text
# (an article's own header holds its headline).
_CHROME_TAGS = ["header", "footer", "aside"]
# ARIA roles of the same site chrome, and of dialogs laid over the page (cookie and newsletter
# pop-ups): never the page's content.
_CHROME_ROLES = {"banner", "contentinfo", "navigation", "dialog", "alertdialog"}
_CONSENT_MARK = re.compile(r"cookie|consent|gdpr", re.I)


def _drop_page_chrome(soup) -> None:
    for tag in soup.find_all(_CHROME_TAGS):
        if not tag.decomposed and not tag.find_parent(["article", "main"]):
            tag.decompose()
    for tag in soup.find_all(True):
        if not tag.decomposed and _is_overlay(tag):
            tag.decompose()


def _is_overlay(tag) -> bool:
    """A dialog, or an element whose id, class or label marks it as a cookie or consent banner.

    An element holding the page's main content is never one, whatever its class says
    (<body class="cookie-consent-pending">).
    """
    marks = " ".join([str(tag.get("id", "")), *tag.get("class", []), str(tag.get("aria-label", ""))])
    if not (tag.name == "dialog" or str(tag.get("role", "")).lower() in _CHROME_ROLES
            or _CONSENT_MARK.search(marks)):
        return False
    return tag.name not in ("html", "body", "main", "article") and not tag.find(["main", "article", "h1"])


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
