from qa.text import sentence_spans, tokenize, words


def sentences(text):
    return [text[a:b] for a, b in sentence_spans(text)]


def test_sentence_split_respects_abbreviations_and_numbers():
    text = ("Baidu filed 5,712 patents, e.g. in AI. The U.S. lagged behind, i.e. slower. "
            "Alipay had 1.2 billion users. Mr. Ma agreed.\nA heading\nNext line? Yes!")
    assert sentences(text) == [
        "Baidu filed 5,712 patents, e.g. in AI.",
        "The U.S. lagged behind, i.e. slower.",
        "Alipay had 1.2 billion users.",
        "Mr. Ma agreed.",
        "A heading",
        "Next line?",
        "Yes!",
    ]


def test_spans_are_offsets_into_the_text():
    text = "  First one.  Second “quoted.” Third\n\nFourth."
    for a, b in sentence_spans(text):
        assert text[a:b] == text[a:b].strip() and text[a:b]


def test_tokenize_keeps_numbers_and_names_and_drops_question_words():
    assert "5712" in tokenize("How many patents: 5,712?")
    assert tokenize("How many patents did Jack Ma file?") == ["patent", "jack", "ma", "file"]
    assert words("COVID19 and 5G") == ["covid", "19", "and", "5g"]


def test_stopwords_are_bm25s_list_read_without_importing_bm25s():
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    from qa import text

    assert text.STOPWORDS_EN_PLUS == STOPWORDS_EN_PLUS
    assert "the" in text.STOPWORDS and "ma" not in text.STOPWORDS
