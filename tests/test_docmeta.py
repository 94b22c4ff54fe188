"""Questions about a document itself are answered from its byline, dateline or audience line."""
from qa.docmeta import document_field, document_lines
from qa.types import Document


def test_a_question_about_the_document_itself_names_what_it_asks():
    assert document_field("Who wrote the article on China's high-tech Covid-19 response?") == "author"
    assert document_field("who published the silicon dragon china overview") == "author"
    assert document_field("Who are the authors of the Dragon Tactics piece?") == "author"
    assert document_field("when was the silicon dragon page last updated") == "date"
    assert document_field("what time of day was the SPI page on china tech last edited") == "date"
    assert document_field("who is the SPI china tech page actually written for?") == "audience"
    assert document_field("Who is the Silicon Dragon China guide aimed at?") == "audience"
    # Questions about what the document says, or about something else an author wrote.
    for question in ("what do the dragon tactics authors say really makes the difference",
                     "What is the purpose of lockdowns, according to the Dragon Tactics authors?",
                     "who wrote the silicon dragon book", "When was WeChat launched?", "who founded tencent"):
        assert document_field(question) is None, question


def test_the_lines_are_found_by_the_documents_metadata():
    doc = Document(doc_id="r.md", path="r.md", text="", title="Phoenix Chips in 2024",
                   publisher="Jane Doe and Li Wei (\"Chip Notes\")", date="updated 01.03.2024")
    sentences = ["Phoenix Chips in 2024", "By Jane Doe and Li Wei.", "Chip Notes covers chips.",
                 "This report is written for the following audience:", "Investors in European chip makers.",
                 "Phoenix Chips grew in 2024.", "Page updated: 01.03.2024"]
    assert document_lines("author", doc, sentences) == [1]  # the names, not the aside "Chip Notes"
    assert document_lines("date", doc, sentences) == [6]  # the stamp beside a date word, not "2024"
    assert document_lines("audience", doc, sentences) == [4]  # the line after the colon
    assert document_lines("author", Document(doc_id="x", path="x", text="", title="x"), sentences) == []


def test_the_seed_pages_bylines_and_datelines_answer_questions_about_them(engine):
    cases = {
        "who published the Silicon Dragon China page": "by: SPI",
        "Who wrote the article on China's high-tech Covid-19 response?": "Co-written by Sandrine Zerbib and Aldo Spaanjaars",
        "when was the silicon dragon page last updated": "Last updated: 15.12.2020",
        "who is the silicon dragon page written for?": "European SMEs and start-ups",
    }
    for question, line in cases.items():
        ans = engine.ask(question)
        assert not ans.abstained and ans.answer.startswith(line), (question, ans.answer)
        assert ans.citations[0].text[ans.citations[0].answer_start:ans.citations[0].answer_end] == ans.answer
    # The covid article's page gives no date: no line is made up for it.
    dated = engine.ask("When was the Dragon Tactics article on China's Covid response published?")
    assert dated.answer is None or "15.12.2020" not in dated.answer


def test_a_users_own_document_is_answered_from_its_own_byline(tmp_path):
    from qa import get_engine

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "phoenix.txt").write_text(
        "Phoenix Chips annual review\n\nWritten by Jane Doe.\n\n"
        "Phoenix Chips was founded in 2014 by Zhou Lin. It sells AI chips to carmakers in Europe and Asia. "
        "Its revenue grew to RMB 2 billion in 2023.\n\nPage updated: 01.03.2024\n", encoding="utf-8")
    (corpus / "sources.toml").write_text(
        '["phoenix.txt"]\ntitle = "Phoenix Chips annual review"\nauthors = "Jane Doe"\ndate = "01.03.2024"\n',
        encoding="utf-8")
    eng = get_engine(corpus, tmp_path / "index")
    assert eng.ask("who wrote the phoenix chips review page?").answer == "Written by Jane Doe."
    assert eng.ask("when was the phoenix chips page last updated?").answer == "Page updated: 01.03.2024"
