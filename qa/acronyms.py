"""The letter strings a corpus may mean by an acronym it never writes.

"NLP" in a question is answered by a corpus that says "natural language processing"; "SMIC"
or "DJI" in a question about a corpus that neither writes nor spells them out names
something the corpus does not hold. Known strings are the initials of the corpus's
consecutive words (with "and", "of", "the"... skipped too: "Information and Communication
Technology" is "ict") and the model's ordinary words ("ceo", "ipo" may be written out any
way). They are kept as one bit per possible string of 2-5 letters (12.4M bits, 1.5 MB), so
a question's acronym is looked up without reading the corpus, whatever its size.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

MIN_LEN, MAX_LEN = 2, 5
_OFFSETS = np.cumsum([0] + [26 ** n for n in range(MIN_LEN, MAX_LEN + 1)])  # first bit of each length
_WORD = re.compile(r"[A-Za-z]+")
_CONNECTORS = frozenset({"and", "of", "the", "for", "in", "on", "to", "a", "an"})
_GAP = 26  # a code between texts: no initials span two texts
_BATCH = 2_000_000  # words read before their initials are marked


def _index(s: str) -> int | None:
    if not (MIN_LEN <= len(s) <= MAX_LEN and s.isascii() and s.isalpha()):
        return None
    value = 0
    for ch in s.lower():
        value = value * 26 + ord(ch) - 97
    return int(_OFFSETS[len(s) - MIN_LEN]) + value


def known_initials(texts: Iterable[str], common: Iterable[str] = ()) -> np.ndarray:
    """The packed bits of every string the corpus may mean by an acronym."""
    bits = np.zeros(int(_OFFSETS[-1]), dtype=bool)
    all_codes: list[int] = []
    content_codes: list[int] = []
    for text in texts:
        every, content = _initials(text)
        all_codes.extend(ord(c) - 97 for c in every)
        content_codes.extend(ord(c) - 97 for c in content)
        all_codes.append(_GAP)
        content_codes.append(_GAP)
        if len(all_codes) > _BATCH:  # bounded memory on a large corpus
            _mark(bits, all_codes)
            _mark(bits, content_codes)
            all_codes, content_codes = [], []
    _mark(bits, all_codes)
    _mark(bits, content_codes)
    for word in common:
        i = _index(word)
        if i is not None:
            bits[i] = True
    return np.packbits(bits)


def _initials(text: str) -> tuple[str, str]:
    """The initials of the text's words, lower-cased: of every word, and of all but the
    connectors ("and", "of", ...)."""
    ws = _WORD.findall(text)
    return ("".join(w[0].lower() for w in ws),
            "".join(w[0].lower() for w in ws if w.lower() not in _CONNECTORS))


def _mark(bits: np.ndarray, codes: list[int]) -> None:
    """Set the bit of every run of MIN_LEN..MAX_LEN consecutive initials (none across a gap)."""
    c = np.asarray(codes, dtype=np.int32)
    for n in range(MIN_LEN, MAX_LEN + 1):
        if len(c) < n:
            break
        windows = np.lib.stride_tricks.sliding_window_view(c, n)
        windows = windows[(windows < 26).all(axis=1)]
        values = windows @ (26 ** np.arange(n - 1, -1, -1, dtype=np.int32))
        bits[_OFFSETS[n - MIN_LEN] + values] = True


class Initials:
    """Membership test over known_initials()' packed bits (memory-mapped or not)."""

    def __init__(self, packed: np.ndarray):
        if len(packed) * 8 < _OFFSETS[-1]:
            raise ValueError(f"initials table holds {len(packed) * 8} bits, expected {int(_OFFSETS[-1])}")
        self.packed = packed

    def __contains__(self, s: str) -> bool:
        i = _index(s)
        return i is not None and bool(self.packed[i >> 3] & (0x80 >> (i & 7)))


_EXPANSION_Q = re.compile(r"\b(?:stands?|short)\s+for\b|\bacronym\b|\babbreviat", re.I)
# A word with two capitals or more: "ICT", "IoT", "SMLTA".
_ACRONYM = re.compile(r"\b[A-Za-z]*[A-Z][A-Za-z]*[A-Z][A-Za-z]*\b")


def asked_acronym(question: str) -> str | None:
    """The acronym a question asks to spell out ("what does IoT stand for" -> "iot"), or None."""
    if not _EXPANSION_Q.search(question):
        return None
    for m in _ACRONYM.finditer(question):
        if MIN_LEN <= len(m.group(0)) <= MAX_LEN + 1:
            return m.group(0).lower()
    return None


def spells_out(acronym: str, text: str) -> bool:
    """Whether consecutive words of the text have the acronym's letters as initials, with or
    without "and", "of"... ("Information and Communication Technology" spells "ict",
    "internet of things" "iot", "High-Level Innovation Cooperation Dialogue" "icd")."""
    every, content = _initials(text)
    return acronym in every or acronym in content
