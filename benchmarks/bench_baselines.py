"""Plain retrieval baselines over the engine's own chunks, scored like `qa eval`.

Same chunks (read back from the built index), same questions, same `holds()` scoring:
- bm25:  bm25s over the chunk texts with bm25s's default tokenisation (lower-case, English
         stopwords, no stemming), questions tokenised the same way.
- dense: sentence_transformers.util.semantic_search of the question vector over the stored
         chunk vectors (cosine).
- rrf:   plain reciprocal-rank fusion of the two full rankings, k = 60.
The baseline's answer is the sentence of the top passage with the highest cosine to the
question (the index's stored sentence vectors). Baselines never abstain; a second variant
abstains when that sentence's cosine is below a threshold picked on the dev set (the
highest one that wrongly abstains on <= 4 % of answerable dev questions) and reused as-is
on the held-out set.
"""
from __future__ import annotations

import numpy as np

RRF_K = 60
TOP_K = 5
WRONG_ABSTAIN_BUDGET = 0.04


class Baselines:
    def __init__(self, store, model):
        import bm25s

        self.store = store
        self.model = model
        n = store.n_chunks
        self.texts = [store.chunk_text(i) for i in range(n)]
        self.chunk_vecs = np.array(store.chunk_vectors, dtype=np.float32)  # a writable copy for torch
        self.sent_vecs = np.asarray(store.sentence_vectors, dtype=np.float32)
        self.rows = np.asarray(store.chunk_rows)
        self.sentences = np.asarray(store.sentences)
        self.bm25 = bm25s.BM25()
        self.bm25.index(bm25s.tokenize(self.texts, return_ids=False, show_progress=False), show_progress=False)
        self.vocab = self.bm25.vocab_dict

    def rankings(self, questions: list[str]) -> dict[str, list[np.ndarray]]:
        """Full rankings (chunk rows, best first) per method per question, plus question vectors."""
        import bm25s
        import torch
        from sentence_transformers import util

        qvecs = self.model.encode(questions, normalize_embeddings=True, convert_to_numpy=True)
        self.qvecs = np.asarray(qvecs, dtype=np.float32)
        n = len(self.texts)
        dense_hits = util.semantic_search(torch.from_numpy(self.qvecs), torch.from_numpy(self.chunk_vecs), top_k=n)
        dense = [np.array([h["corpus_id"] for h in hits]) for hits in dense_hits]
        lex = []
        for toks in bm25s.tokenize(questions, return_ids=False, show_progress=False):
            known = [t for t in toks if t in self.vocab]
            scores = self.bm25.get_scores(known) if known else np.zeros(n, np.float32)
            lex.append(np.argsort(-scores, kind="stable"))
        rrf = []
        for d, b in zip(dense, lex):
            fused = np.zeros(n)
            fused[d] += 1.0 / (RRF_K + 1 + np.arange(n))
            fused[b] += 1.0 / (RRF_K + 1 + np.arange(n))
            rrf.append(np.argsort(-fused, kind="stable"))
        return {"bm25": lex, "dense": dense, "rrf": rrf}

    def best_sentence(self, row: int, qvec: np.ndarray) -> tuple[str, float]:
        r = self.rows[row]
        lo, hi = int(r["sent_lo"]), int(r["sent_hi"])
        sims = self.sent_vecs[lo:hi] @ qvec
        j = int(np.argmax(sims))
        _, a, b = self.sentences[lo + j]
        start = int(r["start"])
        return self.texts[row][int(a) - start: int(b) - start], float(sims[j])

    def details(self, rows: list[dict]) -> dict[str, list[dict]]:
        from qa.evaluate import holds

        questions = [r["question"] for r in rows]
        ranks = self.rankings(questions)
        out = {}
        for method, per_q in ranks.items():
            det = []
            for qi, (row, order) in enumerate(zip(rows, per_q)):
                top = [int(i) for i in order[:TOP_K]]
                answer, cos = self.best_sentence(top[0], self.qvecs[qi])
                det.append({
                    "answerable": row["answerable"],
                    "hit_rank": next((i + 1 for i, c in enumerate(top) if holds(self.texts[c], row["answers"])), None),
                    "answer_hit": holds(answer, row["answers"]),
                    "cos": cos,
                })
            out[method] = det
        return out


def score(details: list[dict], threshold: float | None = None) -> dict:
    """hit@1/@5 and answer hit over answerable rows; abstention counts (cos < threshold)."""
    ans = [d for d in details if d["answerable"]]
    una = [d for d in details if not d["answerable"]]
    n = max(len(ans), 1)
    abstains = (lambda d: False) if threshold is None else (lambda d: d["cos"] < threshold)
    return {
        "questions": len(details),
        "answerable": len(ans),
        "unanswerable": len(una),
        "hit_at_1": sum(1 for d in ans if d["hit_rank"] == 1) / n,
        "hit_at_5": sum(1 for d in ans if d["hit_rank"] and d["hit_rank"] <= 5) / n,
        # An abstained answer holds nothing, as in qa eval.
        "answer_hit": sum(1 for d in ans if d["answer_hit"] and not abstains(d)) / n,
        "abstained_unanswerable": sum(1 for d in una if abstains(d)),
        "abstained_answerable": sum(1 for d in ans if abstains(d)),
        "threshold": threshold,
    }


def pick_threshold(details: list[dict]) -> float:
    """Highest cosine threshold that wrongly abstains on at most 4 % of answerable questions."""
    cos = sorted(d["cos"] for d in details if d["answerable"])
    allowed = int(WRONG_ABSTAIN_BUDGET * len(cos))
    # Abstaining below cos[allowed] refuses exactly `allowed` answerable questions (ties aside).
    return float(cos[allowed]) if cos else 0.0
