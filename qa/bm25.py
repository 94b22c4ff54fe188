"""The query side of a saved bm25s index, read without importing bm25s.

bm25s builds and saves the index (`qa.index`); a query only needs its saved arrays. Importing
bm25s imports scipy.sparse and tqdm, ~0.3 s of every `qa ask` / `qa batch` start, for what is
here ~20 lines of numpy. The scores are bm25s's own, operation for operation (its numpy
backend: one `np.add.at` per query term, in order, then the weight mask), so they are equal
bit for bit (tests/test_bm25.py compares them on the dev questions).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

# bm25s's variants that add a per-term score for documents *without* the term (a saved
# nonoccurrence array); the others score from the saved matrix alone.
NONOCCURRENCE_METHODS = frozenset({"bm25l", "bm25+"})


class Bm25Scores:
    """BM25 scores of a query over a bm25s folder (`BM25.save`), memory-mapped.

    Offers the part of `bm25s.BM25` the retriever uses: `vocab_dict`, `scores` (the CSC
    arrays and num_docs) and `get_scores(tokens, weight_mask)`.
    """

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        method = params.get("method")
        if method in NONOCCURRENCE_METHODS:
            raise ValueError(f"BM25 method {method!r} needs bm25s's nonoccurrence scores; "
                             "use bm25s.BM25.load for it")
        self.method = method
        self.dtype = np.dtype(params.get("dtype", "float32"))
        self.int_dtype = np.dtype(params.get("int_dtype", "int32"))
        self.vocab_dict: dict[str, int] = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))

        def array(name: str) -> np.ndarray:
            # A plain ndarray view of the map: np.memmap's Python-level slicing is slower.
            return np.asarray(np.load(folder / f"{name}.csc.index.npy", mmap_mode="r"))

        self.scores = {"data": array("data"), "indices": array("indices"), "indptr": array("indptr"),
                       "num_docs": int(params["num_docs"])}

    def get_scores(self, tokens: list[str], weight_mask: np.ndarray | None = None) -> np.ndarray:
        """One score per document; tokens outside the vocabulary are left out (as bm25s does)."""
        data, indices, indptr = self.scores["data"], self.scores["indices"], self.scores["indptr"]
        ids = np.asarray([self.vocab_dict[t] for t in tokens if t in self.vocab_dict], dtype=self.int_dtype)
        scores = np.zeros(self.scores["num_docs"], dtype=self.dtype)
        for start, end in zip(indptr[ids], indptr[ids + 1]):
            np.add.at(scores, indices[start:end], data[start:end])
        if weight_mask is not None:
            scores *= weight_mask
        return scores
