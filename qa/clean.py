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
    # a page number between dashes: "- 1 -", "– 12 –"
    re.compile(r"^[-–—]\s*\d{1,4}\s*[-–—]$"),
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
# Han ideographs, kana, CJK and fullwidth punctuation: scripts written without spaces between
# words, so a line wrapped between two of them joins without one ("2004年开始", not "2004年 开始").
# Hangul is left out: Korean puts spaces between words.
_CJK = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
                  r"\U00020000-\U0003ffff]")
# Fullwidth punctuation carries its own spacing: nothing is added on either side ("，2015年").
_CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")
# Punctuation that Chinese shares with English: CJK when next to a CJK character ("，“麒麟”").
_SHARED_PUNCTUATION = "“”‘’—…"


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
                block[-1] = prev + wrap_separator(prev[-1], line[0]) + line
        else:
            block.append(line)
    flush()
    return "\n\n".join(paragraphs)


def wrap_separator(before: str, after: str) -> str:
    """What joins two pieces of one paragraph that a wrap put apart, by the characters either side."""
    before_cjk, after_cjk = bool(_CJK.match(before)), bool(_CJK.match(after))
    if before_cjk and after_cjk or _CJK_PUNCTUATION.match(before) or _CJK_PUNCTUATION.match(after):
        return ""
    if before_cjk and after in _SHARED_PUNCTUATION or after_cjk and before in _SHARED_PUNCTUATION:
        return ""
    return " "
