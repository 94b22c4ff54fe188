"""Questions about a document itself: who wrote or published it, when it was last updated,
whom it is written for.

Their answer is a line of the document: its byline ("by: SPI", "Co-written by Sandrine Zerbib
and Aldo Spaanjaars – ..."), its dateline ("Last updated: 15.12.2020 - 16:18") or the line
after "This document is targeted for the following audience:". Retrieval rarely ranks these
lines: they share few words with the question, which names the document by its title. They
are found instead by the document's own metadata (corpus/sources.toml or front matter): the
sentence that repeats its publisher's or authors' names, or its date.
"""
from __future__ import annotations

import re

from qa.text import tokenize

_DOC = r"(?:page|web ?page|article|piece|guide|overview|site|website|document|report|post|paper|brochure)"
_AUTHOR_Q = re.compile(
    rf"\bwho\s+(?:\w+\s+)?(?:wrote|authored|co-?wrote|co-?authored|published|writes|compiled|produced)\b[^?]*\b{_DOC}\b"
    rf"|\bwho (?:are|were|is|was) the (?:authors?|writers?|publishers?)\b"
    rf"|\b(?:authors?|writers?|publishers?) of (?:the|this|that) (?:[\w'’-]+ ){{0,4}}{_DOC}\b"
    rf"|\b{_DOC}\b[^?]*\b(?:published|written|co-?written|authored) by\s*\??\s*$"
    rf"|\b{_DOC}\s+(?:authors?|writers?|publisher)\s*\??\s*$", re.I)
_DATE_Q = re.compile(
    rf"\b(?:when|what date|which date|what day|what time)\b[^?]*\b{_DOC}\b[^?]*\b(?:updated|published|written|edited|"
    rf"posted|released|revised|modified)\b|\blast (?:updated|edited|modified|revised)\b|\bpublication date\b", re.I)
_AUDIENCE_Q = re.compile(
    rf"\b(?:who|whom)\b[^?]*\b{_DOC}\b[^?]*\b(?:for|aimed at|targeted at|targeted to|intended for|meant for|"
    rf"addressed to|directed at)\s*\??\s*$|\btarget(?:ed)? (?:audience|group|readers?)\b", re.I)
# A line naming the audience; when it ends with a colon, the audience is the line after it.
_AUDIENCE_LINE = re.compile(r"\b(?:audience|targeted (?:at|for|to)|aimed at|intended for|written for)\b", re.I)
_DATE_WORD = re.compile(r"\b(?:updated|published|posted|dated|date|modified|revised|edited)\b", re.I)
_DIGITS = re.compile(r"\d[\d./:-]*\d")
_ASIDE = re.compile(r"\([^)]*\)|\"[^\"]*\"|“[^”]*”")


def document_field(question: str) -> str | None:
    """"author", "date" or "audience" for a question about a document itself, else None."""
    for field, pattern in (("date", _DATE_Q), ("audience", _AUDIENCE_Q), ("author", _AUTHOR_Q)):
        if pattern.search(question):
            return field
    return None


def document_lines(field: str, doc, sentences: list[str]) -> list[int]:
    """The indexes, in `sentences` (the document's, in order), of the lines answering `field`
    for the document `doc` (its title, publisher and date)."""
    if field == "author":
        names = set(tokenize(_ASIDE.sub(" ", doc.publisher)))
        if not names:
            return []
        shares = [len(names & set(tokenize(s))) / len(names) for s in sentences]
        best = max(shares, default=0.0)
        return [shares.index(best)] if best >= 0.5 else []
    if field == "date":
        stamps = set(_DIGITS.findall(_ASIDE.sub(" ", doc.date)))
        return [i for i, s in enumerate(sentences) if stamps & set(_DIGITS.findall(s)) and _DATE_WORD.search(s)][:1]
    for i, s in enumerate(sentences):
        if _AUDIENCE_LINE.search(s):
            if s.rstrip().endswith(":") and i + 1 < len(sentences):
                return [i + 1]
            return [i]
    return []
