"""A question encoder on ONNX Runtime, exported from the sentence-transformers model at index time.

Why: on this 2-core CPU a one-question encode through torch measured ~15 ms against ~7 ms
through ONNX Runtime, and a query process that never imports torch starts seconds sooner.
The fp32 export gives the same mean-pooled, normalised vectors (max difference ~1e-7); the
default int8 copy (dynamic quantisation) gives vectors within cosine ~0.94-1.0 of them, which
the dev set scores the same (README). Documents are always encoded in fp32 by torch. Any model whose pipeline is not
Transformer -> mean Pooling (-> Normalize) keeps the torch path.
"""
from __future__ import annotations

import inspect
import logging
import os
from collections import deque
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import numpy as np

log = logging.getLogger("qa")

ONNX_FILE = "query_encoder.onnx"
INT8_FILE = "query_encoder.int8.onnx"
TOKENIZER_FILE = "query_tokenizer.json"
ENCODER_FILES = (ONNX_FILE, INT8_FILE, TOKENIZER_FILE)
# In the manifest as "query_encoder_version"; a build whose encoder files are of another
# version has them exported again. 2: the files are stored already graph-optimised.
ENCODER_VERSION = 2
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Questions per slice of a large ask_many(): the engine answers a slice while the encoder
# threads work on the next ones.
SLICE = 16
AHEAD_PER_WORKER = 4  # slices queued per encoder thread ahead of the one being answered


def export_query_encoder(model_name: str, dest: Path) -> bool:
    """Write ONNX_FILE and TOKENIZER_FILE into dest; False (with a log line) if not possible."""
    try:
        import onnx  # noqa: F401  (torch.onnx.export needs it)
        import torch

        from qa.embed import load_model
    except ImportError as e:
        log.info("no ONNX query encoder (%s); questions will be encoded with torch", e)
        return False
    model = load_model(model_name)
    modules = list(model)
    names = [type(m).__name__ for m in modules]
    if names[:2] != ["Transformer", "Pooling"] or names[2:] not in ([], ["Normalize"]):
        log.info("no ONNX query encoder for pipeline %s; using torch", names)
        return False
    pooling = modules[1].get_config_dict() if hasattr(modules[1], "get_config_dict") else {}
    if pooling.get("pooling_mode", "mean" if pooling.get("pooling_mode_mean_tokens") else None) != "mean":
        log.info("no ONNX query encoder for pooling %s; using torch", pooling)
        return False
    auto_model = modules[0].auto_model
    hf_tokenizer = model.tokenizer
    if not getattr(hf_tokenizer, "is_fast", False):
        return False
    accepted = inspect.signature(auto_model.forward).parameters
    sample = hf_tokenizer(["a question"], return_tensors="pt")
    inputs = [k for k in _INPUTS if k in sample and k in accepted]

    class LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            return self.inner(**dict(zip(inputs, args))).last_hidden_state

    axes = {k: {0: "batch", 1: "tokens"} for k in [*inputs, "last_hidden_state"]}
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(LastHidden(auto_model).eval(), tuple(sample[k] for k in inputs), str(dest / ONNX_FILE),
                              input_names=inputs, output_names=["last_hidden_state"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        tok = hf_tokenizer.backend_tokenizer
        tok.enable_truncation(max_length=int(modules[0].max_seq_length or 512))
        tok.enable_padding(pad_id=hf_tokenizer.pad_token_id or 0, pad_token=hf_tokenizer.pad_token or "[PAD]")
        tok.save(str(dest / TOKENIZER_FILE))
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # It logs advice on the root logger ("consider pre-processing") at every build: not ours to act on.
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)
        try:
            quantize_dynamic(str(dest / ONNX_FILE), str(dest / INT8_FILE), weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)
        # After quantising, so the int8 weights are those of the plain export, as before.
        for name in (ONNX_FILE, INT8_FILE):
            store_optimized(dest / name)
    except Exception as e:  # exporters fail in many ways; torch remains a correct fallback
        log.warning("could not export an ONNX query encoder (%s); using torch", e)
        for name in ENCODER_FILES:
            (dest / name).unlink(missing_ok=True)
            (dest / (name + ".tmp")).unlink(missing_ok=True)
        return False
    return True


def store_optimized(model_file: Path) -> None:
    """Replace an ONNX file by the graph onnxruntime makes of it when a session loads it.

    Why: optimising the int8 graph (fusing its ~800 nodes into ~310) was most of the time a
    session took to create, paid by every process that answers: 115 -> 47 ms (median of 10)
    here, ~65 ms off `qa batch`'s start. The saved graph gives the same vectors bit for bit
    (the same optimisations, done once). Only up to the EXTENDED level: onnxruntime warns that a graph saved above it
    may hold optimisations for this CPU only, and an index may be copied to another machine.
    The session applies the rest when it loads."""
    import onnxruntime as ort

    tmp = model_file.with_name(model_file.name + ".tmp")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(tmp)
    ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
    os.replace(tmp, model_file)


def precision() -> str:
    """int8 by default: on the dev set it kept hit@1 within one question of fp32 and cut a
    question's encode from ~8.6 ms to ~3.7 ms here. QA_ONNX_PRECISION=fp32 opts out."""
    value = os.environ.get("QA_ONNX_PRECISION", "int8")
    if value not in ("int8", "fp32"):
        raise ValueError(f"QA_ONNX_PRECISION must be 'int8' or 'fp32', got {value!r}")
    return value


class OnnxQueryEncoder:
    def __init__(self, folder: Path):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        # One intra-op thread measured fastest for a single question on 2 cores; spinning
        # threads would steal the core a concurrent request needs.
        options.intra_op_num_threads = int(os.environ.get("QA_ONNX_THREADS") or 1)
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.precision = precision()
        model_file = folder / (INT8_FILE if self.precision == "int8" else ONNX_FILE)
        self.session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        dim = self.session.get_outputs()[0].shape[-1]
        self.dim = dim if isinstance(dim, int) else 0  # only for an empty encode's shape
        self._pool = None  # encoder threads for large ask_many() calls, started on first use

    @classmethod
    def available(cls, folder: Path) -> bool:
        backend = os.environ.get("QA_BACKEND") or "onnx"
        if backend not in ("onnx", "torch"):
            raise ValueError(f"QA_BACKEND must be 'onnx' or 'torch', got {backend!r}")
        if backend == "torch":
            return False
        model_file = INT8_FILE if precision() == "int8" else ONNX_FILE
        if not ((folder / model_file).is_file() and (folder / TOKENIZER_FILE).is_file()):
            return False
        try:
            import onnxruntime  # noqa: F401
            import tokenizers  # noqa: F401
        except ImportError:
            return False
        return True

    @property
    def per_question(self) -> bool:
        """int8 encodes one question per run. Dynamic quantisation scales activations per
        batch, so a question's vector would depend on its neighbours; one at a time keeps
        ask(q) == ask_many([..., q])[i] and measured as fast as batching here (no padding)."""
        return self.precision == "int8"

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if self.per_question:
            return self._encode_each(texts)
        out = []
        # Similar lengths batched together waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(texts), batch_size):
            idx = order[start: start + batch_size]
            out.append((idx, self._run(self.tokenizer.encode_batch([texts[i] for i in idx]))))
        result = np.zeros((len(texts), out[0][1].shape[1] if out else 0), dtype=np.float32)
        for idx, vecs in out:
            result[idx] = vecs
        return result

    def encode_slices(self, texts: list[str], step: int = SLICE) -> Iterator[tuple[int, np.ndarray]]:
        """(start, vectors of texts[start:start + step]) in order, for a caller that answers
        each slice while the next ones are encoded.

        Per-question encodes spread over encode_workers() threads (onnxruntime runs without the
        GIL), each question still encoded alone, so its vector is the one encode() gives.
        Otherwise one slice holding everything."""
        workers = encode_workers()
        if not self.per_question or workers < 2 or len(texts) <= step:
            yield 0, self.encode(texts)
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="qa-encode")
        starts = iter(range(0, len(texts), step))
        # Slices queued ahead of the reader: enough that no thread waits while the caller
        # answers, few enough that a slow reader (writing answers out) does not pile up vectors.
        futures = deque((i, self._pool.submit(self._encode_each, texts[i: i + step]))
                        for i in islice(starts, AHEAD_PER_WORKER * workers))
        try:
            while futures:
                i, future = futures.popleft()
                for nxt in islice(starts, 1):
                    futures.append((nxt, self._pool.submit(self._encode_each, texts[nxt: nxt + step])))
                yield i, future.result()
        finally:  # the caller stopped early (an error while answering): drop the queued work
            for _, future in futures:
                future.cancel()

    def _encode_each(self, texts: list[str]) -> np.ndarray:
        vecs = [self._run([self.tokenizer.encode(t)]) for t in texts]
        return np.concatenate(vecs) if vecs else np.zeros((0, self.dim), dtype=np.float32)

    def _run(self, encs) -> np.ndarray:
        """Mean-pooled, normalised vectors of tokenised texts (one run of the session)."""
        feed = {
            "input_ids": np.array([e.ids for e in encs], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64),
        }
        hidden = self.session.run(None, {k: feed[k] for k in self.inputs})[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        vecs = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return vecs


def encode_workers() -> int:
    """Threads that encode a large ask_many() at once: QA_ENCODE_WORKERS, else one per core."""
    value = os.environ.get("QA_ENCODE_WORKERS")
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"QA_ENCODE_WORKERS must be an integer >= 1, got {value!r}")
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
