"""`make bench`: speed, scale and quality of qa next to plain baselines, on this machine.

    .venv/bin/python benchmarks/bench.py [--quick] [--sections quality,latency,...] [--out FILE]

Sections (numbers or names): 1 quality, 2 latency, 3 cold, 4 batch, 5 build, 6 scale, 7 served.
Prints a table per section and writes every figure, with machine info, to
benchmarks/results/bench.json (rewritten after each section, so a crash keeps what was done).

Every index is built in a temporary folder from a copy of corpus/; ./index and ./corpus are
only read. --quick skips the 1M-chunk scale step and the 10,000-question batch.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_util import (  # noqa: E402
    DEV, HELDOUT, PYTHON, QA_BIN, SEED_CORPUS, CpuMeter, Goal, child_env, fmt, free_port,
    latency_summary, load_jsonl, machine_info, median, pct, proc_status_mb, run_worker, say,
    git_state, stage_profile, table, wait_quiet,
)

SECTIONS = ["quality", "latency", "cold", "batch", "build", "scale", "served"]
RESULTS = HERE / "results" / "bench.json"


class Skip(Exception):
    """A section (or part) that cannot run yet, e.g. a command another issue has not landed."""


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="qa-bench-"))
        self.corpus = self.tmp / "corpus"
        self.index = self.tmp / "index"
        self.results: dict = {"machine": machine_info(), "args": vars(args), "sections": {}, "goals": []}
        self.results["machine"]["git_commit_state"] = git_state()
        self.goals: list[Goal] = []
        self._engine = None
        self._model = None

    # --- shared fixtures ------------------------------------------------------------------

    def setup(self) -> None:
        """Copy the seed corpus and build its index in the temp folder (timed, for the record)."""
        from qa.embed import DEFAULT_MODEL, load_model
        from qa.index import build_index

        shutil.copytree(SEED_CORPUS, self.corpus)
        t0 = time.perf_counter()
        self._model = load_model(DEFAULT_MODEL)
        model_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = build_index(self.corpus, self.index, DEFAULT_MODEL, rebuild=True)
        self.results["setup"] = {"model_load_s": round(model_s, 2), "seed_index_build_s": round(time.perf_counter() - t0, 2),
                                 "seed_index": report.to_dict(), "tmp": str(self.tmp)}

    @property
    def engine(self):
        if self._engine is None:
            from qa import get_engine

            self._engine = get_engine(self.corpus, self.index)
        return self._engine

    @property
    def model(self):
        return self._model

    def goal(self, section: str, name: str, measured, target: float, op: str, unit: str = "") -> Goal:
        g = Goal(name, None if measured is None else round(float(measured), 4), target, op, unit)
        self.goals.append(g)
        self.results["goals"].append({"section": section, **g.to_dict()})
        return g

    def goal_table(self, goals: list[Goal]) -> str:
        return table(["goal", "measured", "target", "status"], [g.row() for g in goals])

    def save(self) -> None:
        out = Path(self.args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.results, indent=1, default=str), encoding="utf-8")
        os.replace(tmp, out)

    # --- 1. quality -----------------------------------------------------------------------

    def quality(self) -> dict:
        from bench_baselines import Baselines, pick_threshold, score

        from qa.evaluate import run_eval

        sets = {"dev": load_jsonl(DEV), "heldout": load_jsonl(HELDOUT)}
        base = Baselines(self.engine.store, self.model)
        res: dict = {"chunks": self.engine.store.n_chunks, "methods": {}}
        thresholds = {}
        for set_name, rows in sets.items():
            report, _ = run_eval(rows, self.engine)
            r = report.to_dict()
            res["methods"].setdefault("qa (this project)", {})[set_name] = {
                k: r[k] for k in ("questions", "answerable", "unanswerable", "hit_at_1", "hit_at_5", "answer_hit",
                                  "abstained_unanswerable", "abstained_answerable", "median_ms")}
            for method, det in base.details(rows).items():
                res["methods"].setdefault(f"{method} (never abstains)", {})[set_name] = score(det)
                if set_name == "dev":
                    thresholds[method] = pick_threshold(det)
                res["methods"].setdefault(f"{method} + cos threshold", {})[set_name] = score(det, thresholds[method])
        res["baseline_thresholds"] = thresholds
        res["notes"] = [
            "same chunks (read from the built index), same questions, same holds() scoring as qa eval",
            "baseline answer = sentence of the top passage with the best cosine to the question",
            "baseline citations are the raw top-5 chunks (overlapping chunks allowed; qa de-duplicates)",
            "'+ cos threshold': abstain when that sentence's cosine < t, t picked on dev (<= 4 % wrong "
            "abstentions there) and reused unchanged on held-out",
        ]
        rows_out = []
        for method, per_set in res["methods"].items():
            for set_name in sets:
                m = per_set[set_name]
                rows_out.append([method, set_name, pct(m["hit_at_1"]), pct(m["hit_at_5"]), pct(m["answer_hit"]),
                                 f"{m['abstained_unanswerable']}/{m['unanswerable']}",
                                 f"{m['abstained_answerable']}/{m['answerable']}"])
        say(table(["method", "set", "hit@1", "hit@5", "answer hit", "abstain unans.", "abstain ans. (wrong)"],
                  rows_out, title=f"1. Quality vs plain baselines ({res['chunks']} chunks; k=5)"))
        say("   thresholds: " + ", ".join(f"{m} cos<{t:.3f}" for m, t in thresholds.items()))
        return res

    # --- 2. warm latency --------------------------------------------------------------------

    def latency(self) -> dict:
        import torch

        engine, model = self.engine, self.model
        questions = [r["question"] for r in load_jsonl(DEV)]
        rounds = self.args.rounds
        onnx = getattr(engine, "onnx", None)  # the engine's own question encoder, when it has one
        floors = {"bare model.encode([q]) (torch)": model.encode}
        if onnx is not None:
            floors["bare engine.onnx.encode([q]) (ONNX Runtime)"] = onnx.encode
        for q in questions:  # warm-up round: page cache, lazy imports, allocator
            engine.ask(q)
            for f in floors.values():
                f([q])
        times: dict[str, list[float]] = {"ask()": [], **{name: [] for name in floors}}
        # Alternating blocks, not alternating calls: every round sees the same machine state, yet
        # torch's OpenMP threads, still spinning after an encode, do not land inside an ask().
        for _ in range(rounds):
            for q in questions:
                t0 = time.perf_counter()
                engine.ask(q)
                times["ask()"].append(time.perf_counter() - t0)
            for name, f in floors.items():
                for q in questions:
                    t0 = time.perf_counter()
                    f([q])
                    times[name].append(time.perf_counter() - t0)
        res = {"questions": len(questions), "rounds": rounds, "torch_threads": torch.get_num_threads(),
               "query_encoder": "onnx" if onnx is not None else "torch",
               "summaries": {name: latency_summary(ts) for name, ts in times.items()}}
        res["ask"] = res["summaries"]["ask()"]
        res["bare_encode"] = res["summaries"]["bare model.encode([q]) (torch)"]
        res["ratio_p50"] = round(res["ask"]["p50_ms"] / res["bare_encode"]["p50_ms"], 3)
        if onnx is not None:
            o = res["summaries"]["bare engine.onnx.encode([q]) (ONNX Runtime)"]
            res["ratio_p50_vs_onnx_encode"] = round(res["ask"]["p50_ms"] / o["p50_ms"], 3)
        res["breakdown_ms_per_question"] = stage_profile(lambda: [engine.ask(q) for q in questions],
                                                               len(questions))
        # Lever: the torch encode on 1 thread instead of the engine's setting.
        n = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            one = []
            for q in questions:
                t0 = time.perf_counter()
                model.encode([q])
                one.append(time.perf_counter() - t0)
            res["summaries"]["bare model.encode, torch 1 thread"] = latency_summary(one)
        finally:
            torch.set_num_threads(n)

        onnx2 = _onnx_encoder(engine, threads=2)
        if onnx2 is not None:  # lever: the engine's ONNX encoder with 2 intra-op threads instead of 1
            two = []
            for q in questions:
                t0 = time.perf_counter()
                onnx2.encode([q])
                two.append(time.perf_counter() - t0)
            res["summaries"]["bare ONNX encode, 2 threads (lever)"] = latency_summary(two)

        rows = [[name, fmt(s["p50_ms"], 2), fmt(s["p95_ms"], 2), fmt(s["p99_ms"], 2), s["n"]]
                for name, s in res["summaries"].items()]
        say(table(["warm latency (ms)", "p50", "p95", "p99", "n"], rows,
                  title=f"2. Warm latency: {len(questions)} dev questions x {rounds} rounds after a warm-up round "
                        f"(query encoder in ask(): {res['query_encoder']}; torch threads {res['torch_threads']})"))
        extra = (f"; vs the ONNX encode the engine uses: {res['ratio_p50_vs_onnx_encode']:.2f}x"
                 if "ratio_p50_vs_onnx_encode" in res else "")
        say(f"   ratio ask() p50 / bare torch encode p50: {res['ratio_p50']:.2f}x{extra}")
        b = res["breakdown_ms_per_question"]
        say("   where ask() time goes (cProfile, one round, ms/question): "
            + ", ".join(f"{k} {v:.2f}" for k, v in b.items()))
        gs = [self.goal("latency", "warm ask() p50", res["ask"]["p50_ms"], 8, "<=", " ms"),
              self.goal("latency", "ask() p50 / bare model.encode p50", res["ratio_p50"], 1.5, "<=", "x")]
        say(self.goal_table(gs))
        return res

    # --- 3. cold start ----------------------------------------------------------------------

    def _qa_cmd(self) -> list[str]:
        """The `qa` console script, or Skip with the reason it does not start."""
        if not QA_BIN.exists():
            raise Skip(f"{QA_BIN} not installed (run make install)")
        p = subprocess.run([str(QA_BIN), "--help"], capture_output=True, text=True, env=child_env(), cwd=self.tmp)
        if p.returncode != 0:
            raise Skip(f"`qa --help` fails: {(p.stderr.strip().splitlines() or ['?'])[-1]}")
        return [str(QA_BIN)]

    def cold(self) -> dict:
        qa = self._qa_cmd()
        runs = self.args.cold_runs
        question = "How many AI patents had Baidu filed by October 2019?"
        res: dict = {"runs": runs, "question": question}

        def wall(cmd: list[str]) -> float:
            t0 = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=self.tmp)
            dt = time.perf_counter() - t0
            if p.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd[:3])}... exit {p.returncode}: {p.stderr.strip()[-300:]}")
            return dt

        wall(qa + ["--help"])  # first run fills the page cache; not counted
        res["help_s"] = [round(wall(qa + ["--help"]), 3) for _ in range(runs)]
        ask_cmd = qa + ["ask", question, "--corpus", str(self.corpus), "--index", str(self.index)]
        wall(ask_cmd)
        res["ask_s"] = [round(wall(ask_cmd), 3) for _ in range(runs)]
        res["help_median_s"] = round(median(res["help_s"]), 3)
        res["ask_median_s"] = round(median(res["ask_s"]), 3)
        res["ask_phases_s"] = self._cold_phases(question)
        say(table(["cold start (whole process)", "median s", "runs"],
                  [["qa --help", fmt(res["help_median_s"], 3), " ".join(f"{x:.2f}" for x in res["help_s"])],
                   ["qa ask (index built, first answer)", fmt(res["ask_median_s"], 3),
                    " ".join(f"{x:.2f}" for x in res["ask_s"])]],
                  title=f"3. Cold start, median of {runs} runs (one unmeasured run first)"))
        say("   qa ask phases in a fresh process (s): "
            + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k}: {v}" for k, v in res["ask_phases_s"].items()))
        gs = [self.goal("cold", "qa --help", res["help_median_s"], 0.5, "<=", " s"),
              self.goal("cold", "qa ask cold, first answer", res["ask_median_s"], 5, "<=", " s")]
        say(self.goal_table(gs))
        return res

    def _cold_phases(self, question: str) -> dict:
        """Time the stages of a cold `qa ask` in a fresh interpreter."""
        script = f"""
import json, sys, time
t = [time.perf_counter()]
import qa.cli; t.append(time.perf_counter())
from qa.engine import get_engine
e = get_engine({str(self.corpus)!r}, {str(self.index)!r}); t.append(time.perf_counter())
e.ask({question!r}); t.append(time.perf_counter())
e.ask({question!r}); t.append(time.perf_counter())
names = ["import qa.cli", "get_engine (load index + encoder)", "first ask", "second ask"]
out = {{n: round(b - a, 3) for n, a, b in zip(names, t, t[1:])}}
out["torch imported"] = "torch" in sys.modules
out["gradio imported"] = "gradio" in sys.modules
print(json.dumps(out))
"""
        t0 = time.perf_counter()
        p = subprocess.run([str(PYTHON), "-c", script], capture_output=True, text=True, env=child_env(), cwd=self.tmp)
        wall = time.perf_counter() - t0
        try:
            out = json.loads(p.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            return {"error": p.stderr.strip()[-300:]}
        out["interpreter start + exit"] = round(wall - sum(v for v in out.values() if isinstance(v, float)), 3)
        return out

    # --- 4. batch ---------------------------------------------------------------------------

    def batch(self) -> dict:
        from bench_util import all_questions

        pool = all_questions()
        sizes = [1000] if self.args.quick else [1000, 10000]
        res: dict = {"sizes": sizes, "ask_many": {}, "qa_batch": {}}
        rng = random.Random(0)
        rows = []
        self.engine.ask_many(pool[:32])  # warm
        for n in sizes:
            qs = [rng.choice(pool) for _ in range(n)]
            t0 = time.perf_counter()
            answers = self.engine.ask_many(qs)
            dt = time.perf_counter() - t0
            assert len(answers) == n
            res["ask_many"][n] = {"seconds": round(dt, 2), "qps": round(n / dt, 1)}
            rows.append([f"ask_many, {n:,} questions (one call, warm engine)", fmt(dt, 2), fmt(n / dt, 1), ""])
        qs = [rng.choice(pool) for _ in range(1000)]
        # cProfile sees only the calling thread, so the breakdown runs without encoder threads
        # (QA_ENCODE_WORKERS=1): the stages as one core does them.
        saved = os.environ.get("QA_ENCODE_WORKERS")
        os.environ["QA_ENCODE_WORKERS"] = "1"
        try:
            res["ask_many_breakdown_ms_per_question"] = b = stage_profile(lambda: self.engine.ask_many(qs), len(qs))
        finally:
            if saved is None:
                del os.environ["QA_ENCODE_WORKERS"]
            else:
                os.environ["QA_ENCODE_WORKERS"] = saved
        # Lever: the question encode alone for those 1,000, as the engine does it and with 2 threads.
        for threads in (1, 2):
            enc = _onnx_encoder(self.engine, threads)
            if enc is None:
                break
            enc.encode(qs[:64])
            t0 = time.perf_counter()
            enc.encode(qs)
            dt = time.perf_counter() - t0
            res[f"onnx_encode_only_{threads}_threads_qps"] = round(len(qs) / dt, 1)
            rows.append([f"lever: ONNX encode only, 1,000 questions, {threads} thread{'s' if threads > 1 else ''}",
                         fmt(dt, 2), fmt(len(qs) / dt, 1), "no retrieval, no answer"])
        try:
            qa = self._qa_cmd()
        except Skip as e:
            res["qa_batch"] = {"skipped": str(e)}
            rows.append(["qa batch", "-", "-", f"skipped: {e}"])
        else:
            # One unmeasured run first, as for the cold section: page cache and bytecode.
            warm_in, warm_out = self.tmp / "batch_warm.txt", self.tmp / "batch_warm.jsonl"
            warm_in.write_text(pool[0].replace("\n", " ") + "\n", encoding="utf-8")
            subprocess.run(qa + ["batch", str(warm_in), "-o", str(warm_out), "--corpus", str(self.corpus),
                                 "--index", str(self.index)], capture_output=True, env=child_env(), cwd=self.tmp)
            for n in sizes:
                qs = [rng.choice(pool) for _ in range(n)]
                inp = self.tmp / f"batch_{n}.txt"
                inp.write_text("\n".join(q.replace("\n", " ") for q in qs) + "\n", encoding="utf-8")
                out = self.tmp / f"batch_{n}.jsonl"
                cmd = qa + ["batch", str(inp), "-o", str(out), "--corpus", str(self.corpus), "--index", str(self.index)]
                t0 = time.perf_counter()
                p = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=self.tmp)
                dt = time.perf_counter() - t0
                if p.returncode not in (0, 1) or not out.exists():
                    res["qa_batch"][n] = {"error": f"exit {p.returncode}: {p.stderr.strip()[-300:]}"}
                    rows.append([f"qa batch, {n:,}", "-", "-", f"error: exit {p.returncode}"])
                    continue
                lines = sum(1 for _ in out.open(encoding="utf-8"))
                import re

                m = re.search(r"([\d,.]+) questions/s", p.stderr)
                own = float(m.group(1).replace(",", "")) if m else None
                res["qa_batch"][n] = {"seconds": round(dt, 2), "qps_wall": round(n / dt, 1), "qps_reported": own,
                                      "output_rows": lines, "exit": p.returncode}
                rows.append([f"qa batch, {n:,} questions (.txt -> .jsonl)", fmt(dt, 2), fmt(n / dt, 1),
                             f"{own:,.0f} q/s after load (its own figure)" if own else ""])
        say(table(["batch", "seconds", "questions/s", "note"], rows,
                  title="4. Batch throughput (questions drawn from dev + held-out, with repeats)"))
        say("   where ask_many() time goes (cProfile, 1,000 questions, one encoder thread, ms/question): "
            + ", ".join(f"{k} {v:.2f}" for k, v in b.items()))
        best_lib = min(v["qps"] for v in res["ask_many"].values())
        gs = [self.goal("batch", "ask_many questions/s (worst size)", best_lib, 300, ">=", " q/s")]
        qb = [v for v in res["qa_batch"].values() if isinstance(v, dict) and "qps_wall" in v]
        if qb:
            gs.append(self.goal("batch", "qa batch questions/s, whole process (worst size)",
                                min(v["qps_wall"] for v in qb), 300, ">=", " q/s"))
        say(self.goal_table(gs))
        return res

    # --- 5. index build ---------------------------------------------------------------------

    def build(self) -> dict:
        # In a fresh process, as `qa index` runs; the worker then also rebuilds after answering
        # a question, as a long-lived process would (faiss and torch share OpenMP settings).
        res = run_worker(HERE / "bench_build.py", [str(self.tmp / "build"), str(self.args.build_docs)],
                         timeout=3600, label="index build")
        if "error" in res:
            raise RuntimeError(res["error"])
        n_docs, inc, again = res["documents"], res["incremental_report"], res["rebuild_after_ask"]
        say(table(["index build", "seconds", "texts", "texts/s"], [
            [f"build_index, {n_docs} docs (rebuild=True)", fmt(res["build_s"], 2), f"{res['chunks']:,} chunks",
             fmt(res["chunks_per_s"], 1) + " chunks/s"],
            ["bare encode_passages(chunks, as embedded: under their title), fresh process", fmt(res["bare_encode_chunks_s"], 2),
             f"{res['chunks']:,}",
             fmt(res["bare_chunks_per_s"], 1)],
            ["bare encode_passages(sentences, as embedded), fresh process", fmt(res["bare_encode_sentences_s"], 2), f"{res['sentences']:,}",
             fmt(res["sentences"] / res["bare_encode_sentences_s"], 1)],
            ["bare encode of both again, warm (same process, after the build)", fmt(res.get("warm_bare_encode_s"), 2),
             "", ""],
            ["incremental, 1 document changed", fmt(res["incremental_one_changed_s"], 2),
             f"{inc['changed']} changed", ""],
            ["incremental, nothing changed", fmt(res["incremental_nothing_changed_s"], 2), "", ""],
            ["encode of a rebuild after an ask() (same process)", fmt(again["encode_s"], 2),
             f"x{again['vs_bare_encode']:.2f} bare", f"torch threads {again['torch_threads_in_encode']}"],
        ], title=f"5. Index build, fresh process, torch threads {res['torch_threads']} "
                 f"({res['corpus_note']}; {res['corpus_mb']} MB)"))
        inside = res["inside_build_s"]
        own_encode = inside.get("encode_passages (chunks + sentences)", 0.0)
        say("   inside that build (s): " + ", ".join(f"{k} {v:.2f}" for k, v in inside.items())
            + f", everything else {res['build_s'] - sum(inside.values()):.2f}; its time outside its own encode is "
            f"{(res['build_s'] - own_encode) / max(own_encode, 1e-9):.1%} of that encode (the same work timed in one "
            "run, so free of the run-to-run swing of ~10 % between separate encodes here)")
        say(f"   overhead: build / (encode chunks + sentences) - 1 = {res['overhead_vs_encode_chunks_and_sentences']:.1%}; "
            f"build / encode chunks only - 1 = {res['overhead_vs_encode_chunks_only']:.1%}; "
            f"time outside encoding {res['non_encode_s']:.2f} s; chunks as embedded (under their title) are "
            f"{res.get('embedded_chars_vs_chunk_text', 1):.2f}x the characters of the passages cited")
        if "profile_top" in res:
            say("   build profile, top functions by own time (s): "
                + "; ".join(f"{k} {v}" for k, v in list(res["profile_top"].items())[:8]))
        gs = [self.goal("build", "build overhead over bare encode (chunks+sentences)",
                        100 * res["overhead_vs_encode_chunks_and_sentences"], 15, "<=", " %")]
        say(self.goal_table(gs))
        return res

    # --- 6. scaling -------------------------------------------------------------------------

    def scale(self) -> dict:
        import numpy as np

        from qa.aliases import expand_aliases
        from qa.index import HNSW_THRESHOLD, current_build
        from qa.text import tokenize

        sizes = [10_000, 100_000] if self.args.quick else [10_000, 100_000, 1_000_000]
        if self.args.scale_sizes:
            sizes = [int(x) for x in self.args.scale_sizes.split(",")]
        work = self.tmp / "scale"
        work.mkdir()
        questions = [r["question"] for r in load_jsonl(DEV)]
        np.save(work / "queries.npy", self.model.encode(questions, normalize_embeddings=True).astype(np.float32))
        (work / "terms.json").write_text(json.dumps([tokenize(expand_aliases(q)) for q in questions]))
        base_build = current_build(self.index)
        res: dict = {"sizes": sizes, "hnsw_threshold": HNSW_THRESHOLD, "per_size": {}, "engine": {},
                     "notes": [
                         "vectors are stored, not encoded: a synthetic chunk = 2-4 random real sentences; "
                         "vector = mean of their stored sentence vectors + N(0, 0.02) noise, re-normalised",
                         "BM25 over those recombined texts (engine tokeniser); the vocabulary stays the seed's, "
                         "so posting lists are denser than real text of that size: pessimistic for BM25",
                         "latency = faiss.search(k=30) + bm25.get_scores + top-30 + dense re-score of the "
                         "candidate union (the engine's retrieval work), 139 dev questions x 3 rounds",
                         "each size/index type runs in its own process; RSS includes the question encoder the engine "
                         "would load (ONNX Runtime when the index has one, else the torch model)",
                         "engine rows: real build_index (encode replaced by the stored-vector lookup) over "
                         "recombined seed documents, then the real ask() in a fresh process",
                     ]}
        rows, erows = [], []
        for n in sizes:
            d = work / f"n{n}"
            budget = self.args.hnsw_budget if n >= 1_000_000 else 3600.0
            b = run_worker(HERE / "bench_scale.py", ["build", str(n), str(d), str(base_build), "--hnsw-budget",
                                                      str(budget)], timeout=budget + 1800, label=f"build {n}")
            entry = {"build": b}
            if "error" in b:
                rows.append([f"{n:,}", "-", "-", "-", "-", "-", "-", "-", "-", b["error"][:80]])
                res["per_size"][n] = entry
                continue
            for kind in ("flat", "hnsw"):
                qr = run_worker(HERE / "bench_scale.py", ["query", str(n), str(d), kind, str(base_build)], timeout=1800,
                                label=f"query {n} {kind}")
                entry[kind] = qr
                if "error" in qr:
                    rows.append([f"{n:,}", kind, "-", "-", "-", "-", "-", "-", "-", qr["error"][:80]])
                    continue
                build_s = b["flat_build_s"] if kind == "flat" else b["hnsw_build_s"]
                disk = b[f"{kind}_disk_mb"] + b["bm25_disk_mb"] + (b["vectors_disk_mb"] if kind == "hnsw" else 0)
                extra = ""
                if kind == "hnsw" and not b["hnsw_complete"]:
                    extra = (f"HNSW stopped at {b['hnsw_added']:,} after {b['hnsw_build_s']:.0f}s budget "
                             f"(full build ~{b['hnsw_full_build_estimate_s']:.0f}s est.); latency/recall/RSS on that")
                rows.append([f"{n:,}", kind, fmt(build_s, 1), fmt(disk, 0), fmt(qr["total"]["p50_ms"], 2),
                             fmt(qr["total"]["p95_ms"], 2), fmt(qr["faiss"]["p50_ms"], 2), fmt(qr["bm25"]["p50_ms"], 2),
                             f"{qr['rss_loaded_mb']:,.0f}/{qr['peak_rss_mb']:,.0f} ({qr.get('rss_anon_mb', 0):,.0f})",
                             (f"{qr['recall_at_10']:.3f}" if "recall_at_10" in qr else "exact") + (" " + extra if extra else "")])
            res["per_size"][n] = entry
            variants = [(n, [], "")] if n <= self.args.engine_max else []
            if self.args.levers and HNSW_THRESHOLD < n <= self.args.engine_max:
                # What exact search would cost at this size (the automatic choice is HNSW).
                variants.append((f"{n}-flat", ["--hnsw-threshold", str(10 * n)], " (lever: flat, exact)"))
            for key, extra, label in variants:
                ed = work / f"e{n}"
                eb = run_worker(HERE / "bench_scale.py", ["engine-build", str(n), str(ed), str(base_build), *extra],
                                timeout=3600, label=f"engine build {n}")
                eq = {"error": "build failed"} if "error" in eb else run_worker(
                    HERE / "bench_scale.py", ["engine-query", str(n), str(ed)], timeout=1800, label=f"engine query {n}")
                res["engine"][key] = {"build": eb, "query": eq}
                shutil.rmtree(ed, ignore_errors=True)
                if "error" in eb or "error" in eq:
                    erows.append([f"{n:,}", "-", "-", "-", "-", "-", "-", (eb.get("error") or eq.get("error"))[:90]])
                else:
                    erows.append([f"{eq['chunks']:,}", eq["index_type"], fmt(eb["build_s"], 1), fmt(eb["index_disk_mb"], 0),
                                  fmt(eq["ask"]["p50_ms"], 2), fmt(eq["ask"]["p95_ms"], 2),
                                  f"{eq['rss_loaded_mb']:,.0f}/{eq['peak_rss_mb']:,.0f} ({eq.get('rss_anon_mb', 0):,.0f})",
                                  " ".join(f"{k.split(' ')[0]} {v:.1f}" for k, v in eq.get("breakdown_ms_per_question", {}).items()
                                           if not k.startswith("total")) + label])
            shutil.rmtree(d, ignore_errors=True)
            self.results["sections"]["scale"] = res
            self.save()
        say(table(["chunks", "index", "build s", "disk MB", "p50 ms", "p95 ms", "faiss p50", "bm25 p50",
                   "RSS MB load/peak (anon)", "recall@10"], rows,
                  title="6. Scaling: retrieval (FAISS + BM25) on synthetic chunks, stored vectors"))
        if erows:
            say(table(["chunks", "index", "build s", "disk MB", "ask() p50", "ask() p95", "RSS MB load/peak (anon)",
                       "ms/question by stage (cProfile)"],
                      erows, title="   the real engine (build_index with stored vectors, then ask()) at size"))
        if 1_000_000 not in sizes:
            say("   1M chunks skipped (--quick)")
        gs = []
        if 100_000 in res["engine"]:
            e100 = res["engine"][100_000].get("query", {})
            gs.append(self.goal("scale", "100k chunks: ask() p50", e100.get("ask", {}).get("p50_ms"), 20, "<=", " ms"))
            gs.append(self.goal("scale", "100k chunks: ask() process RSS (peak)", e100.get("peak_rss_mb"), 1024,
                                "<=", " MB"))
        m = res["per_size"].get(1_000_000, {})
        auto = "hnsw" if 1_000_000 > HNSW_THRESHOLD else "flat"
        res["auto_index_type_at_1M"] = auto
        if m.get(auto):
            gs.append(self.goal("scale", f"1M chunks ({auto}, auto): process RSS (peak)", m[auto].get("peak_rss_mb"),
                                4096, "<=", " MB"))
        if m.get("hnsw"):
            gs.append(self.goal("scale", "1M chunks: HNSW recall@10 vs exact", m["hnsw"].get("recall_at_10"), 0.95, ">="))
            gs.append(self.goal("scale", "1M chunks: HNSW retrieval p50", m["hnsw"].get("total", {}).get("p50_ms"),
                                20, "<=", " ms"))
        say(self.goal_table(gs))
        return res

    # --- 7. served --------------------------------------------------------------------------

    def served(self) -> dict:
        import importlib.util

        if importlib.util.find_spec("qa.ui") is None:
            raise Skip("qa/ui.py (qa serve) does not exist yet")
        try:
            from gradio_client import Client
        except ImportError as e:
            raise Skip(f"gradio_client not installed ({e}); pip install gradio_client") from e
        qa = self._qa_cmd()
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        log = open(self.tmp / "serve.log", "w")
        t0 = time.perf_counter()
        proc = subprocess.Popen(qa + ["serve", "--host", "127.0.0.1", "--port", str(port), "--corpus", str(self.corpus),
                                      "--index", str(self.index)], stdout=log, stderr=subprocess.STDOUT,
                                env=child_env(), cwd=self.tmp, start_new_session=True)
        try:
            ready = self._wait_http(url, proc, timeout=180)
            startup = time.perf_counter() - t0
            if not ready:
                raise Skip(f"qa serve did not answer on {url} within 180 s (exit {proc.poll()}): "
                           + (self.tmp / "serve.log").read_text()[-300:].replace("\n", " | "))
            return self._load_test(Client, url, startup, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()

    @staticmethod
    def _wait_http(url: str, proc, timeout: float) -> bool:
        import urllib.request

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.5)
        return False

    def _load_test(self, Client, url: str, startup: float, server_pid: int) -> dict:
        """The same bounded load per kind of client: the JSON route (POST /api/ask), then the
        Gradio /ask API through gradio_client (always the queue: POST /queue/join + an event
        stream) and through raw HTTP (a lighter client than gradio_client), both the direct POST
        /gradio_api/run/ask (the API is declared outside the queue) and the queued POST
        /gradio_api/call/ask + event stream, which still answers."""
        from bench_util import all_questions

        pool = all_questions()
        res = {"url": url, "startup_s": round(startup, 2), "clients": 10, "requests": self.args.served_requests}
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        res["json_route"] = self._drive(lambda: _JsonRoute(port), pool, server_pid)
        res["gradio_client"] = self._drive(lambda: _GradioClient(Client, url), pool, server_pid)
        res["raw_http"] = self._drive(lambda: _RawGradioRun(port), pool, server_pid)
        # Levers, not goals. The queued raw path (what raw_http measured before the API left
        # the queue) still answers.
        res["raw_http_queued"] = self._drive(lambda: _RawGradioHttp(port), pool, server_pid)
        # A call without a session_hash makes Gradio build a fresh SessionState (the config of
        # every block of the app, ~2-3 ms on the event loop); one per client skips that.
        res["raw_http_session_hash"] = self._drive(lambda: _RawGradioRun(port, session_hash=True), pool, server_pid)
        # gradio_client makes a new httpx client (and SSL context, ~25 ms of CPU even for
        # http://) two or three times a call; one shared context skips that.
        res["gradio_client_one_ssl_context"] = self._drive(lambda: _GradioClient(Client, url, one_ssl_context=True),
                                                           pool, server_pid)
        res["server_rss_mb"] = proc_status_mb("VmRSS", server_pid)
        clients = (("JSON route (POST /api/ask, keep-alive)", "json_route", "JSON route"),
                   ("gradio_client.Client.predict (queue + SSE)", "gradio_client", "gradio_client"),
                   ("raw HTTP (POST /gradio_api/run/ask)", "raw_http", "Gradio raw HTTP"))
        rows = []
        lever = (("lever: raw HTTP, queued (POST /gradio_api/call/ask + SSE GET)", "raw_http_queued", ""),
                 ("lever: raw HTTP, run/ask with a session_hash per client", "raw_http_session_hash", ""),
                 ("lever: gradio_client, Client(url, ssl_verify=<one SSLContext>)", "gradio_client_one_ssl_context", ""),)
        for name, r in ((name, res[key]) for name, key, _ in clients + lever):
            s = r.get("latency") or {}
            rows.append([name, fmt(r["answers_per_s"], 1), fmt(s.get("p50_ms"), 1), fmt(s.get("p95_ms"), 1),
                         fmt(s.get("p99_ms"), 1), r["errors"], fmt(r["server_cpu_ms_per_request"], 1),
                         fmt(r["client_cpu_ms_per_request"], 1)])
        say(table(["client (10 threads)", "answers/s", "p50 ms", "p95 ms", "p99 ms", "errors",
                   "server CPU ms/req", "client CPU ms/req"], rows,
                  title=f"7. Served: qa serve on 127.0.0.1 (up in {startup:.1f} s, RSS {res['server_rss_mb']} MB), "
                        f"10 concurrent clients sharing {self.args.served_requests} requests, per kind of client"))
        for _, key, label in clients + lever:
            if res[key]["error_samples"]:
                say(f"   errors ({label or key}), e.g.: {res[key]['error_samples'][0]}")
        gs = []
        for label, r in ((label, res[key]) for _, key, label in clients):
            s = r.get("latency") or {}
            gs += [self.goal("served", f"served answers/s, {label}", r["answers_per_s"], 40, ">=", "/s"),
                   self.goal("served", f"served p95, {label}", s.get("p95_ms"), 150, "<=", " ms"),
                   self.goal("served", f"served errors, {label}", r["errors"], 0, "<=")]
        say(self.goal_table(gs))
        return res

    def _drive(self, make_client, pool: list[str], server_pid: int) -> dict:
        total, n_clients = self.args.served_requests, 10
        clients = [make_client() for _ in range(n_clients)]
        clients[0].ask(pool[0])  # warm the route
        lock = threading.Lock()
        state = {"next": 0}
        lat: list[float] = []
        errors: list[str] = []

        def worker(client):
            while True:
                with lock:
                    i = state["next"]
                    if i >= total:
                        return
                    state["next"] += 1
                q = pool[i % len(pool)]
                t0 = time.perf_counter()
                try:
                    out = client.ask(q)
                    ok = isinstance(out, dict) and "answer" in out and "citations" in out
                    err = None if ok else f"unexpected result {str(out)[:100]}"
                except Exception as e:  # every failure kind counts as an error, with its message
                    err = f"{type(e).__name__}: {str(e)[:160]}"
                dt = time.perf_counter() - t0
                with lock:
                    (errors.append(err) if err else lat.append(dt))

        threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
        server_cpu0, own0 = _proc_cpu_s(server_pid), os.times()
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        wall = time.perf_counter() - t0
        server_cpu, own = _proc_cpu_s(server_pid) - server_cpu0, os.times()
        client_cpu = (own.user - own0.user) + (own.system - own0.system)
        for c in clients:
            c.close()
        done = max(len(lat) + len(errors), 1)
        return {"wall_s": round(wall, 2), "answers_per_s": round(len(lat) / wall, 1), "ok": len(lat),
                "errors": len(errors), "error_samples": sorted(set(errors))[:5],
                "latency": latency_summary(lat) if lat else None,
                "server_cpu_ms_per_request": round(server_cpu * 1000 / done, 2),
                "client_cpu_ms_per_request": round(client_cpu * 1000 / done, 2),
                "server_cpu_share": round(server_cpu / (wall * (os.cpu_count() or 1)), 3),
                "client_cpu_share": round(client_cpu / (wall * (os.cpu_count() or 1)), 3)}

    # --- run --------------------------------------------------------------------------------

    def run_section(self, name: str) -> bool:
        """Run one section; False when it was skipped (so it can be retried at the end)."""
        say("")
        quiet = wait_quiet(max_wait=self.args.quiet_wait) if self.args.quiet_wait > 0 else {}
        if quiet and quiet["waited_s"] > 2.5:
            say(f"({name}: waited {quiet['waited_s']:.0f} s for other processes to leave the CPU"
                f"{'' if quiet['quiet'] else '; they did not'})")
        load = os.getloadavg()
        git0 = git_state()
        meter = CpuMeter()
        t0 = time.perf_counter()
        try:
            res = getattr(self, name)()
            ok = True
        except Skip as e:
            res, ok = {"skipped": str(e)}, False
            say(f"{SECTIONS.index(name) + 1}. {name}: skipped: {e}")
        except Exception as e:  # one broken section must not lose the others' figures
            res, ok = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}, True
            say(f"{SECTIONS.index(name) + 1}. {name}: ERROR {type(e).__name__}: {e}")
            traceback.print_exc()
        res["section_seconds"] = round(time.perf_counter() - t0, 1)
        res["loadavg_at_start"] = [round(x, 2) for x in load]
        res["quiet_wait"] = quiet
        res["git_at_start"] = git0
        if git0 != self.results["machine"].get("git_commit_state"):
            res["note"] = ("the engine code changed since the benchmark started: in-process parts ran the "
                           "code loaded at start, subprocess parts (cold, qa batch, scale, served) the new code")
        if "note" in res:
            say(f"   note: {res['note']}")
        res["foreign_cpu_share"] = share = round(meter.foreign_share(), 3)
        if share >= 0.05:
            say(f"   note: other processes used {share:.0%} of the machine's CPU during this section; "
                "its timings are slower than on a quiet machine")
        self.results["sections"][name] = res
        self.save()
        return ok

    def finish(self) -> None:
        say("")
        rows = [[r["section"], r["goal"], "-" if r["measured"] is None else f"{r['measured']:,.4g}", r["target"],
                 r["status"]] for r in self.results["goals"]]
        say(table(["section", "goal", "measured", "target", "status"], rows, title="Goals"))
        failed = [r for r in self.results["goals"] if r["status"] == "FAIL"]
        self.results["summary"] = {"goals": len(rows), "failed": len(failed),
                                   "skipped_sections": [k for k, v in self.results["sections"].items() if "skipped" in v]}
        self.save()
        say(f"\n{len(rows) - len(failed)}/{len(rows)} goals met. Figures: {self.args.out}")


def _onnx_encoder(engine, threads: int):
    """A fresh ONNX question encoder like the engine's, with `threads` intra-op threads; None if
    the engine has none (it reads QA_ONNX_THREADS when built)."""
    if getattr(engine, "onnx", None) is None:
        return None
    from qa.onnx_encoder import OnnxQueryEncoder

    old = os.environ.get("QA_ONNX_THREADS")
    os.environ["QA_ONNX_THREADS"] = str(threads)
    try:
        return OnnxQueryEncoder(engine.store.path)
    finally:
        if old is None:
            del os.environ["QA_ONNX_THREADS"]
        else:
            os.environ["QA_ONNX_THREADS"] = old


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _GradioClient:
    def __init__(self, Client, url: str, one_ssl_context: bool = False):
        import ssl

        # httpx takes an SSLContext wherever it takes verify=, and gradio_client passes
        # ssl_verify on to every httpx call it makes.
        kwargs = {"ssl_verify": ssl.create_default_context()} if one_ssl_context else {}
        self.client = Client(url, verbose=False, **kwargs)

    def ask(self, question: str) -> dict:
        return self.client.predict(question, api_name="/ask")

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close:
            close()


class _JsonRoute:
    """qa's own JSON route: one keep-alive connection per client, POST /api/ask."""

    def __init__(self, port: int):
        import http.client

        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def ask(self, question: str) -> dict:
        self.conn.request("POST", "/api/ask", json.dumps({"question": question, "k": 5}),
                          {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        payload = r.read()
        if r.status != 200:
            raise RuntimeError(f"POST {r.status}: {payload[:160]!r}")
        return json.loads(payload)

    def close(self) -> None:
        self.conn.close()


class _RawGradioRun:
    """Gradio's direct HTTP API (an event outside the queue): one POST, the outputs in its reply."""

    def __init__(self, port: int, session_hash: bool = False):
        import http.client
        import uuid

        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.extra = {"session_hash": uuid.uuid4().hex[:12]} if session_hash else {}

    def ask(self, question: str) -> dict:
        body = json.dumps({"data": [question, 5], **self.extra})
        self.conn.request("POST", "/gradio_api/run/ask", body, {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        payload = r.read()
        if r.status != 200:
            raise RuntimeError(f"POST {r.status}: {payload[:160]!r}")
        return json.loads(payload)["data"][0]

    def close(self) -> None:
        self.conn.close()


class _RawGradioHttp:
    """Gradio's HTTP API by hand: POST the inputs, then read the event stream to 'complete'."""

    def __init__(self, port: int):
        import http.client

        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def ask(self, question: str) -> dict:
        body = json.dumps({"data": [question, 5]})
        self.conn.request("POST", "/gradio_api/call/ask", body, {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        payload = r.read()
        if r.status != 200:
            raise RuntimeError(f"POST {r.status}: {payload[:120]!r}")
        event_id = json.loads(payload)["event_id"]
        self.conn.request("GET", f"/gradio_api/call/ask/{event_id}")
        r = self.conn.getresponse()
        text = r.read().decode("utf-8")
        event = None
        for line in text.splitlines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = json.loads(line.split(":", 1)[1])
                if event == "error":
                    raise RuntimeError(f"server error: {str(data)[:160]}")
                return data[0]
        raise RuntimeError(f"no complete event in stream: {text[:120]!r}")

    def close(self) -> None:
        self.conn.close()


def parse_sections(spec: str | None) -> list[str]:
    if not spec:
        return list(SECTIONS)
    out = []
    for part in spec.split(","):
        part = part.strip().lower()
        if part.isdigit() and 1 <= int(part) <= len(SECTIONS):
            out.append(SECTIONS[int(part) - 1])
        elif part in SECTIONS:
            out.append(part)
        else:
            raise SystemExit(f"--sections: unknown section {part!r}; choose from 1-7 or {', '.join(SECTIONS)}")
    return sorted(set(out), key=SECTIONS.index)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 1M-chunk scale step and the 10,000-question batch")
    ap.add_argument("--sections", help="comma-separated numbers or names: " + ",".join(SECTIONS))
    ap.add_argument("--out", default=str(RESULTS), help="JSON results file (default %(default)s)")
    ap.add_argument("--rounds", type=int, default=5, help="warm latency rounds over the dev set")
    ap.add_argument("--cold-runs", type=int, default=5, help="runs per cold-start command")
    ap.add_argument("--build-docs", type=int, default=200, help="documents in the index-build corpus")
    ap.add_argument("--served-requests", type=int, default=200)
    ap.add_argument("--engine-max", type=int, default=100_000,
                    help="largest size for the real-engine build+ask() scale step")
    ap.add_argument("--hnsw-budget", type=float, default=480.0,
                    help="seconds allowed for adding vectors to the 1M HNSW index before it stops")
    ap.add_argument("--quiet-wait", type=float, default=60.0,
                    help="before each section wait up to this many seconds for other processes' CPU use "
                         "to drop under 20%% (0: do not wait)")
    ap.add_argument("--levers", action="store_true",
                    help="also measure levers that need an extra build (the engine with exact search above "
                         "the HNSW threshold)")
    ap.add_argument("--scale-sizes", help="comma-separated chunk counts for section 6 (default 10k,100k,1M)")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = ap.parse_args(argv)
    sections = parse_sections(args.sections)

    logging.disable(logging.WARNING)  # the engine's "building index" lines would break the tables
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    bench = Bench(args)
    t_start = time.perf_counter()
    m = bench.results["machine"]
    say(f"qa benchmark  {m['date']}  {m['cpu_count']} cpu ({m['cpu_model']}), {m['mem_total_gb']} GB, "
        f"python {m['python']}, torch {m['torch_version']}, faiss {m['faiss_version']}, bm25s {m['bm25s_version']}")
    say(f"sections: {', '.join(sections)}{'  (quick)' if args.quick else ''}; temp folder {bench.tmp}")
    try:
        bench.setup()
        s = bench.results["setup"]
        say(f"setup: model load {s['model_load_s']:.1f} s; seed index ({s['seed_index']['chunks']} chunks) "
            f"built in {s['seed_index_build_s']:.1f} s")
        skipped = [name for name in sections if not bench.run_section(name)]
        for name in skipped:  # commands other issues are still landing may be there by now
            say(f"\nretrying {name} (skipped earlier)")
            bench.run_section(name)
        bench.results["total_seconds"] = round(time.perf_counter() - t_start, 1)
        bench.finish()
        say(f"total {bench.results['total_seconds'] / 60:.1f} min")
    finally:
        if not args.keep:
            shutil.rmtree(bench.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
