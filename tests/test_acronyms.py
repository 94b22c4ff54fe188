import numpy as np
import pytest

from qa.acronyms import Initials, known_initials

TEXTS = ["Baidu leads in natural language processing.",
         "The Information and Communication Technology sector grew.",
         "Deep learning"]


def test_initials_of_consecutive_words_are_known_with_or_without_connectors():
    known = Initials(known_initials(TEXTS))
    assert "NLP" in known and "nlp" in known
    assert "ICT" in known and "IACT" in known  # "and" skipped, or read
    assert "DL" in known


def test_strings_no_words_start_are_unknown_and_no_run_crosses_two_texts():
    known = Initials(known_initials(TEXTS))
    assert "DJI" not in known and "SMIC" not in known
    assert "GD" not in known  # "... sector grew." then "Deep learning": another text


def test_ordinary_words_are_known_and_only_2_to_5_ascii_letters_are_looked_up():
    known = Initials(known_initials([], common=["ceo", "ipo", "x", "longword"]))
    assert "CEO" in known and "ipo" in known
    assert "X" not in known and "LONGWORD" not in known and "ÉT" not in known and "A1" not in known


def test_the_table_has_a_fixed_size_whatever_the_corpus_and_a_short_one_is_refused():
    small, large = known_initials(["a b"]), known_initials(TEXTS * 1000)
    assert small.shape == large.shape and small.dtype == np.uint8
    with pytest.raises(ValueError, match="bits"):
        Initials(small[:10])


def test_a_question_asking_what_an_acronym_stands_for_names_it():
    from qa.acronyms import asked_acronym

    assert asked_acronym("what does IoT stand for") == "iot"
    assert asked_acronym("what is the ICD short for in eu-china relations") == "icd"
    assert asked_acronym("What does the acronym SMLTA stand for in Baidu's speech tech?") == "smlta"
    assert asked_acronym("How many ICT companies are there?") is None  # asks no expansion
    assert asked_acronym("what does this stand for") is None  # names no acronym


def test_a_sentence_spells_out_an_acronym_by_the_initials_of_consecutive_words():
    from qa.acronyms import spells_out

    assert spells_out("icd", "a dedicated High-Level Innovation Cooperation Dialogue (ICD) was set up")
    assert spells_out("ict", "the Information and Communication Technology (ICT) sector")
    assert spells_out("iot", "devices on the internet of things")
    assert not spells_out("ict", "The ICD aims at raising the level of research")


def test_what_an_acronym_stands_for_is_answered_by_the_sentence_spelling_it_out(engine):
    # Was answered with "Ericsson is a Swedish ... ICT ..." (0.65), which uses ICT unexplained.
    ans = engine.ask("what does ICT stand for")
    assert "Information and Communication Technology" in ans.answer, ans
    # The passage spelling IoT out ranked 5th, outside those answered from: it was answered with
    # "In 2019, Tencent Cloud IoT Division ..." (0.52), which uses IoT unexplained.
    iot = engine.ask("What does the abbreviation IoT stand for?")
    assert not iot.abstained and "internet of things (IoT)" in iot.answer, iot
    assert engine.ask("What does SMIC stand for?").abstained  # spelled out nowhere
