"""Errors a user can cause and fix; the CLI maps each to one line and an exit code."""


class QAError(Exception):
    """Base class for expected, user-facing errors."""


class QuestionError(QAError, ValueError):
    """A question that cannot be asked: empty, whitespace only, or too long."""


class EmptyCorpusError(QAError):
    """The corpus folder is missing or holds no readable document."""


class IndexCorruptError(QAError):
    """The index folder exists but cannot be read."""
