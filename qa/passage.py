"""What the answer stage reads of a question (idf weights) and of a chunk (a cached Passage)."""
from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field

import numpy as np

from qa.retrieve import Query


class QueryWeights:
    """A question's term and anchor idf weights, looked up once per question rather than once
    per sentence. Term order is that of `set(query.terms)`, as the sums have always used."""

    def __init__(self, query: Query, idf_of):
        self.query = query
        self.pairs = tuple((t, idf_of(t)) for t in set(query.terms))
        self.total = 0.0
        for _, w in self.pairs:
            self.total += w
        self.anchor_idf = tuple(idf_of(t) for t in query.anchors)
        self.longer = dict(query.longer)

    def coverage(self, tokens: Set[str]) -> float:
        """Share of the question's idf mass whose terms (or a longer corpus form of a term the
        corpus never uses: "oversees" is "overseen") appear in `tokens`."""
        if not self.pairs:
            return 0.0
        hit = 0.0
        longer = self.longer
        for t, w in self.pairs:
            if t in tokens or (longer and t in longer and not longer[t].isdisjoint(tokens)):
                hit += w
        return hit / self.total if self.total else 0.0

    def anchors(self, tokens: Set[str], prefixes: Set[str] | None = None) -> tuple[float, float]:
        """(share of the anchor idf mass found in `tokens`, 1 if every anchor is found); (1, 1)
        when the question has no anchors.

        Names match on a 4-letter prefix so "Chinese" finds "China" and "European" "Europe";
        numbers must match exactly.
        """
        anchors = self.query.anchors
        if not anchors:
            return 1.0, 1.0
        if prefixes is None:
            prefixes = anchor_prefixes(tokens)
        found = [t in tokens or (not t.isdigit() and len(t) >= 4 and t[:4] in prefixes) for t in anchors]
        total = sum(self.anchor_idf)
        hit = sum(w for w, ok in zip(self.anchor_idf, found) if ok)
        return (hit / total if total else 1.0), (1.0 if all(found) else 0.0)


def anchor_prefixes(tokens: Set[str]) -> set[str]:
    return {t[:4] for t in tokens if len(t) >= 4 and not t.isdigit()}


@dataclass(frozen=True)
class Passage:
    """What the answer stage reads of one chunk, built once per chunk row and cached: its
    sentences' texts, token sets and vectors do not depend on the question."""

    row: int
    start: int
    sent_lo: int
    context: frozenset[str]  # the chunk's tokens
    anchor_context: frozenset[str]  # ... plus its document's title and publisher, and aliases
    anchor_prefixes: frozenset[str]
    texts: tuple[str, ...]
    tokens: tuple[frozenset[str], ...]
    window_tokens: tuple[frozenset[str], ...]  # each sentence's tokens with the one before's
    short: tuple[float, ...]
    heading: tuple[float, ...]
    echo: tuple[float, ...]  # the share of each sentence's terms its document's title holds
    title: frozenset[str]  # its document's title terms
    vecs: np.ndarray
    windows: np.ndarray  # each sentence vector plus the one before it in the chunk
    window_norms: np.ndarray
    years: tuple[frozenset[str], ...]  # the years named by each sentence and those before it
    ordinals: tuple[frozenset[int], ...]  # "first", "3rd": the occurrences each sentence names
    months: tuple[frozenset[str], ...]  # the months each sentence names (else those before it)
    units: dict = field(default_factory=dict)  # answer kind -> answer_units of each sentence
