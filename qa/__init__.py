"""qa: extractive, cited question answering over a local corpus.

    from qa import ask
    ask("How many AI patents had Baidu filed by October 2019?").to_dict()
"""
from qa.engine import MAX_QUESTION_CHARS, Engine, ask, ask_many, ask_stream, get_engine, validate_question
from qa.errors import EmptyCorpusError, IndexCorruptError, QAError, QuestionError
from qa.types import Answer, Chunk, Citation, Document

__all__ = [
    "ask",
    "ask_many",
    "ask_stream",
    "get_engine",
    "validate_question",
    "Engine",
    "Answer",
    "Citation",
    "Chunk",
    "Document",
    "QAError",
    "QuestionError",
    "EmptyCorpusError",
    "IndexCorruptError",
    "MAX_QUESTION_CHARS",
]
