from qa.text import MAX_SENTENCE_WORDS, sentence_spans, tokenize, words


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


def test_an_over_long_sentence_is_cut_between_words_at_its_separators():
    clause = "Tencent runs WeChat and QQ for the users of many cities in China"  # 13 words
    long = ", ".join([clause] * 4) + "; " + ", ".join([clause] * 4) + " and more"
    text = "Intro. " + long + "\nNext line."
    spans = sentence_spans(text)
    got = [text[a:b] for a, b in spans]
    assert got[0] == "Intro." and got[-1] == "Next line."
    pieces = got[1:-1]
    assert all(text[a:b] == text[a:b].strip() for a, b in spans)
    assert " ".join(pieces) == long  # nothing lost, cut only between words
    assert len(pieces) == 2 and pieces[0].endswith(";")  # the ";" wins over the commas
    assert all(len(p.split()) <= MAX_SENTENCE_WORDS for p in pieces)
    at_the_cap = " ".join(["word"] * MAX_SENTENCE_WORDS) + "."
    assert sentences(at_the_cap) == [at_the_cap]


def test_a_line_without_punctuation_is_cut_into_balanced_pieces():
    line = " ".join(f"w{i}" for i in range(2 * MAX_SENTENCE_WORDS + 1))
    sizes = [len(line[a:b].split()) for a, b in sentence_spans(line)]
    assert len(sizes) == 3 and sum(sizes) == 2 * MAX_SENTENCE_WORDS + 1 and max(sizes) - min(sizes) <= 1


def test_word_count_of_english_is_its_whitespace_word_count():
    from qa.ingest import load_corpus
    from qa.text import word_count
    from tests.conftest import SEED_CORPUS

    for doc in load_corpus(SEED_CORPUS):
        for a, b in sentence_spans(doc.text):
            assert word_count(doc.text[a:b]) == len(doc.text[a:b].split())
