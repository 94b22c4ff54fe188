"""The kind of answer a question asks for (a number, a date, a name) and whether a sentence holds one."""
from __future__ import annotations

import re

from qa.text import tokenize

_NUMBER_Q = re.compile(r"\b(how (many|much|big|large|long|fast|far)|number of|percentage|what share|what proportion|how many)\b", re.I)
_DATE_Q = re.compile(r"\b(when|what year|which year|what date|since when|what month|in which year)\b", re.I)
_NAME_Q = re.compile(
    r"^\s*(who|whom|whose)\b|\bwhich (company|firm|start-?up|person|entrepreneur|city|cities|country|"
    r"countries|university|brand|app|platform|product)\b|\b(called|named)\s*\??\s*$|\bname of\b|\bwho\b", re.I)
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][\w+-]+")
NUMBER_TOKEN = re.compile(
    r"\d[\d,.]*|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|hundreds?|"
    r"thousands?|millions?|billions?|trillions?|dozens?|half)\b", re.I)
DATE_TOKEN = re.compile(
    r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|"
    r"november|december)\b", re.I)


def expected_type(question: str) -> str | None:
    if _DATE_Q.search(question):
        return "date"
    if _NUMBER_Q.search(question):
        return "number"
    if _NAME_Q.search(question):
        return "name"
    return None


def type_match(kind: str | None, sentence: str, query_terms: tuple[str, ...] = ()) -> float:
    """1 when the sentence holds the kind of answer asked for (or none is asked), else 0.

    A name answer needs a capitalised word the question does not already contain.
    """
    return units_match(kind, answer_units(kind, sentence), query_terms)


def answer_units(kind: str | None, sentence: str) -> tuple[frozenset[str], ...]:
    """The token sets of the sentence's possible answers of this kind (names, numbers, dates);
    they depend only on the sentence, so the Answerer caches them per sentence row."""
    if kind == "name":
        return tuple(frozenset(tokenize(w)) for w in _CAPITALISED.findall(sentence))
    pattern = DATE_TOKEN if kind == "date" else NUMBER_TOKEN if kind == "number" else None
    if pattern is None:
        return ()
    return tuple(frozenset(tokenize(m.group(0))) for m in pattern.finditer(sentence))


def units_match(kind: str | None, units: tuple[frozenset[str], ...], query_terms: tuple[str, ...]) -> float:
    asked = set(query_terms)
    if kind == "name":
        return 1.0 if any(u - asked for u in units) else 0.0
    if kind not in ("date", "number"):
        return 1.0
    # A number or date only counts when it is not one the question already gave.
    return 1.0 if any(not u & asked for u in units) else 0.0
