"""Text of a corpus file's bytes: byte-order mark, UTF-8, the charset an HTML page declares,
Chinese GB18030, or cp1252, each guess with a one-line warning naming the file."""
from __future__ import annotations

import codecs
import logging
import re

log = logging.getLogger("qa")


# The byte-order marks of UTF-16 and UTF-32, with their codecs (which read the byte order
# from the mark). Checked longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
UNICODE_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]


def decode_text(raw: bytes, doc_id: str, declared: str | None = None) -> str | None:
    """Text of raw, or None for binary data. A byte order mark wins, then UTF-8 (bytes in
    another encoding are almost never valid UTF-8, so a stale declaration cannot spoil a UTF-8
    file), then the charset the file declares, then a guess."""
    for bom, encoding in UNICODE_BOMS:
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
    text = as_chinese(raw)
    encoding = "GB18030" if text is not None else "cp1252"
    log.warning("%s is not valid UTF-8 (byte %d); decoded as %s", doc_id, bad_byte, encoding)
    return text if text is not None else raw.decode("cp1252", errors="replace")


_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_XML_ENCODING = re.compile(rb"^\s*<\?xml\b[^>]*?encoding\s*=\s*[\"']([\w.:-]+)", re.I)
# Labels that browsers read as a wider encoding (the WHATWG Encoding Standard): pages labelled
# GBK or GB2312 use GBK's extra characters freely, pages labelled Latin-1 use cp1252's quotes.
_WIDER = {"gbk": "gb18030", "gb2312": "gb18030", "iso8859-1": "cp1252", "ascii": "cp1252"}


def declared_charset(raw: bytes) -> str | None:
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


_INSIDE_LATIN_WORD = re.compile(r"(?<=[A-Za-z])[^\x00-\x7f](?=[A-Za-z])")


def as_chinese(raw: bytes) -> str | None:
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
    if not wide or common < 0.9 * len(wide):
        return None
    # Pairs of accented letters can be common characters too ("aquisição" -> "aquisi玢o"), but
    # then they sit inside Latin words; Chinese stands between spaces, punctuation or digits.
    inside_words = len(_INSIDE_LATIN_WORD.findall(text))
    return text if inside_words * 4 < len(wide) else None


def _encodes(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True
