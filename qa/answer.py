"""Pick the answer sentence among the top passages, build citations, decide to abstain."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from qa.retrieve import Hit, Query
from qa.text import stem, tokenize, words
from qa.types import Answer, Citation

# Tuned on tests/data/dev_questions.jsonl with `qa eval` (see README "Quality"); the held-out
# set tests/data/heldout_questions.jsonl is only measured, never tuned on.
ANSWER_PASSAGES = 4  # sentences are drawn from this many top passages
SENTENCE_WEIGHTS = {
    "cos": 1.0, "coverage": 0.3, "coverage_window": 1.0, "passage": 0.6, "type": 0.3, "short": -0.5,
}
# A class-balanced logistic regression of "answerable" on the chosen sentence's features,
# fitted on the dev set by benchmarks/tune.py; below ABSTAIN_BELOW the answer is withheld.
CONFIDENCE_WEIGHTS = {
    "cos": 1.11, "cos_window": 3.14, "coverage": 0.03, "coverage_window": 0.53, "context": 1.66,
    "missing": 0.17, "dense": 3.09, "type": 1.39, "anchors": 0.9, "all_anchors": 2.62, "slot": 2.05,
    "sent_margin": -0.6, "hit_margin": -1.41,
}
CONFIDENCE_BIAS = -11.14
# The highest line at which at most 2 % of the dev set's answerable questions are withheld,
# read off out-of-fold confidences (10-fold, benchmarks/tune.py); in-sample figures
# flatter the dev set, and new questions are refused more often than dev questions.
ABSTAIN_BELOW = 0.19
MIN_ANSWER_WORDS = 6
SLOT_WINDOW = 6  # words either side of a number that may name what it counts

_NUMBER_Q = re.compile(r"\b(how (many|much|big|large|long|fast|far)|number of|percentage|what share|what proportion|how many)\b", re.I)
_DATE_Q = re.compile(r"\b(when|what year|which year|what date|since when|what month|in which year)\b", re.I)
_NAME_Q = re.compile(
    r"^\s*(who|whom|whose)\b|\bwhich (company|firm|start-?up|person|entrepreneur|city|cities|country|"
    r"countries|university|brand|app|platform|product)\b|\b(called|named)\s*\??\s*$|\bname of\b|\bwho\b", re.I)
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][\w+-]+")
_HAS_NUMBER_TOKEN = re.compile(
    r"\d[\d,.]*|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|hundreds?|"
    r"thousands?|millions?|billions?|trillions?|dozens?|half)\b", re.I)
_HAS_DATE = re.compile(
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
    if kind == "name":
        asked = set(query_terms)
        return 1.0 if any(set(tokenize(w)) - asked for w in _CAPITALISED.findall(sentence)) else 0.0
    # A number or date only counts when it is not one the question already gave.
    asked = set(query_terms)
    pattern = _HAS_DATE if kind == "date" else _HAS_NUMBER_TOKEN if kind == "number" else None
    if pattern is None:
        return 1.0
    return 1.0 if any(not set(tokenize(m.group(0))) & asked for m in pattern.finditer(sentence)) else 0.0


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
        self._doc_term_cache: dict[str, set[str]] = {}
        self._token_cache: dict[tuple[str, int], frozenset[str]] = {}
        from qa.aliases import alias_terms, spelled_out

        self._alias_terms = alias_terms()
        self._spelled_out = spelled_out()
        self._word_cache: dict[int, tuple[list[str], list[str]]] = {}

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

    def _tokens(self, key: tuple[str, int], text: str) -> frozenset[str]:
        """Token sets of chunks and sentences, computed once per row (bounded cache)."""
        found = self._token_cache.get(key)
        if found is None:
            if len(self._token_cache) > 200_000:
                self._token_cache.clear()
            found = self._token_cache[key] = frozenset(tokenize(text))
        return found

    def _doc_terms(self, doc) -> set[str]:
        terms = self._doc_term_cache.get(doc.doc_id)
        if terms is None:
            terms = self._doc_term_cache[doc.doc_id] = set(tokenize(f"{doc.title} {doc.publisher}"))
        return terms

    def _with_aliases(self, tokens: set[str]) -> set[str]:
        extra = set()
        for t in tokens & self._alias_terms.keys():
            extra |= self._alias_terms[t]
        for name, alias in self._spelled_out:
            if name <= tokens:
                extra |= alias
        return tokens | extra

    def _words(self, s_row: int, text: str) -> tuple[list[str], list[str]]:
        """A sentence's words and their stems, in order (computed once per row, bounded cache)."""
        found = self._word_cache.get(s_row)
        if found is None:
            if len(self._word_cache) > 100_000:
                self._word_cache.clear()
            ws = words(text)
            found = self._word_cache[s_row] = (ws, [stem(w) for w in ws])
        return found

    def slot(self, query: Query, kind: str | None, s_row: int, text: str) -> float:
        """For "how many"/"when" questions: does a new number or date stand near what is asked?

        The share of the question's focus idf found within SLOT_WINDOW words of the best such
        number: "5,712 patents" answers "how many patents"; "100 industry partners" does not
        answer "how many vehicles". 1 when the question asks for no number or date.
        """
        terms = query.counted if kind == "number" and query.counted else query.focus
        if kind not in ("number", "date") or not terms:
            return 1.0
        ws, stems = self._words(s_row, text)
        asked = set(query.terms)
        pattern = _HAS_DATE if kind == "date" else _HAS_NUMBER_TOKEN
        best = 0.0
        for i, w in enumerate(ws):
            if stems[i] in asked or not (pattern.fullmatch(w) or (kind == "number" and w[0].isdigit())):
                continue
            near = stems[max(0, i - SLOT_WINDOW): i + SLOT_WINDOW + 1]
            best = max(best, self.prefix_coverage(terms, near))
        return best

    def prefix_coverage(self, terms: tuple[str, ...], stems: list[str]) -> float:
        """Idf share of `terms` in `stems`, a 5-letter prefix counting ("founder" finds "found")."""
        have = set(stems)
        prefixes = {t[:5] for t in have if len(t) >= 5}
        total = hit = 0.0
        for t in terms:
            w = self.retriever.idf_of(t)
            total += w
            if t in have or (len(t) >= 5 and not t.isdigit() and t[:5] in prefixes):
                hit += w
        return hit / total if total else 1.0

    def anchors_present(self, query: Query, tokens: set[str], strict: bool = False) -> float:
        """Share of the question's anchor idf mass (numbers, names) found in `tokens`; 1 if none.

        Names match on a 4-letter prefix so "Chinese" finds "China" and "European" "Europe";
        numbers must match exactly. With strict, 1 only when every anchor is found, else 0.
        """
        if not query.anchors:
            return 1.0
        prefixes = {t[:4] for t in tokens if len(t) >= 4 and not t.isdigit()}
        found = [t in tokens or (not t.isdigit() and len(t) >= 4 and t[:4] in prefixes) for t in query.anchors]
        if strict:
            return 1.0 if all(found) else 0.0
        total = sum(self.retriever.idf_of(t) for t in query.anchors)
        hit = sum(self.retriever.idf_of(t) for t, ok in zip(query.anchors, found) if ok)
        return hit / total if total else 1.0

    def missing(self, query: Query, tokens: set[str]) -> float:
        """The rarest question term absent from `tokens`, as a share of the largest idf (0..1)."""
        absent = [self.retriever.idf_of(t) for t in set(query.terms) if t not in tokens]
        return max(absent, default=0.0) / self.retriever.max_idf

    def candidates(self, query: Query, qvec: np.ndarray, hits: list[Hit]) -> list[Candidate]:
        store = self.store
        kind = expected_type(query.text)
        seen: dict[int, Candidate] = {}
        top = hits[:ANSWER_PASSAGES]
        best_score = top[0].score if top else 1.0
        for rank, hit in enumerate(top):
            row = store.chunk_rows[hit.row]
            chunk_text = store.chunk_text(hit.row)
            context = self._tokens(("chunk", hit.row), chunk_text)
            doc = store.documents[store.doc_ids[int(row["doc"])]]
            anchor_context = self._with_aliases(context | self._doc_terms(doc))
            # Features of the passage, the same for each of its sentences: computed once.
            passage_feats = {
                "context": self.coverage(query, context),
                "missing": self.missing(query, context),
                "dense": hit.dense,
                "passage": hit.score / best_score if best_score > 0 else 0.0,
                "anchors": self.anchors_present(query, anchor_context),
                "all_anchors": float(self.anchors_present(query, anchor_context, strict=True)),
            }
            lo, hi = int(row["sent_lo"]), int(row["sent_hi"])
            vecs = np.asarray(store.sentence_vectors[lo:hi])
            sims = vecs @ qvec
            # A sentence read with the one before it ("It has carried 100,000 passengers"
            # after "Baidu's Apollo ..."): the sum of the two vectors stands in for the pair.
            windows = vecs.copy()
            windows[1:] += vecs[:-1]
            window_sims = (windows @ qvec) / np.maximum(np.linalg.norm(windows, axis=1), 1e-9)
            texts = [chunk_text[int(a) - int(row["start"]): int(b) - int(row["start"])]
                     for _, a, b in store.sentences[lo:hi]]
            for i, s_row in enumerate(range(lo, hi)):
                if s_row in seen:
                    continue
                text = texts[i]
                tokens = self._tokens(("sentence", s_row), text)
                prev_tokens = self._tokens(("sentence", s_row - 1), texts[i - 1]) if i else frozenset()
                feats = {
                    "cos": float(sims[i]),
                    "cos_window": float(window_sims[i]),
                    "coverage": self.coverage(query, tokens),
                    "coverage_window": self.coverage(query, tokens | prev_tokens),
                    **passage_feats,
                    "type": type_match(kind, text, query.terms),
                    "slot": self.slot(query, kind, s_row, text),
                    "short": 1.0 if len(text.split()) < MIN_ANSWER_WORDS else 0.0,
                }
                seen[s_row] = Candidate(s_row, rank, text, feats)
        return list(seen.values())

    def answer(self, question: str, query: Query, qvec: np.ndarray, hits: list[Hit], k: int) -> Answer:
        cands = self.candidates(query, qvec, hits)
        if not cands:
            return Answer(question=question, answer=None, abstained=True, confidence=0.0, citations=())
        best = max(cands, key=lambda c: sentence_score(c.features))
        conf = confidence(decision_features(best, cands, hits))
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


def decision_features(best: Candidate, cands: list[Candidate], hits: list[Hit]) -> dict:
    """The chosen sentence's features plus how clearly it and its passage beat the rest.

    A real answer tends to stand out; a question the corpus cannot answer spreads its score
    over several half-matching sentences and passages.
    """
    scores = sorted((sentence_score(c.features) for c in cands), reverse=True)
    return {
        **best.features,
        "sent_margin": scores[0] - scores[1] if len(scores) > 1 else 1.0,
        "hit_margin": hits[0].score - hits[1].score if len(hits) > 1 else 1.0,
    }


def sentence_score(f: dict) -> float:
    return sum(w * f[name] for name, w in SENTENCE_WEIGHTS.items())


def confidence(f: dict) -> float:
    z = CONFIDENCE_BIAS + sum(w * f[name] for name, w in CONFIDENCE_WEIGHTS.items())
    return 1.0 / (1.0 + math.exp(-z))
