"""``vllm:PATH``: a model folder served by vLLM's offline engine in this process.

vLLM is not a dependency of Tianping (it needs a GPU and pins its own torch);
install it yourself with ``pip install vllm``. Requests are gathered by the
same batcher as ``hf:`` models and handed to ``LLM.chat`` together, and vLLM
schedules them (continuous batching, paged KV cache). Options:
``batch_size`` (requests per call, default 1024), ``dtype`` (default auto),
``tp`` (tensor-parallel GPUs), ``gpu_memory_utilization``, ``max_model_len``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from typing import Any

from ..core import ConfigError, GenerationParams, ModelOutput, RequestRejected
from ._base import Adapter
from ._local_batch import Batcher, Request
from ._local_files import ModelFiles, fingerprint, resolve_path
from ._spec import ModelSpec

INSTALL_HINT = "pip install vllm"
_OPTIONS = ("batch_size", "dtype", "tp", "gpu_memory_utilization", "max_model_len")


def require_vllm() -> None:
    if importlib.util.find_spec("vllm") is None:
        raise ConfigError(
            "vllm: models need vLLM, which is not installed (it is not part of Tianping's "
            f"extras: it needs a GPU and its own torch). Install it with: {INSTALL_HINT}. "
            "Without it, run the same folder with hf:PATH."
        )


def _number(options: dict[str, str], name: str, kind: type[int] | type[float]) -> Any:
    raw = options.get(name)
    if raw is None:
        return None
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"vLLM option {name}={raw!r} is not a {kind.__name__}.") from None
    if value <= 0:
        raise ConfigError(f"vLLM option {name}={raw} must be positive.")
    return value


class _VLLMBackend:
    def __init__(self, files: ModelFiles, options: dict[str, str]) -> None:
        self.files = files
        self.options = options
        self.llm: Any = None

    def load(self) -> None:
        vllm = importlib.import_module("vllm")
        kwargs: dict[str, Any] = {"dtype": self.options.get("dtype", "auto"), "seed": 0}
        for name, key, kind in (
            ("tp", "tensor_parallel_size", int),
            ("gpu_memory_utilization", "gpu_memory_utilization", float),
            ("max_model_len", "max_model_len", int),
        ):
            value = _number(self.options, name, kind)
            if value is not None:
                kwargs[key] = value
        path = self.files.folder / (self.files.gguf_file or "")
        try:
            self.llm = vllm.LLM(model=str(path), **kwargs)
        except Exception as exc:
            raise ConfigError(f"vLLM cannot load {path}: {exc}") from exc
        self._sampling = vllm.SamplingParams

    def prepare(self, request: Request) -> list[int]:
        return []  # vLLM tokenizes and schedules by itself

    def batch_limit(self, batch: Sequence[Request]) -> int:
        return len(batch)

    def is_out_of_memory(self, exc: BaseException) -> bool:
        return False

    def interrupt(self) -> None:
        return None

    def close(self) -> None:
        self.llm = None

    def _params(self, params: GenerationParams) -> Any:
        return self._sampling(
            temperature=params.temperature or 0.0,
            top_p=params.top_p or 1.0,
            max_tokens=params.max_tokens,
            seed=params.seed,
            stop=list(params.stop or ()),
        )

    def run(self, batch: Sequence[Request]) -> list[ModelOutput]:
        results = self.llm.chat(
            [r.messages for r in batch],
            sampling_params=[self._params(r.params) for r in batch],
            use_tqdm=False,
        )
        outputs = []
        for result in results:
            best = result.outputs[0]
            outputs.append(
                ModelOutput(
                    text=best.text,
                    finish_reason=best.finish_reason,
                    prompt_tokens=len(result.prompt_token_ids or ()),
                    completion_tokens=len(best.token_ids),
                    reported_model=self.files.name,
                    system_fingerprint="vllm",
                )
            )
        return outputs


class VLLMAdapter(Adapter):
    """A local model folder served by vLLM's offline ``LLM`` engine."""

    enforces_timeout = True  # queued requests wait for compute, not for a stalled server

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        require_vllm()
        unknown = sorted(set(spec.options) - set(_OPTIONS))
        if unknown:
            raise ConfigError(f"Unknown vLLM option(s) {unknown}; known: {list(_OPTIONS)}.")
        self.files = resolve_path(spec.model)
        dtype = spec.options.get("dtype", "auto")
        self._fingerprint = fingerprint(self.files, f"vllm\0{dtype}".encode())
        size = _number(spec.options, "batch_size", int) or 1024
        self.batcher = Batcher(_VLLMBackend(self.files, spec.options), size)

    @property
    def identity(self) -> str:
        return f"vllm:sha256:{self._fingerprint[:32]}"

    async def generate(
        self, messages: list[dict[str, str]], params: GenerationParams
    ) -> ModelOutput:
        if params.extra:
            raise RequestRejected(f"vllm: models take no extra parameters ({sorted(params.extra)})")
        return await self.batcher.submit(messages, params)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "path": str(self.files.folder), "options": self.spec.options}

    async def aclose(self) -> None:
        await self.batcher.aclose()
