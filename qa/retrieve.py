"""Hybrid retrieval: FAISS (dense) and BM25 candidates, fused by a normalised score blend."""
from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from qa.answer_types import QUANTITY_NOUN, ROLE_NOUN, ROLE_VERB, expected_type
from qa.english import is_english, spelling
from qa.places import named_cities
from qa.text import STOPWORDS, stem, tokenize, words

Fusion = Literal["blend", "rrf"]
_COUNTED = re.compile(r"\b(?:how many|number of|count of)\s+((?:[\w&+-]+\s*){1,4})", re.I)

# Measured on tests/data/dev_questions.jsonl (qa eval): see README "Quality".
DENSE_WEIGHT = 0.4
RRF_K = 60
CANDIDATES = 30
MAX_LONGER = 3  # corpus terms a question term it never uses may stand for


@dataclass(frozen=True)
class Hit:
    row: int  # chunk row in the store
    score: float  # fused, 0..1
    dense: float  # cosine similarity of question and chunk
    lexical: float  # BM25 score normalised by the best candidate's


@dataclass(frozen=True)
class Query:
    text: str  # the question as asked
    terms: tuple[str, ...]  # stemmed content tokens (aliases expanded), typos mapped onto the vocabulary
    # Terms an answer cannot paraphrase away: numbers and names the corpus writes capitalised.
    # A passage (with its document's title) missing one is about something else.
    anchors: tuple[str, ...] = ()
    # The question's own terms that are not anchors: what it asks about the named things.
    focus: tuple[str, ...] = ()
    counted: tuple[str, ...] = ()  # "how many AI patents" -> ("ai", "patent")
    # A term the corpus never uses, with the corpus terms that start with it: "overse"
    # ("oversees") -> ("overseen",), which the stemmer leaves apart.
    longer: tuple[tuple[str, frozenset[str]], ...] = ()


class Retriever:
    def __init__(self, store, fusion: Fusion = "blend", dense_weight: float = DENSE_WEIGHT):
        if fusion not in ("blend", "rrf"):
            raise ValueError(f"fusion must be 'blend' or 'rrf', got {fusion!r}")
        if not 0.0 <= dense_weight <= 1.0:
            raise ValueError(f"dense_weight must be in [0, 1], got {dense_weight!r}")
        self.store = store
        self.fusion = fusion
        self.dense_weight = dense_weight
        bm25 = store.bm25
        self.vocab: dict[str, int] = bm25.vocab_dict
        indptr = np.asarray(bm25.scores["indptr"])
        doc_freq = np.diff(indptr)
        n = max(store.n_chunks, 1)
        # BM25's idf; a term missing from the corpus gets the idf of a term seen once.
        self.idf = np.log1p((n - doc_freq + 0.5) / (doc_freq + 0.5)).astype(np.float32)
        self.max_idf = float(math.log1p((n - 1 + 0.5) / 1.5)) if n > 1 else 1.0
        self._fuzzy_vocab = [w for w in self.vocab if len(w) >= 4 and not w.isdigit()]
        self._vocab_prefixes = frozenset(w[:k] for w in self._fuzzy_vocab for k in (3, 4, 5))
        self._sorted_vocab: list[str] | None = None  # made on first use
        from qa.aliases import alias_terms

        self.alias_words = frozenset(alias_terms())

    def parse(self, question: str, expanded: str | None = None) -> Query:
        spelled = self._respelled(expanded or question)
        terms = tuple(dict.fromkeys([*(self._correct(spelled.get(t, t)) for t in tokenize(expanded or question)),
                                     *self._agent_nouns(question)]))
        own = [self._correct(spelled.get(t, t)) for t in tokenize(question)]
        # Names the asker gives of themselves ("As a manager at a firm in Rotterdam I'd like to
        # know: ...") say who asks, not what about: no passage need hold them.
        asked = asked_part(question)
        anchors = tuple(dict.fromkeys([*(t for t in own if t.isdigit() or t in self.store.names),
                                       *self._question_names(asked),
                                       *(t for c in named_cities(asked) for t in tokenize(c))]))
        # An alias ("weixin") is matched through the names it expands to, not as a word.
        focus = tuple(dict.fromkeys(t for t in own if t not in anchors and t not in self.alias_words))
        # A longer form the question already asks for ("founder" beside "found") is not counted twice.
        longer = tuple((t, found) for t in terms if (found := self._longer_forms(t)) and found.isdisjoint(terms))
        return Query(question, terms, anchors, focus, counted=self._counted(question), longer=longer)

    def _longer_forms(self, term: str) -> frozenset[str]:
        """Corpus terms that start with a term of 5 letters or more the corpus never uses."""
        if term in self.vocab or len(term) < 5 or term.isdigit():
            return frozenset()
        if self._sorted_vocab is None:
            self._sorted_vocab = sorted(self._fuzzy_vocab)
        i = bisect.bisect_left(self._sorted_vocab, term)
        found = []
        while i < len(self._sorted_vocab) and self._sorted_vocab[i].startswith(term) and len(found) < MAX_LONGER:
            found.append(self._sorted_vocab[i])
            i += 1
        return frozenset(found)

    def _agent_nouns(self, question: str) -> list[str]:
        """The corpus's noun for a role asked by its verb: "who founded Tencent" asks for
        Tencent's founder, and a passage naming "the founders of ..." should be found."""
        m = ROLE_VERB.search(question)
        if m is None or expected_type(question) != "name":  # not "what year was Baidu founded"
            return []
        verb = stem(re.sub(r"^co-?", "", next(g for g in m.groups() if g).lower()))
        return [t for t in (verb + "er", verb + "man", verb + "or") if t in self.vocab]

    def _question_names(self, question: str) -> list[str]:
        """Names in the question beyond the corpus's own rare ones, each as its term:
        - a capitalised word inside the question that the corpus never uses in any form
          ("Samsung" in "How many AI patents had Samsung filed?"): no passage can hold what it names;
        - an acronym the corpus does use ("IBM", "ICT"), too common a word ("ibm") to be among
          the corpus's rare names.
        - an acronym the corpus neither uses nor spells out, nor an ordinary word ("SMIC", "DJI";
          see qa.acronyms).
        An acronym the corpus spells out ("NLP" for "natural language processing") or that is
        an ordinary word ("CEO"), and a word that starts a corpus word ("Oct", "Europe") are
        left out: the corpus may write them another way."""
        unknown, acronyms = [], []
        for i, w in enumerate(words(question, keep_case=True)):
            acronym = len(w) >= 2 and w.isupper() and w.isalpha()
            if not acronym and (i == 0 or not w[0].isupper() or w.isupper() or any(c.isdigit() for c in w)):
                continue
            t = self._correct(stem(w.lower()))
            if t in self.alias_words:
                continue
            if acronym:
                if t in self.vocab:
                    acronyms.append(t)
                elif self.store.initials is not None and w not in self.store.initials and t not in STOPWORDS:
                    unknown.append(t)
            elif not self._corpus_knows(t) and t not in STOPWORDS:
                unknown.append(t)
        return unknown + acronyms + [t for t in self._foreign_words(question) if t not in unknown]

    def _foreign_words(self, question: str) -> list[str]:
        """Words in any case that neither the corpus nor English knows, nor are a slip of
        either: "pinduoduo", "kuaishou", "iflytek" name what no passage is about."""
        found = []
        for w in _plain_words(question, shortest=4):
            t = self._correct(stem(w))
            if not self._corpus_knows(t) and t not in self.alias_words and not is_english(w):
                found.append(t)
        return found

    def _corpus_knows(self, term: str) -> bool:
        """A corpus term, or one a corpus term starts like ("Oct" for "October", "Europe" for
        "European"): the corpus may write it another way."""
        return term in self.vocab or term[:5] in self._vocab_prefixes

    def _counted(self, question: str) -> tuple[str, ...]:
        """What the asked number or name is of: the next two content words but names of "how many ..." /
        "number of ...", else a quantity noun ("revenue", "employees count" -> "employees"),
        else a role ("CEO", "founded")."""
        m = _COUNTED.search(question)
        if m:
            # "How many stores does Huawei operate": stores, not Huawei, are counted.
            terms = [self._correct(t) for t in tokenize(m.group(1))]
            return tuple([t for t in terms if t not in self.store.names and t not in self.alias_words][:2])
        m = QUANTITY_NOUN.search(question)
        if m:
            return tuple(self._correct(t) for t in tokenize(m.group(1) or m.group(2)))
        m = ROLE_NOUN.search(question) or ROLE_VERB.search(question)
        if m:
            return tuple(tokenize(next(g for g in m.groups() if g)))
        return ()

    def idf_of(self, term: str) -> float:
        i = self.vocab.get(term)
        return self.max_idf if i is None else float(self.idf[i])

    def _respelled(self, text: str) -> dict[str, str]:
        """Stems of misspelt English words mapped onto the stems of their spelling, when the
        corpus uses that word: "originaly" stems to "originali", which no edit of a stem reaches,
        while "originally" stems to the corpus's "origin"."""
        found = {}
        for w in _plain_words(text, shortest=5):
            t = stem(w)
            if t in self.vocab:
                continue
            right = spelling(w)
            if right is not None and stem(right) in self.vocab:
                found[t] = stem(right)
        return found

    def _correct(self, term: str) -> str:
        """Map an out-of-vocabulary word onto a close vocabulary word (typos: "alibabba")."""
        if term in self.vocab or len(term) < 5 or any(ch.isdigit() for ch in term):
            return term
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        # OSA counts a swap of two letters ("tencnet") as one edit.
        limit = 1 if len(term) < 8 else 2
        found = process.extract(term, self._fuzzy_vocab, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not found:
            return term
        # Among equally close words the more common one, then the first alphabetically: the
        # vocabulary's order differs between builds of the same corpus, the choice must not.
        closest = min(d for _, d, _ in found)
        return min((w for w, d, _ in found if d == closest), key=lambda w: (self.idf_of(w), w))

    def search_many(self, queries: list[Query], qvecs: np.ndarray, doc_ids: list[str] | None = None,
                    n: int = CANDIDATES) -> list[list[Hit]]:
        store = self.store
        total = store.n_chunks
        if total == 0:
            return [[] for _ in queries]
        allowed = self._allowed_rows(doc_ids)
        n = min(n, total if allowed is None else len(allowed))
        if n == 0:
            return [[] for _ in queries]
        dense_ids = self._dense_search(qvecs, n, allowed)
        mask = None
        if allowed is not None:
            mask = np.zeros(total, dtype=np.float32)
            mask[allowed] = 1.0
        results = []
        for qi, query in enumerate(queries):
            terms = [t for t in query.terms if t in self.vocab]
            lex = store.bm25.get_scores(terms, weight_mask=mask) if terms else np.zeros(total, np.float32)
            lex_top = _top(lex, n)
            lex_top = lex_top[lex[lex_top] > 0]
            cand = np.unique(np.concatenate([dense_ids[qi][dense_ids[qi] >= 0], lex_top]))
            dense = store.chunk_vectors[cand] @ qvecs[qi]
            results.append(self._fuse(cand, dense, lex[cand], dense_ids[qi], lex_top))
        return results

    def _fuse(self, cand, dense, lex, dense_rank_ids, lex_rank_ids) -> list[Hit]:
        lex_max = float(lex.max()) if len(lex) else 0.0
        lex_norm = lex / lex_max if lex_max > 0 else np.zeros_like(lex)
        if self.fusion == "blend":
            lo, hi = float(dense.min()), float(dense.max())
            dense_norm = (dense - lo) / (hi - lo) if hi > lo else np.ones_like(dense)
            fused = self.dense_weight * dense_norm + (1 - self.dense_weight) * lex_norm
        else:
            d_rank = {int(r): i for i, r in enumerate(dense_rank_ids) if r >= 0}
            l_rank = {int(r): i for i, r in enumerate(lex_rank_ids)}
            fused = np.array([
                sum(1.0 / (RRF_K + 1 + ranks[c]) for ranks in (d_rank, l_rank) if c in ranks)
                for c in cand.tolist()
            ])
            fused = fused / (2.0 / (RRF_K + 1))
        order = np.argsort(-fused, kind="stable")
        # Python numbers in one go: per-element int()/float() on numpy scalars cost ~0.1 ms a question.
        rows, fused, dense, lex_norm = (a[order].tolist() for a in (cand, fused, dense, lex_norm))
        return [Hit(*h) for h in zip(rows, fused, dense, lex_norm)]

    def _allowed_rows(self, doc_ids: list[str] | None) -> np.ndarray | None:
        if not doc_ids:
            return None
        store = self.store
        rows = []
        for d in doc_ids:
            i = store.doc_ids.index(d)
            lo, hi = store.doc_chunk_range(i)
            rows.append(np.arange(lo, hi))
        return np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)

    def _dense_search(self, qvecs: np.ndarray, n: int, allowed: np.ndarray | None) -> np.ndarray:
        import faiss

        index = self.store.faiss_index
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            if isinstance(index, faiss.IndexHNSW):
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(128, n))
            else:
                params = faiss.SearchParameters(sel=selector)
        from qa.embed import use_faiss_threads

        use_faiss_threads()  # here, not once at start: see qa.embed.use_encode_threads
        _, ids = index.search(np.ascontiguousarray(qvecs, dtype=np.float32), n, params=params)
        return ids


_CLAUSE = re.compile(r"([,:;?!—–]|\s-\s)")
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i’m|im|me|my|we|we're|we’re|our|us)\b", re.I)


def asked_part(question: str) -> str:
    """The question without the clauses in which the asker speaks of themselves."""
    parts = _CLAUSE.split(question)
    return "".join(p for i, p in enumerate(parts) if i % 2 or not _FIRST_PERSON.search(p))


def _plain_words(text: str, shortest: int) -> Iterator[str]:
    """The text's lowercase ASCII words of `shortest` letters or more that are no stopwords:
    those an English word list can judge."""
    return (w for w in words(text) if len(w) >= shortest and w.isalpha() and w.isascii() and w not in STOPWORDS)


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    if n >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, n)[:n]
    return part[np.argsort(-scores[part], kind="stable")]
