"""Grid-search fusion, sentence and confidence settings on the dev set; report held-out too.

    .venv/bin/python benchmarks/tune.py [--index /tmp/idx]

Prints figures only; the chosen constants are copied by hand into qa/retrieve.py and
qa/answer.py, so the held-out set is never tuned on automatically.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import answer as answer_mod  # noqa: E402
from qa import get_engine  # noqa: E402
from qa.aliases import expand_aliases  # noqa: E402
from qa.evaluate import holds, load_questions  # noqa: E402
from qa.retrieve import Retriever  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def prepare(engine, rows):
    """Queries and vectors exactly as Engine.ask_many makes them (aliases, the index's encoder)."""
    qs = [r["question"] for r in rows]
    expanded = [expand_aliases(q) for q in qs]
    vecs = np.vstack([engine.encode([e]) for e in expanded])
    queries = [engine.retriever.parse(q, e) for q, e in zip(qs, expanded)]
    return queries, vecs


def retrieval_scores(engine, rows, queries, vecs, retriever):
    hits = retriever.search_many(queries, vecs)
    ans = [(r, h) for r, h in zip(rows, hits) if r["answerable"]]
    at = {}
    for kk in (1, 5):
        ok = 0
        for r, h in ans:
            texts = [c.text for c in engine.answerer.citations(h, kk, None)]
            ok += any(holds(t, r["answers"]) for t in texts)
        at[kk] = ok / len(ans)
    return at, hits


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 20000) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression by gradient descent; a little L2 keeps weights readable."""
    w = np.zeros(X.shape[1])
    b = 0.0
    sw = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    for _ in range(steps):
        g = (1 / (1 + np.exp(-(X @ w + b))) - y) * sw
        w -= 0.1 * (X.T @ g / len(y) + l2 * w)
        b -= 0.1 * g.mean()
    return w, b


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default="/tmp/idx")
    ap.add_argument("--label-hit", action="store_true")
    ap.add_argument("--folds", type=int, default=10)
    args = ap.parse_args()
    engine = get_engine(index=args.index)
    sets = {name: load_questions(DATA / f"{name}_questions.jsonl") for name in ("dev", "heldout")}
    prepared = {name: prepare(engine, rows) for name, rows in sets.items()}

    print("== fusion (hit@1 / hit@5)")
    configs = [("rrf", 0.5)] + [("blend", w) for w in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0)]
    for fusion, w in configs:
        r = Retriever(engine.store, fusion=fusion, dense_weight=w)
        line = []
        for name, rows in sets.items():
            at, _ = retrieval_scores(engine, rows, *prepared[name], r)
            line.append(f"{name} {at[1]:.3f}/{at[5]:.3f}")
        print(f"{fusion:5} w={w:.1f}  " + "  ".join(line))

    hits = {name: engine.retriever.search_many(*prepared[name]) for name in sets}
    cands = {
        name: [engine.answerer.candidates(q, v, h) for q, v, h in zip(*prepared[name], hits[name])]
        for name in sets
    }

    print("== sentence weights (answer hit among answerable, best sentence)")
    grid = {"cos": [1.0], "cos_window": [0.0, 0.5, 1.0], "coverage": [0.3, 0.6, 1.0],
            "coverage_window": [0.0, 0.5, 1.0], "passage": [0.3, 0.6, 1.0],
            "type": [0.3, 0.6], "short": [-0.5], "slot": [0.0, 0.3, 0.6],
            "heading": [0.0, -0.3, -0.6, -1.0], "echo": [0.0, -0.3, -0.6]}
    chosen = dict(answer_mod.SENTENCE_WEIGHTS)
    results = []
    for combo in itertools.product(*grid.values()):
        weights = dict(zip(grid, combo))
        answer_mod.SENTENCE_WEIGHTS = weights
        score = {}
        for name, rows in sets.items():
            ok = n = 0
            for r, cs in zip(rows, cands[name]):
                if not r["answerable"] or not cs:
                    continue
                best = max(cs, key=lambda c: answer_mod.sentence_score(c.features))
                ok += holds(best.text, r["answers"])
                n += 1
            score[name] = ok / n
        results.append((score["dev"], score["heldout"], weights))
    for dev, held, w in results:
        if all(w.get(k_, 0.0) == v_ for k_, v_ in chosen.items()) and all(chosen.get(k_, 0.0) == v_ for k_, v_ in w.items()):
            print(f"current: dev {dev:.3f} heldout {held:.3f}")
    results.sort(key=lambda x: -x[0])
    for dev, held, w in results[:int(os.environ.get("TOP", 8))]:
        print(f"dev {dev:.3f} heldout {held:.3f} {w}")

    # The confidence fit reads the sentences chosen by qa/answer.py's own weights: the grid's top
    # row is often a tie, and a change there is made by hand.
    answer_mod.SENTENCE_WEIGHTS = chosen
    print("== confidence features of the chosen sentence (logistic fit on dev)")
    names = list(answer_mod.CONFIDENCE_WEIGHTS)
    names = [n for n in names if n not in os.environ.get("DROP", "").split(",")]  # to try fewer

    def matrix(name):
        X, y, hit = [], [], []
        for r, cs, hs in zip(sets[name], cands[name], hits[name]):
            best = max(cs, key=lambda c: answer_mod.sentence_score(c.features))
            feats = answer_mod.decision_features(best, cs, hs)
            X.append([feats[f] for f in names])
            y.append(1.0 if r["answerable"] else 0.0)
            hit.append(holds(best.text, r["answers"]) if r["answerable"] else False)
        return np.array(X), np.array(y), np.array(hit)

    X, y, hit_dev = matrix("dev")
    if "--label-hit" in sys.argv:
        y = hit_dev.astype(float)  # fit "the chosen sentence is right" instead of "answerable"
    wts, b = fit_logistic(X, y)
    print("weights", dict(zip(names, np.round(wts, 2))), "bias", round(b, 2))
    # Out-of-fold confidences: each dev question scored by a fit that never saw it. The
    # abstention line is read off these, not off the in-sample fit, which flatters the dev set.
    oof = np.zeros(len(y))
    idx = np.random.default_rng(0).permutation(len(y))
    for k in range(args.folds):
        test = idx[k::args.folds]
        train = np.setdiff1d(idx, test)
        w_k, b_k = fit_logistic(X[train], y[train])
        oof[test] = 1 / (1 + np.exp(-(X[test] @ w_k + b_k)))
    for cap in (0.02, 0.03, 0.04):
        # The highest line that withholds at most `cap` of the answerable questions out-of-fold.
        th = max((t for t in np.arange(0.01, 0.9, 0.005) if (oof < t)[y == 1].mean() <= cap), default=0.0)
        print(f"dev out-of-fold, at most {cap:.0%} answerable withheld: line {th:.3f}, "
              f"abstain-unanswerable {(oof < th)[y == 0].mean():.2f}, answerable {(oof < th)[y == 1].mean():.3f}")
    for th in np.arange(0.10, 0.41, 0.03):
        a = oof < th
        print(f"dev out-of-fold th={th:.2f} abstain-unanswerable {a[y == 0].mean():.2f} "
              f"abstain-answerable {a[y == 1].mean():.3f}")
    for name in sets:
        Xn, yn, hitn = matrix(name)
        conf = 1 / (1 + np.exp(-(Xn @ wts + b)))
        for th in (0.15, 0.19, 0.25, 0.3, 0.4, 0.5):
            abst = conf < th
            una = abst[yn == 0].mean()
            wrong = abst[yn == 1].mean()
            ans_hit = (hitn & ~abst)[yn == 1].mean()
            print(f"{name:8} th={th:.2f} abstain-unanswerable {una:.2f} abstain-answerable {wrong:.3f} answer-hit {ans_hit:.3f}")


if __name__ == "__main__":
    main()
