"""Small helpers shared by the benchmark scripts: percentiles, memory, tables, goals, machine info.

Nothing here imports torch, faiss or the engine at module level, so subprocess workers that
import it measure their own start-up and memory, not ours.
"""
from __future__ import annotations

import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
QA_BIN = ROOT / ".venv" / "bin" / "qa"
DATA = ROOT / "tests" / "data"
DEV = DATA / "dev_questions.jsonl"
HELDOUT = DATA / "heldout_questions.jsonl"
SEED_CORPUS = ROOT / "corpus"


# --- statistics ---------------------------------------------------------------------------

def percentile(values, q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty sequence."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency_summary(seconds: list[float]) -> dict:
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else None,
    }


def median(values) -> float:
    return percentile(values, 50)


# --- memory -------------------------------------------------------------------------------

def proc_status_mb(field: str = "VmRSS", pid: int | str = "self") -> float | None:
    """VmRSS (resident now) or VmHWM (peak resident) of a process, in MB, from /proc."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(rf"^{field}:\s+(\d+)\s+kB", text, re.M)
    return round(int(m.group(1)) / 1024, 1) if m else None


def dir_size_mb(path: Path) -> float:
    total = 0
    for p in Path(path).rglob("*"):
        if p.is_file():
            total += p.stat().st_size
    return round(total / 1e6, 1)


# --- processes and ports ------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra: str) -> dict:
    env = dict(os.environ)
    # An installed package has its bytecode cached; a shell with PYTHONDONTWRITEBYTECODE set
    # would have every cold start compile qa/ from source again (~0.07 s here).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


def run_worker(script: Path, args: list[str], timeout: float, label: str) -> dict:
    """Run a benchmark worker in its own process; it prints one JSON object as its last line."""
    cmd = [str(PYTHON), str(script), *args]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=child_env(), cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"{label}: timed out after {timeout:.0f}s"}
    wall = time.perf_counter() - t0
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    try:
        result = json.loads(last)
    except json.JSONDecodeError:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
        return {"error": f"{label}: exit {proc.returncode}: " + " | ".join(tail)}
    result["process_wall_s"] = round(wall, 2)
    return result


# --- questions and text -------------------------------------------------------------------

def load_jsonl(path: Path) -> list[dict]:
    from qa.evaluate import load_questions

    return load_questions(path)


def all_questions() -> list[str]:
    return [r["question"] for r in load_jsonl(DEV)] + [r["question"] for r in load_jsonl(HELDOUT)]


def seed_paragraphs(corpus: Path = SEED_CORPUS) -> list[str]:
    """Paragraphs (blank-line separated blocks) of the seed corpus's text files."""
    paras = []
    for p in sorted(corpus.rglob("*")):
        if p.suffix.lower() in (".txt", ".md") and p.is_file():
            text = p.read_text(encoding="utf-8", errors="replace")
            paras += [b.strip() for b in re.split(r"\n\s*\n", text) if len(b.split()) >= 8]
    return paras


def write_recombined_corpus(dest: Path, n_docs: int, paragraphs: list[str], seed: int = 0,
                            paras_per_doc: tuple[int, int] = (8, 16)) -> int:
    """n_docs .txt files, each a random sample of seed paragraphs in random order. Returns bytes."""
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n_docs):
        k = min(len(paragraphs), rng.randint(*paras_per_doc))
        body = f"Synthetic document {i}\n\n" + "\n\n".join(rng.sample(paragraphs, k)) + "\n"
        (dest / f"doc_{i:06d}.txt").write_text(body, encoding="utf-8")
        total += len(body.encode())
    return total


# --- machine ------------------------------------------------------------------------------

def git_state() -> dict:
    """HEAD and the number of uncommitted files under qa/: the engine changes while we measure."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "qa"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
    except OSError:
        return {}
    return {"git_commit": head, "qa_dirty_files": len(dirty.splitlines()) if dirty else 0}


def machine_info() -> dict:
    info = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpu_count": os.cpu_count(),
        "cpu_model": None,
        "mem_total_gb": None,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
        info["cpu_model"] = m.group(1).strip() if m else None
        mem = Path("/proc/meminfo").read_text()
        m = re.search(r"^MemTotal:\s+(\d+)", mem, re.M)
        info["mem_total_gb"] = round(int(m.group(1)) / 1024 / 1024, 1) if m else None
    except OSError:
        pass
    for mod in ("torch", "faiss", "bm25s", "sentence_transformers", "numpy", "gradio"):
        try:
            module = __import__(mod)
            info[f"{mod}_version"] = getattr(module, "__version__", "?")
        except Exception as e:  # an optional package missing is a fact to record, not a failure
            info[f"{mod}_version"] = f"unavailable ({type(e).__name__})"
    info.update(git_state())
    return info


# --- tables and goals ---------------------------------------------------------------------

@dataclass
class Goal:
    name: str
    measured: float | None
    target: float
    op: str  # "<=" or ">="
    unit: str = ""

    @property
    def status(self) -> str:
        if self.measured is None or self.measured != self.measured:  # None or NaN
            return "n/a"
        ok = self.measured <= self.target if self.op == "<=" else self.measured >= self.target
        return "PASS" if ok else "FAIL"

    def to_dict(self) -> dict:
        return {"goal": self.name, "measured": self.measured, "target": f"{self.op} {self.target}{self.unit}",
                "status": self.status}

    def row(self) -> list[str]:
        m = "-" if self.measured is None else f"{self.measured:,.3g}{self.unit}"
        return [self.name, m, f"{self.op} {self.target:,g}{self.unit}", self.status]


def table(headers: list[str], rows: list[list], title: str | None = None) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    out = []
    if title:
        out.append(title)
    out.append(line(cells[0]))
    out.append("  ".join("-" * w for w in widths))
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def fmt(x, digits: int = 1) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def say(msg: str = "") -> None:
    print(msg, flush=True)


def note(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


# --- other load on the machine ------------------------------------------------------------
# The benchmark shares its 2 cores with whatever else runs (other people's test suites, say).
# Timings are only comparable when that is small, so each section records how much CPU went
# to processes outside this benchmark's own process tree while it ran.

def _busy_seconds() -> float:
    """CPU seconds all processes spent busy since boot (user+nice+system+irq+softirq+steal)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class CpuMeter:
    """Share of the machine's CPU used by other processes between start() and stop()."""

    def __init__(self):
        self.start()

    def start(self) -> "CpuMeter":
        self.t0, self.busy0, self.own0 = time.monotonic(), _busy_seconds(), _own_seconds()
        return self

    def foreign_share(self) -> float:
        elapsed = max(time.monotonic() - self.t0, 1e-6)
        foreign = (_busy_seconds() - self.busy0) - (_own_seconds() - self.own0)
        return max(0.0, foreign / (elapsed * (os.cpu_count() or 1)))


def wait_quiet(threshold: float = 0.2, max_wait: float = 120.0, sample: float = 2.0) -> dict:
    """Wait (at most max_wait s) until other processes use under `threshold` of the CPU."""
    t0 = time.monotonic()
    share = 0.0
    while True:
        meter = CpuMeter()
        time.sleep(sample)
        share = meter.foreign_share()
        waited = time.monotonic() - t0
        if share < threshold or waited >= max_wait:
            return {"waited_s": round(waited, 1), "foreign_cpu_share_before": round(share, 3),
                    "quiet": share < threshold}


# --- profiles -----------------------------------------------------------------------------

def stage_profile(run, n: int) -> dict:
    """Run `run()` under cProfile and split the engine's time into stages, in ms per question.

    Stages are the cumulative times of the engine's own functions, looked up by file and name,
    so a renamed function shows up as "other" rather than breaking the benchmark.
    """
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    stats = pstats.Stats(prof).stats

    def cum(path_part: str, func: str) -> float:
        return sum(v[3] for (f, _, name), v in stats.items() if path_part in f and name == func)

    total = cum("qa/engine.py", "ask_many")
    stages = {
        # Nested wrappers: the outermost one that exists holds the whole encode.
        "question encode": max(cum("qa/engine.py", "encode"), cum("qa/onnx_encoder.py", "encode"),
                               cum("qa/embed.py", "encode_queries"), cum("qa/embed.py", "_encode")),
        "aliases": cum("qa/aliases.py", "expand_aliases"),
        "parse (tokens, typo fix)": cum("qa/retrieve.py", "parse"),
        "retrieve (faiss+bm25+fuse)": cum("qa/retrieve.py", "search_many"),
        "answer (sentences, citations)": cum("qa/answer.py", "answer"),
    }
    out = {k: round(v * 1000 / n, 3) for k, v in stages.items()}
    out["other"] = round(max(0.0, total - sum(stages.values())) * 1000 / n, 3)
    out["total (under cProfile)"] = round(total * 1000 / n, 3)
    return out
