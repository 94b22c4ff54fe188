"""Ordinary English (qa.english): which words are no names, and what a misspelt word is."""
import gzip

from qa.english import WORDS_FILE, is_english, spelling, write_words


def test_english_words_and_slips_of_them_are_english_and_names_are_not():
    assert is_english("groundwork") and is_english("chipmaker") and is_english("recognising")
    assert is_english("reputaton")  # a slip of "reputation"
    assert not is_english("pinduoduo") and not is_english("kuaishou") and not is_english("iflytek")


def test_a_misspelt_word_is_read_as_the_most_frequent_word_a_slip_away():
    assert spelling("reputaton") == "reputation"
    assert spelling("originaly") == "original"  # before "originally": more frequent, as close
    assert spelling("tencnet") == "tencent"  # two letters swapped: one edit
    assert spelling("groundwork") is None  # a word already
    assert spelling("xyzzyplugh") is None


def test_the_shipped_words_are_what_wordfreq_writes(tmp_path):
    written = tmp_path / "english_words.txt.gz"
    assert write_words(written) > 100_000
    assert gzip.decompress(written.read_bytes()) == gzip.decompress(WORDS_FILE.read_bytes()), \
        "qa/english_words.txt.gz is stale: run python -m qa.english"
