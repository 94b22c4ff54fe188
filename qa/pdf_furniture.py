"""Remove a PDF's page furniture: running headers, footers and page numbers.

A line is furniture when it sits at the top or bottom of a page (among its first or last
EDGE_LINES lines, scanning inward until the first line that is not furniture) and either is
only a page number ("- 1 -", "12", "Page 3 of 9", "3/9") or sits at the top or bottom of most
pages of the document, the same but for numbers that go up one a page ("Annual Report 2021
... Page 2 of 3"). Lines that differ in any other number are content: "In 2019, Tencent had
1,151 million users." opening one page and "In 2020, ... 1,225 million" the next.
"""
from __future__ import annotations

import re

from qa.clean import is_furniture

# How deep a header or footer block may reach: a title line, a chapter line, a page number.
EDGE_LINES = 3
_PAGE_NUMBER = re.compile(
    r"^(?:page|p\.)?\s*[-–—(\[]?\s*\d{1,3}\s*(?:(?:/|of)\s*\d{1,3})?\s*[-–—)\]]?$", re.I)
_DIGITS = re.compile(r"\d+")


def strip_page_furniture(pages: list[str]) -> list[str]:
    """The pages' extracted texts without their headers, footers and page numbers."""
    lines = [page.split("\n") for page in pages]
    repeated = _repeated_edge_lines(lines) if len(pages) > 1 else set()
    return ["\n".join(_trim(page_lines, repeated)) for page_lines in lines]


def _key(line: str) -> str:
    """A line as compared across pages: page numbers and dates in it do not count."""
    return _DIGITS.sub("#", " ".join(line.split()).lower())


def _edge_indices(lines: list[str]) -> tuple[list[int], list[int]]:
    """Indices of the first and of the last EDGE_LINES non-blank lines, outermost first."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return filled[:EDGE_LINES], filled[::-1][:EDGE_LINES]


def _repeated_edge_lines(pages: list[list[str]]) -> set[str]:
    seen: dict[str, dict[int, tuple[int, ...]]] = {}  # key -> page -> the line's numbers
    for page, lines in enumerate(pages):
        top, bottom = _edge_indices(lines)
        for i in top + bottom:
            numbers = tuple(int(d) for d in _DIGITS.findall(lines[i]))
            seen.setdefault(_key(lines[i]), {}).setdefault(page, numbers)
    # "Most pages": half of them or more, so headers that alternate between even and odd
    # pages (book title, chapter title) still count; never a line found on one page only.
    return {key for key, found in seen.items()
            if len(found) >= 2 and 2 * len(found) >= len(pages) and _numbers_follow_pages(found)}


def _numbers_follow_pages(found: dict[int, tuple[int, ...]]) -> bool:
    """Whether each number of the line is the same on every page or goes up one a page."""
    columns = list(zip(*found.values()))
    pages = list(found)
    return all(len(set(col)) == 1 or len({v - p for v, p in zip(col, pages)}) == 1 for col in columns)


def _is_furniture(line: str, repeated: set[str]) -> bool:
    stripped = " ".join(line.split())
    return bool(_PAGE_NUMBER.match(stripped)) or is_furniture(stripped) or _key(stripped) in repeated


def _trim(lines: list[str], repeated: set[str]) -> list[str]:
    drop: set[int] = set()
    for edge in _edge_indices(lines):
        for i in edge:
            if not _is_furniture(lines[i], repeated):
                break
            drop.add(i)
    return [line for i, line in enumerate(lines) if i not in drop]
