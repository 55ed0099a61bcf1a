"""``hf:PATH`` and ``local:NAME``: transformers models run in this process.

``hf:PATH`` loads a folder written by ``save_pretrained`` (config.json,
safetensors weights, tokenizer with a chat template) or a ``.gguf`` file;
``local:NAME`` a model that ``tianping models pull NAME`` put in Tianping's
model cache. Options, in the spec's query (``hf:./my-model?batch_size=16``):

``batch_size``  requests answered together (default 8 on CPU; on a GPU as many
                as the free memory holds, up to 256)
``device``      ``cpu``, ``cuda`` or ``cuda:N`` (default: the GPU when there is one)
``dtype``       ``float32``, ``bfloat16`` or ``float16`` (default bfloat16 on GPU,
                float32 on CPU); part of the identity, since it changes answers
``threads``     torch CPU threads (default on CPU: half the logical CPUs)
``compile``     ``1``: static KV cache and compiled decoding (GPU; first batches slow)
``chat_template`` a Jinja file to use instead of the tokenizer's template

torch and transformers are imported only when such a model is built.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import ConfigError, GenerationParams, ModelOutput, RequestRejected, UnknownNameError
from ._base import Adapter
from ._local_batch import Batcher
from ._local_files import ModelFiles, fingerprint, resolve_local, resolve_path
from ._spec import ModelSpec

if TYPE_CHECKING:
    from ._local_gen import LocalSettings

INSTALL_HINT = "pip install 'tianping[local]'"
CPU_BATCH_SIZE = 8
_DTYPES = {
    "float32": "float32",
    "fp32": "float32",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
}
_OPTIONS = ("batch_size", "device", "dtype", "threads", "compile", "chat_template")
_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def require_packages(*names: str) -> None:
    """Raise a ConfigError naming the install command if any of ``names`` is missing."""
    missing = [n for n in names if importlib.util.find_spec(n) is None]
    if missing:
        raise ConfigError(
            f"Local models need {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'}"
            f" not installed. Install them with: {INSTALL_HINT} (on a machine without a GPU, "
            "install a CPU build of torch first: it is a fraction of the size)."
        )


def _int_option(options: dict[str, str], name: str, lo: int, hi: int) -> int | None:
    raw = options.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"Option {name}={raw!r} is not a whole number.") from None
    if not lo <= value <= hi:
        raise ConfigError(f"Option {name}={value} is outside [{lo}, {hi}].")
    return value


def parse_settings(options: dict[str, str]) -> LocalSettings:
    """The LocalSettings the spec's options ask for (imports torch to find a GPU)."""
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ConfigError(
            f"Unknown option(s) {unknown} for a local model; known: {list(_OPTIONS)}."
        )
    from ._local_gen import LocalSettings, cuda_count, default_device

    device = options.get("device", "auto").strip().lower()
    if device == "auto":
        device = default_device()
    kind, _, number = device.partition(":")
    if not (device == "cpu" or (kind == "cuda" and (not number or number.isdigit()))):
        raise ConfigError(f"Option device={device!r}: use cpu, cuda or cuda:N.")
    if kind == "cuda" and int(number or 0) >= cuda_count():
        raise ConfigError(f"Option device={device}: no such GPU here ({cuda_count()} found).")
    dtype = options.get("dtype", "auto").strip().lower()
    if dtype == "auto":
        dtype = "float32" if device == "cpu" else "bfloat16"
    if dtype not in _DTYPES:
        raise UnknownNameError("dtype", dtype, ["auto", *_DTYPES])
    compile_flag = _FLAGS.get(options.get("compile", "0").strip().lower())
    if compile_flag is None:
        raise ConfigError(f"Option compile={options['compile']!r}: use 1 or 0.")
    template = None
    if "chat_template" in options:
        path = Path(options["chat_template"]).expanduser()
        try:
            template = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Cannot read the chat template {path}: {exc}") from exc
    batch_size = _int_option(options, "batch_size", 1, 4096)
    threads = _int_option(options, "threads", 1, 1024)
    if device == "cpu":
        batch_size = batch_size or CPU_BATCH_SIZE
        # Half the logical CPUs (about the physical cores), leaving the event loop and the
        # writer thread room: torch's default, all of them, ran SmolLM2 3-10x slower on a
        # busy 2-core machine than one thread did.
        threads = threads or max(1, (os.cpu_count() or 2) // 2)
    return LocalSettings(
        device=device,
        dtype=_DTYPES[dtype],
        batch_size=batch_size,
        threads=threads,
        compile=compile_flag,
        chat_template=template,
    )


class LocalHFAdapter(Adapter):
    """A transformers causal LM on this machine, batched on one worker thread."""

    # A queued request is not a stalled server: it waits for the batches before it,
    # and cancelling it would not stop the computation. No per-request deadline.
    enforces_timeout = True

    def __init__(self, spec: ModelSpec, files: ModelFiles) -> None:
        super().__init__(spec)
        require_packages("torch", "transformers", *(("gguf",) if files.gguf_file else ()))
        self.files = files
        self.settings = parse_settings(spec.options)
        template = (self.settings.chat_template or "").encode()
        self._fingerprint = fingerprint(files, f"{self.settings.dtype}\0".encode() + template)
        from ._local_gen import GPU_MAX_BATCH, TransformersBackend

        self.backend = TransformersBackend(files, self.settings)
        self.batcher = Batcher(self.backend, self.settings.batch_size or GPU_MAX_BATCH)

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> LocalHFAdapter:
        if spec.prefix == "local":
            return cls(spec, resolve_local(spec.model))
        return cls(spec, resolve_path(spec.model))

    @property
    def identity(self) -> str:
        # The weights, not where they lie: the same files under hf: and local: share answers.
        return f"hf:sha256:{self._fingerprint[:32]}"

    async def generate(
        self, messages: list[dict[str, str]], params: GenerationParams
    ) -> ModelOutput:
        if params.extra:
            raise RequestRejected(
                f"local models take no extra parameters (got {sorted(params.extra)})"
            )
        return await self.batcher.submit(messages, params)

    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            **super().describe(),
            "path": str(self.files.folder / (self.files.gguf_file or "")),
            "format": self.files.format,
            "name": self.files.name,
            "device": s.device,
            "dtype": s.dtype,
            "batch_size": s.batch_size or "auto",
            "threads": s.threads,
            "compile": s.compile,
        }

    async def aclose(self) -> None:
        await self.batcher.aclose()
