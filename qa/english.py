"""Ordinary English: is a word one, and which one is a misspelt word?

The words are read from english_words.txt.gz beside this module: the ASCII words of
wordfreq's large English list (CC BY-SA 4.0, github.com/rspeer/wordfreq) with a Zipf frequency
of RARE_IN_ENGLISH or more, most frequent first, written by `python -m qa.english`. Reading
them through wordfreq at run time took 0.3 s of a process's first question.
"""
from __future__ import annotations

import gzip
import sys
from functools import lru_cache
from pathlib import Path

WORDS_FILE = Path(__file__).with_name("english_words.txt.gz")
RARE_IN_ENGLISH = 1.5  # Zipf frequency: "chuxing" 1.0, "weixin" 1.3, "chipmaker" 1.6, "groundwork" 3.2
SPELLINGS = 50_000  # the most frequent words, those a misspelt word is read as


def write_words(path: Path = WORDS_FILE) -> int:
    """Write the word file from wordfreq (a dev dependency); returns the number of words."""
    from wordfreq import get_frequency_dict

    least = 10 ** (RARE_IN_ENGLISH - 9)  # Zipf frequency = log10(frequency per billion words)
    freqs = get_frequency_dict("en", wordlist="large")
    ranked = sorted((w for w, f in freqs.items() if f >= least and w.isascii() and w.isalpha()),
                    key=lambda w: (-freqs[w], w))
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(("\n".join(ranked) + "\n").encode("ascii"))
    tmp.replace(path)
    return len(ranked)


@lru_cache(maxsize=1)
def _words() -> tuple[frozenset[str], dict[tuple[str, int], list[str]], dict[str, int]]:
    """(every word; the SPELLINGS most frequent by first letter and length; their ranks)."""
    ranked = gzip.decompress(WORDS_FILE.read_bytes()).decode("ascii").split()
    buckets: dict[tuple[str, int], list[str]] = {}
    for w in ranked[:SPELLINGS]:
        buckets.setdefault((w[0], len(w)), []).append(w)
    return frozenset(ranked), buckets, {w: i for i, w in enumerate(ranked[:SPELLINGS])}


def is_english(word: str) -> bool:
    """Whether English uses the (lowercase) word, or one a slip away from it."""
    return word in _words()[0] or nearest(word) is not None


def spelling(word: str) -> str | None:
    """The frequent English word a word English does not use is a slip of, or None."""
    return None if word in _words()[0] else nearest(word)


@lru_cache(maxsize=4096)
def nearest(word: str) -> str | None:
    """The most frequent of the SPELLINGS words within 1 edit (2 from 8 letters on) of `word`
    that start with its letter; a swap of two letters is one edit (OSA)."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    limit = 2 if len(word) >= 8 else 1
    buckets = _words()[1]
    candidates = [w for n in range(len(word) - limit, len(word) + limit + 1) for w in buckets.get((word[:1], n), ())]
    found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=None)
    if not found:
        return None
    closest = min(d for _, d, _ in found)
    return min((w for w, d, _ in found if d == closest), key=_words()[2].__getitem__)


if __name__ == "__main__":
    print(f"{write_words()} words written to {WORDS_FILE}", file=sys.stderr)
