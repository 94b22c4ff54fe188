"""Turn extracted text into clean paragraphs: drop page furniture, keep every content word.

Furniture is recognised by shape, not by listing a site's strings: navigation phrases
("Skip to content", "Back to top"), counters ("1 / 4", "Slide 2 of 5", "Page 3"), lone
bullets and arrows, and one-word menu items. Offsets elsewhere index the text this returns.
"""
from __future__ import annotations

import re

_SKIP_LINK = r"skip\s+to\s+(?:the\s+)?(?:main\s+)?(?:content|navigation|nav|sidebar|footer|search|menu|header)"
_FURNITURE = [
    re.compile(rf"^(?:{_SKIP_LINK}\s*)+$", re.I),
    re.compile(r"^(?:back|scroll|return|go|jump)\s+to\s+(?:the\s+)?top\W*$", re.I),
    re.compile(r"^(?:top\s+of\s+(?:the\s+)?page|to\s+top)\W*$", re.I),
    # carousel and pagination counters: "1 / 4", "2 of 5", "Slide 3 of 4", "Page 7"
    re.compile(r"^(?:(?:slide|image|photo|picture|item|page)\s*)?\d{1,4}\s*(?:/|of)\s*\d{1,4}$", re.I),
    re.compile(r"^page\s+\d{1,4}$", re.I),
    # a line of nothing but bullets, dashes, arrows or pipes
    re.compile(r"^[\s•·▪●◦‣∙○■□▶►◀◄*|«»‹›<>←→–—-]+$"),
    # lone menu and share widgets
    re.compile(
        r"^(?:menu|search|home|share|share this(?: page)?|print|print this page|tweet|email|close|"
        r"log ?in|sign ?in|sign ?up|subscribe|next|previous|prev|more|read more|toggle navigation|"
        r"open menu|close menu|accept(?: all)?(?: cookies)?|cookie settings)\W*$",
        re.I,
    ),
]
_LEADING_BULLET = re.compile(r"^(?:[•·▪●◦‣∙○■□▶►]|[–—*-](?=\s))\s*")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_furniture(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and any(p.match(stripped) for p in _FURNITURE)


def clean_text(raw: str, join_wrapped: bool = True) -> str:
    """Paragraphs separated by one blank line; furniture lines removed, spacing normalised.

    With join_wrapped, the lines of one paragraph (a block between blank lines) are joined
    with spaces, undoing hard wraps (PDF, wrapped .txt); each list item is its own paragraph.
    """
    text = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            paragraphs.append("\n".join(block))
            block.clear()

    for line in text.split("\n"):
        line = _SPACES.sub(" ", line).strip()
        if not line:
            flush()
            continue
        if is_furniture(line):
            continue
        is_item = bool(_LEADING_BULLET.match(line))
        line = _LEADING_BULLET.sub("", line).strip()
        if not line:
            continue
        if is_item:  # a list item starts its own paragraph; its wrapped lines join it
            flush()
            block.append(line)
        elif join_wrapped and block:
            prev = block[-1]
            if prev.endswith("-") and len(prev) > 1 and prev[-2].isalpha() and line[:1].islower():
                block[-1] = prev[:-1] + line  # de-hyphenate a word broken across lines
            else:
                block[-1] = prev + " " + line
        else:
            block.append(line)
    flush()
    return "\n\n".join(paragraphs)
