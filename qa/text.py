"""Word tokens (for BM25 and term coverage) and sentence spans (for chunks and answers)."""
from __future__ import annotations

import bisect
import importlib.util
import math
import re
import unicodedata
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

# Letters of scripts written without spaces between words: Han (with 々〆〇), kana (not the
# middle dot ・) and Hangul syllables.
CJK_LETTERS = ("\u3005-\u3007\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
               "\uf900-\ufaff\uac00-\ud7af\U00020000-\U0003134f")
# Their punctuation: the CJK symbols block and the full-width forms' punctuation.
CJK_PUNCT = "\u3000-\u3004\u3008-\u303f\u30fb\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
_CJK_LETTER = re.compile(f"[{CJK_LETTERS}]")
# Question scaffolding and particles, which say nothing about which passage answers (as
# STOPWORDS does for English): single characters only ever stand alone between other
# scripts or punctuation, so the list also holds the bigrams of question words.
CJK_STOPWORDS = frozenset(
    "的 了 和 与 及 或 是 在 吗 呢 吧 啊 谁 哪 么 几 "
    "什么 是谁 多少 哪个 哪些 哪里 哪儿 哪家 怎么 怎样 如何 为何 为什 请问".split())

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
# A run of CJK letters, or a run of other letters and digits ("[^\W_]+" as before).
_WORD = re.compile(f"([{CJK_LETTERS}]+)|[^\\W_{CJK_LETTERS}]+", re.UNICODE)
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
    """Lower-cased word tokens; "5,712" stays one token so numbers can match.

    Text is read in NFKC form, so full-width "２０２１" is the word "2021" (the text itself, which
    answers quote and offsets index, is never changed). A run of CJK letters, which has no
    spaces between its words, becomes its overlapping bigrams ("百度的创始人" -> "百度", "度的",
    "的创", "创始", "始人"), a one-letter run that letter: without a dictionary, the standard way
    (Lucene's CJKAnalyzer) to let two sentences share the words they share.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = _THOUSANDS.sub("", (text if keep_case else text.lower()).replace("’", "'"))
    out: list[str] = []
    for m in _WORD.finditer(_LETTERS_THEN_DIGITS.sub(" ", text)):
        run = m.group(1)
        if run is None:
            out.append(m.group())
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def is_cjk(word: str) -> bool:
    """Whether a word (of words()) is CJK: a bigram or single letter of a CJK run."""
    return _CJK_LETTER.match(word) is not None


def tokenize(text: str) -> list[str]:
    """Stemmed content tokens: the terms BM25 indexes and coverage counts."""
    out = []
    for w in words(text):
        if is_cjk(w):
            if w not in CJK_STOPWORDS:
                out.append(w)  # nothing to stem
        elif w not in STOPWORDS and (len(w) > 1 or w.isdigit()):
            out.append(stem(w))
    return out


def word_count(text: str) -> float:
    """How long text is, in English words: whitespace-separated words (as text.split()), with
    a CJK letter counted as CJK_WORD words and CJK punctuation as nothing."""
    # Rounded: a sum of 0.6s compares with a word budget as its exact value would.
    return round(sum(_unit_weight(m.group()) for m in _UNIT.finditer(text)), 6)


# A CJK letter counts as 0.6 of a word, for two reasons that agree: the same content takes
# ~1.5-1.8 Chinese characters per English word, so an 80-word passage of Chinese (133
# characters) says about as much as one of English; and the embedding model reads each
# Chinese character as one wordpiece (English averages ~1.3 a word), so the longest chunk a
# window allows (ChunkSettings' ceiling, 100 words = 167 letters, ~180 wordpieces with
# digits and punctuation) stays within its 256-wordpiece input. At 1.0 a Chinese passage
# would hold half the content of an English one; at 0.4 the longest (250 letters) would
# reach the model's limit and be cut off.
CJK_WORD = 0.6
# The units a length is made of, and where a long sentence may be cut: a CJK letter, or a run
# of anything else up to whitespace or a CJK letter (for text without CJK, text.split()'s
# words); CJK punctuation joins the unit before it, or stands alone at a line's start.
_UNIT = re.compile(f"(?:[{CJK_LETTERS}]|[^\\s{CJK_LETTERS}{CJK_PUNCT}]+)[{CJK_PUNCT}]*|[{CJK_PUNCT}]+")


_CJK_PUNCT_RUN = re.compile(f"[{CJK_PUNCT}]+")


def _unit_weight(unit: str) -> float:
    if _CJK_LETTER.match(unit):
        return CJK_WORD
    return 0.0 if _CJK_PUNCT_RUN.fullmatch(unit) else 1.0


# --- sentences --------------------------------------------------------------------------

# Abbreviations whose final period does not end a sentence.
_ABBREV = {
    "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "inc", "ltd", "co", "corp",
    "no", "st", "jr", "sr", "u.s", "u.k", "u.n", "e.u", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "fig", "al", "cf", "p", "pp",
}
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace.
# Or a CJK one, which needs no space after it: 。！？ (whatever follows: "in 2012。Its"), or
# . ! ? between CJK letters; semicolons ("；") join clauses in Chinese as in English.
_CJK_CLOSERS = "」』）】〕》〉"
_BOUNDARY = re.compile(
    f"(?P<cjk>[。！？｡][。！？｡!?]*[\"'”’)\\]{_CJK_CLOSERS}]*"
    f"|(?<=[{CJK_LETTERS}])[.!?]+[\"'”’)\\]{_CJK_CLOSERS}]*(?=[ \t]*[{CJK_LETTERS}]))"
    r"|[.!?…]+[\"'”’)\]]*(?=\s+)")
_NEXT_START = re.compile(f"\\s+[\"'“‘(\\[「『（]*[A-Z0-9{CJK_LETTERS}]")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in text[start:end].

    Line breaks always end a sentence (headings, list items); inside a line a period ends
    one when the next word starts with a capital, digit or CJK letter and the word before it
    is not a known abbreviation or a single initial; 。！？ always end one. A sentence longer
    than MAX_SENTENCE_WORDS (by word_count) is cut into pieces (see _capped).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start = start + line.start()
        line_text = line.group()
        pos = 0
        for m in _BOUNDARY.finditer(line_text):
            if m.group("cjk") is not None:
                _add_span(spans, line_text, line_start, pos, m.end())
                pos = m.end()
                continue
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
# How good a place the end of a word is to cut a long sentence: after ";", then after ":" or
# before a dash, then after "," (or their CJK forms, and the enumeration comma "、").
_CUT_AFTER = {";": 3, "；": 3, ":": 2, "：": 2, ",": 1, "，": 1, "、": 1}
_DASHES = {"-", "–", "—", "|"}
_EPSILON = 1e-6  # word counts are sums of 0.6s: compare them with a margin for rounding


def _capped(line: str, a: int, b: int) -> list[tuple[int, int]]:
    """line[a:b] as pieces of at most MAX_SENTENCE_WORDS words (word_count), cut between
    words (or between CJK letters).

    Pieces are balanced (ceil(n / MAX) of them, near-equal in size) and each cut moves to
    the best separator within half a piece before the balanced point.
    """
    tokens, ends = [], [0.0]  # ends[k]: the words in tokens[:k]
    for m in _UNIT.finditer(line, a, b):
        tokens.append((m.start(), m.end()))
        ends.append(ends[-1] + _unit_weight(m.group()))
    pieces = []
    first = 0
    while ends[-1] - ends[first] > MAX_SENTENCE_WORDS + _EPSILON:
        left = ends[-1] - ends[first]
        count = math.ceil(left / MAX_SENTENCE_WORDS - _EPSILON)
        size = math.ceil(left / count - _EPSILON)  # balanced piece size in words, <= MAX
        # A piece is tokens[first:k]: at most `size` words, and over half of it before a cut.
        top = bisect.bisect_right(ends, ends[first] + size + _EPSILON) - 1
        best, best_rank = top, 0
        for k in range(top, first, -1):
            if ends[k] - ends[first] <= size // 2 + _EPSILON:
                break
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
