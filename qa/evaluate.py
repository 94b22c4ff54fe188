"""Score the engine on a question file (the dev-set format) the same way every time."""
from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.errors import QAError

DEV_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "dev_questions.jsonl"


def normalize(text: str) -> str:
    text = text.casefold().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip()


def holds(text: str | None, answers: list[str]) -> bool:
    if not text:
        return False
    t = normalize(text)
    return any(normalize(a) in t for a in answers)


@dataclass
class EvalReport:
    questions: int
    answerable: int
    unanswerable: int
    hit_at_1: float
    hit_at_3: float
    hit_at_5: float
    answer_hit: float
    abstained_unanswerable: int
    abstained_answerable: int
    median_ms: float
    p95_ms: float

    def to_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        a, u = self.answerable, self.unanswerable
        rows = [
            ("questions", f"{self.questions} ({a} answerable, {u} unanswerable)"),
            ("hit@1 (top passage holds the answer)", f"{self.hit_at_1:.1%}"),
            ("hit@3", f"{self.hit_at_3:.1%}"),
            ("hit@5", f"{self.hit_at_5:.1%}"),
            ("answer hit (answer sentence holds it)", f"{self.answer_hit:.1%}"),
            ("abstained on unanswerable", f"{self.abstained_unanswerable}/{u}"
             f" ({self.abstained_unanswerable / max(u, 1):.1%})"),
            ("abstained on answerable (wrongly)", f"{self.abstained_answerable}/{a}"
             f" ({self.abstained_answerable / max(a, 1):.1%})"),
            ("latency per ask() median / p95", f"{self.median_ms:.1f} ms / {self.p95_ms:.1f} ms"),
        ]
        width = max(len(r[0]) for r in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def load_questions(path: str | Path) -> list[dict]:
    """The rows of a question file (the dev-set format: one JSON object a line with "question",
    "answers" and optionally "answerable"), each checked: QAError naming the file, line and bad
    value otherwise, and for a file with no questions at all."""
    path = Path(path)
    if not path.is_file():
        raise QAError(f"question file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise QAError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise QAError(f"{path}:{n}: not JSON ({e.msg})") from e
        problem = question_row_problem(row)
        if problem:
            raise QAError(f"{path}:{n}: {problem}")
        row.setdefault("answers", [])
        row.setdefault("answerable", bool(row["answers"]))
        rows.append(row)
    if not rows:
        raise QAError(f"{path}: holds no questions; expected one JSON object a line with "
                      '"question" and "answers"')
    return rows


def question_row_problem(row: object) -> str | None:
    """Why `row` cannot be scored, or None. `answers` must be a list of non-empty strings: a
    string would be matched character by character, and an empty answer is in every text."""
    if not isinstance(row, dict):
        return f'expected a JSON object with "question" and "answers", got {json.dumps(row):.80}'
    question = row.get("question")
    if not isinstance(question, str) or not question.strip():
        return f'"question" must be a non-empty string, got {json.dumps(question):.80}'
    answerable = row.get("answerable")
    if "answerable" in row and not isinstance(answerable, bool):
        return f'"answerable" must be true or false, got {json.dumps(answerable):.80}'
    answers = row.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        return f'"answers" must be a list of non-empty strings, got {json.dumps(answers):.80}'
    if answerable and not answers:
        return '"answerable" is true but "answers" is empty: an answerable question needs its answers'
    return None


def run_eval(rows: list[dict], engine, k: int = 5) -> tuple[EvalReport, list[dict]]:
    """Ask each question singly (as a user would) and score it. Returns report and details."""
    details, times = [], []
    for row in rows:
        t0 = time.perf_counter()
        ans = engine.ask(row["question"], k=k)
        times.append((time.perf_counter() - t0) * 1000)
        texts = [c.text for c in ans.citations]
        details.append({
            "id": row.get("id"),
            "question": row["question"],
            "answerable": row["answerable"],
            "hit_rank": next((i + 1 for i, t in enumerate(texts) if holds(t, row["answers"])), None),
            "answer_hit": holds(ans.answer, row["answers"]),
            "abstained": ans.abstained,
            "confidence": ans.confidence,
            "answer": ans.answer,
        })
    ans_rows = [d for d in details if d["answerable"]]
    una_rows = [d for d in details if not d["answerable"]]
    n = max(len(ans_rows), 1)

    def hit_at(i: int) -> float:
        return sum(1 for d in ans_rows if d["hit_rank"] and d["hit_rank"] <= i) / n

    times_sorted = sorted(times)
    report = EvalReport(
        questions=len(details),
        answerable=len(ans_rows),
        unanswerable=len(una_rows),
        hit_at_1=hit_at(1),
        hit_at_3=hit_at(3),
        hit_at_5=hit_at(5),
        answer_hit=sum(d["answer_hit"] for d in ans_rows) / n,
        abstained_unanswerable=sum(d["abstained"] for d in una_rows),
        abstained_answerable=sum(d["abstained"] for d in ans_rows),
        median_ms=statistics.median(times) if times else 0.0,
        p95_ms=times_sorted[int(0.95 * (len(times) - 1))] if times else 0.0,
    )
    return report, details
