"""Pick the answer sentence among the top passages, build citations, decide to abstain."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from qa.retrieve import Hit, Query
from qa.text import tokenize
from qa.types import Answer, Citation

# Tuned on tests/data/dev_questions.jsonl with `qa eval` (see README "Quality"); the held-out
# set tests/data/heldout_questions.jsonl is only measured, never tuned on.
ANSWER_PASSAGES = 4  # sentences are drawn from this many top passages
SENTENCE_WEIGHTS = {"cos": 1.0, "coverage": 0.6, "passage": 0.6, "type": 0.3, "short": -0.5}
CONFIDENCE_WEIGHTS = {"cos": 4.0, "coverage": 5.0, "context": 2.0, "type": 1.5, "bias": -6.0}
ABSTAIN_BELOW = 0.5
MIN_ANSWER_WORDS = 6

_NUMBER_Q = re.compile(r"\b(how (many|much|big|large|long|fast|far)|number of|percentage|what share|what proportion|how many)\b", re.I)
_DATE_Q = re.compile(r"\b(when|what year|which year|what date|since when|what month|in which year)\b", re.I)
_HAS_NUMBER = re.compile(r"\d")
_HAS_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|"
    r"november|december)\b", re.I)


def expected_type(question: str) -> str | None:
    if _DATE_Q.search(question):
        return "date"
    if _NUMBER_Q.search(question):
        return "number"
    return None


def type_match(kind: str | None, sentence: str) -> float:
    """1 when the sentence holds the kind of answer asked for (or none is asked), else 0."""
    if kind == "date":
        return 1.0 if _HAS_DATE.search(sentence) else 0.0
    if kind == "number":
        return 1.0 if _HAS_NUMBER.search(sentence) else 0.0
    return 1.0


@dataclass(frozen=True)
class Candidate:
    sent_row: int
    hit_rank: int  # rank of the best passage holding the sentence
    text: str
    features: dict


class Answerer:
    def __init__(self, store, retriever):
        self.store = store
        self.retriever = retriever

    def coverage(self, query: Query, tokens: set[str]) -> float:
        """Share of the question's idf mass whose terms appear in `tokens`."""
        if not query.terms:
            return 0.0
        total = hit = 0.0
        for t in set(query.terms):
            w = self.retriever.idf_of(t)
            total += w
            if t in tokens:
                hit += w
        return hit / total if total else 0.0

    def candidates(self, query: Query, qvec: np.ndarray, hits: list[Hit]) -> list[Candidate]:
        store = self.store
        kind = expected_type(query.text)
        seen: dict[int, Candidate] = {}
        top = hits[:ANSWER_PASSAGES]
        best_score = top[0].score if top else 1.0
        for rank, hit in enumerate(top):
            row = store.chunk_rows[hit.row]
            chunk_text = store.chunk_text(hit.row)
            context = set(tokenize(chunk_text))
            lo, hi = int(row["sent_lo"]), int(row["sent_hi"])
            sims = store.sentence_vectors[lo:hi] @ qvec
            for s_row, sim in zip(range(lo, hi), sims):
                if s_row in seen:
                    continue
                _, a, b = store.sentences[s_row]
                text = chunk_text[int(a) - int(row["start"]): int(b) - int(row["start"])]
                feats = {
                    "cos": float(sim),
                    "coverage": self.coverage(query, set(tokenize(text))),
                    "context": self.coverage(query, context),
                    "passage": hit.score / best_score if best_score > 0 else 0.0,
                    "type": type_match(kind, text),
                    "short": 1.0 if len(text.split()) < MIN_ANSWER_WORDS else 0.0,
                }
                seen[s_row] = Candidate(s_row, rank, text, feats)
        return list(seen.values())

    def answer(self, question: str, query: Query, qvec: np.ndarray, hits: list[Hit], k: int) -> Answer:
        cands = self.candidates(query, qvec, hits)
        if not cands:
            return Answer(question=question, answer=None, abstained=True, confidence=0.0, citations=())
        best = max(cands, key=lambda c: sentence_score(c.features))
        conf = confidence(best.features)
        abstained = conf < ABSTAIN_BELOW
        citations = self.citations(hits, k, None if abstained else best)
        return Answer(
            question=question,
            answer=None if abstained else best.text,
            abstained=abstained,
            confidence=round(conf, 4),
            citations=tuple(citations),
        )

    def citations(self, hits: list[Hit], k: int, best: Candidate | None) -> list[Citation]:
        """Top passages, no two overlapping; the passage holding the answer comes first."""
        store = self.store
        ordered = list(hits)
        if best is not None:
            ordered.insert(0, ordered.pop(best.hit_rank))
        chosen: list[Citation] = []
        taken: list[tuple[int, int, int]] = []
        for hit in ordered:
            if len(chosen) == k:
                break
            row = store.chunk_rows[hit.row]
            doc, start, end = int(row["doc"]), int(row["start"]), int(row["end"])
            if any(d == doc and start < e and s < end for d, s, e in taken):
                continue
            taken.append((doc, start, end))
            chunk = store.chunk(hit.row)
            meta = store.documents[chunk.doc_id]
            a_start = a_end = None
            if best is not None and not chosen:
                _, sa, sb = store.sentences[best.sent_row]
                a_start, a_end = int(sa) - start, int(sb) - start
            chosen.append(Citation(
                n=len(chosen) + 1, doc_id=chunk.doc_id, title=meta.title, text=chunk.text,
                start=start, end=end, page=chunk.page, score=round(hit.score, 4),
                answer_start=a_start, answer_end=a_end, publisher=meta.publisher,
                date=meta.date, url=meta.url, chunk_id=chunk.chunk_id,
            ))
        return chosen


def sentence_score(f: dict) -> float:
    return sum(w * f[name] for name, w in SENTENCE_WEIGHTS.items())


def confidence(f: dict) -> float:
    w = CONFIDENCE_WEIGHTS
    z = w["cos"] * f["cos"] + w["coverage"] * f["coverage"] + w["context"] * f["context"] \
        + w["type"] * f["type"] + w["bias"]
    return 1.0 / (1.0 + math.exp(-z))
