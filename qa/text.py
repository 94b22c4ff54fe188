"""Word tokens (for BM25 and term coverage) and sentence spans (for chunks and answers)."""
from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path


def _bm25s_stopwords() -> tuple[str, ...]:
    """bm25s's STOPWORDS_EN_PLUS, read from its module file alone.

    `import bm25s.stopwords` would first run bm25s/__init__, which imports scipy and tqdm:
    ~0.3 s of every query process's start, for a list of words.
    """
    spec = importlib.util.find_spec("bm25s")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("bm25s is not installed (pip install bm25s)")
    path = Path(next(iter(spec.submodule_search_locations))) / "stopwords.py"
    module_spec = importlib.util.spec_from_file_location("qa._bm25s_stopwords", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.STOPWORDS_EN_PLUS


STOPWORDS_EN_PLUS = _bm25s_stopwords()
# "ma" is an English contraction stopword in the list, but here it is a surname (Jack Ma, Pony Ma).
# The extra words are question scaffolding that says nothing about which passage answers.
STOPWORDS = (frozenset(STOPWORDS_EN_PLUS) - {"ma"}) | {
    "many", "much", "tell", "please", "know", "would", "could", "also", "us", "according",
    "get", "got", "give", "name", "named", "called", "one", "ones", "kind", "sort", "type",
    "whose", "list", "describe", "explain", "say", "said", "says", "mean", "means",
}

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# "COVID19" -> "covid 19", but "5G", "H1" and "MP3" stay whole.
_LETTERS_THEN_DIGITS = re.compile(r"(?<=[^\W\d_]{3})(?=\d)")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def words(text: str, keep_case: bool = False) -> list[str]:
    """Lower-cased word tokens; "5,712" stays one token so numbers can match."""
    text = _THOUSANDS.sub("", (text if keep_case else text.lower()).replace("’", "'"))
    return _WORD.findall(_LETTERS_THEN_DIGITS.sub(" ", text))


def tokenize(text: str) -> list[str]:
    """Stemmed content tokens: the terms BM25 indexes and coverage counts."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


# --- sentences --------------------------------------------------------------------------

# Abbreviations whose final period does not end a sentence.
_ABBREV = {
    "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "inc", "ltd", "co", "corp",
    "no", "st", "jr", "sr", "u.s", "u.k", "u.n", "e.u", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "fig", "al", "cf", "p", "pp",
}
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+)")
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]*[A-Z0-9]")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in text[start:end].

    Line breaks always end a sentence (headings, list items); inside a line a period ends
    one when the next word starts with a capital or digit and the word before it is not a
    known abbreviation or a single initial. A sentence longer than MAX_SENTENCE_WORDS is cut
    into pieces (see _capped).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start = start + line.start()
        line_text = line.group()
        pos = 0
        for m in _BOUNDARY.finditer(line_text):
            if not _NEXT_START.match(line_text, m.end()):
                continue
            word = re.search(r"(\S+?)[.!?…]+[\"'”’)\]]*$", line_text[pos : m.end()])
            if word:
                token = word.group(1).lower().lstrip("(\"'“‘")
                if token in _ABBREV or (len(token) == 1 and token.isalpha()):
                    continue
            _add_span(spans, line_text, line_start, pos, m.end())
            pos = m.end()
        _add_span(spans, line_text, line_start, pos, len(line_text))
    return spans


def _add_span(spans: list[tuple[int, int]], line: str, offset: int, a: int, b: int) -> None:
    piece = line[a:b]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    spans.extend((offset + s, offset + e) for s, e in _capped(line, a + lead, a + lead + len(stripped)))


# A sentence is what an answer quotes, so a line without sentence punctuation (a table dump,
# a run-on list) must not become one 2,000-word "sentence". 80 words is the chunk budget
# (ChunkSettings.max_words), so a piece always fits in one passage, and it is above the
# longest real sentence of the seed corpus (75 words), whose sentences stay as they were.
MAX_SENTENCE_WORDS = 80
_WORD_SPAN = re.compile(r"\S+")
# How good a place the end of a word is to cut a long sentence: after ";", then after ":" or
# before a dash, then after ",".
_CUT_AFTER = {";": 3, ":": 2, ",": 1}
_DASHES = {"-", "–", "—", "|"}


def _capped(line: str, a: int, b: int) -> list[tuple[int, int]]:
    """line[a:b] as pieces of at most MAX_SENTENCE_WORDS words, cut between words.

    Pieces are balanced (ceil(n / MAX) of them, near-equal in size) and each cut moves to
    the best separator within half a piece before the balanced point.
    """
    tokens = [(a + m.start(), a + m.end()) for m in _WORD_SPAN.finditer(line[a:b])]
    pieces = []
    first = 0
    while len(tokens) - first > MAX_SENTENCE_WORDS:
        left = len(tokens) - first
        size = -(-left // -(-left // MAX_SENTENCE_WORDS))  # balanced piece size, <= MAX
        best, best_rank = first + size, 0
        for k in range(first + size, first + size // 2, -1):  # a piece is tokens[first:k]
            rank = _cut_rank(line, tokens[k - 1], tokens[k])
            if rank > best_rank:
                best, best_rank = k, rank
        pieces.append((tokens[first][0], tokens[best - 1][1]))
        first = best
    pieces.append((tokens[first][0], b))
    return pieces


def _cut_rank(line: str, word: tuple[int, int], next_word: tuple[int, int]) -> int:
    if line[next_word[0]:next_word[1]] in _DASHES:
        return 2
    return _CUT_AFTER.get(line[word[1] - 1], 0)
