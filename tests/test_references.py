"""A sentence that opens with a pronoun is found by the name the pronoun stands for."""
from __future__ import annotations

from qa.embed import DEFAULT_MODEL
from qa.index import sentence_embedding_text
from qa.text import sentence_spans

TEXT = (
    "Phoenix Chips is a fabless semiconductor designer based in Wuhan. It was founded in 2014 by "
    "Zhou Lin. Phoenix Chips sold 80 million microcontrollers in 2022.\n\n"
    "Lotus Robotics is a warehouse automation company based in Hangzhou. The company has deployed "
    "more than 3,000 sorting robots. They are used by parcel firms. It was expected that sales would "
    "double.\n"
)


def embedded(text: str) -> list[str]:
    spans = sentence_spans(text)
    return [sentence_embedding_text(text, spans, j) for j in range(len(spans))]


def test_a_subject_pronoun_is_read_as_the_name_before_it():
    got = embedded(TEXT)
    assert got[1] == "Phoenix Chips was founded in 2014 by Zhou Lin."
    # Through "The company ...", back to the sentence that names it.
    assert got[5] == "Lotus Robotics are used by parcel firms."
    # An expletive "it" and sentences without a pronoun are embedded as written.
    assert got[6] == "It was expected that sales would double."
    assert got[0] == "Phoenix Chips is a fabless semiconductor designer based in Wuhan."
    assert got[4] == "The company has deployed more than 3,000 sorting robots."


def test_who_founded_finds_the_sentence_that_says_it(tmp_path):
    from qa import ask

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "firms.txt").write_text(TEXT, encoding="utf-8")
    ans = ask("Who founded Phoenix Chips?", corpus=corpus, index=tmp_path / "index")
    assert ans.answer == "It was founded in 2014 by Zhou Lin."  # quoted as written, not as embedded
    cite = ans.citations[0]
    assert cite.text[cite.answer_start:cite.answer_end] == ans.answer
