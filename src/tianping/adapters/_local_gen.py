"""The transformers runtime behind ``hf:`` and ``local:`` models (imports torch).

It loads a causal LM and its tokenizer, renders the chat template, and answers
batches of requests with ``model.generate``: prompts padded on the left,
greedy decoding by default, sampling with a per-request seed when the
temperature is above zero (seeded Gumbel noise per row, so a request's text
depends on its seed and prompt, not on which other requests shared its batch),
stop strings, and the token counts of every answer.
"""

from __future__ import annotations

import copy
import math
import secrets
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    LogitsProcessor,
    LogitsProcessorList,
    StoppingCriteria,
    StoppingCriteriaList,
)

from ..core import ConfigError, ModelOutput, RequestRejected
from ._local_batch import Request
from ._local_files import ModelFiles

DEFAULT_MAX_NEW_TOKENS = 1024
# Sampling settings of a model's generation_config that do not apply to greedy decoding.
_SAMPLING_FIELDS = ("temperature", "top_p", "top_k", "min_p", "typical_p", "epsilon_cutoff")
# Share of the free GPU memory (after the weights) that KV caches may take; the rest
# covers activations, logits and the allocator's fragmentation.
GPU_MEMORY_SHARE = 0.7
GPU_MAX_BATCH = 256


@dataclass(frozen=True)
class LocalSettings:
    """How to run a local model (from the spec's options)."""

    device: str = "cpu"
    dtype: str = "float32"
    batch_size: int | None = None  # None: 8 on CPU, from free memory on GPU
    threads: int | None = None
    compile: bool = False
    chat_template: str | None = None


def quiet_transformers() -> None:
    """No progress bars ("Converting and de-quantizing GGUF tensors") or advice on stderr:
    they would break the run's own progress display."""
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    try:  # the GGUF reader's bar is plain tqdm, deaf to the switch above
        from transformers import modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:
        return
    setattr(gguf_utils, "tqdm", lambda items, *_args, **_kwargs: items)  # noqa: B010


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def cuda_count() -> int:
    return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0


def kv_bytes_per_token(config: Any, dtype_bytes: int) -> int:
    """Bytes of KV cache one token takes across all layers."""
    heads = int(getattr(config, "num_attention_heads", 1))
    kv_heads = int(getattr(config, "num_key_value_heads", None) or heads)
    head_dim = int(getattr(config, "head_dim", None) or config.hidden_size // heads)
    return 2 * int(config.num_hidden_layers) * kv_heads * head_dim * dtype_bytes


def rows_that_fit(free_bytes: int, per_token: int, seq_len: int, extra_per_row: int) -> int:
    """How many sequences of ``seq_len`` tokens fit in ``free_bytes`` (at least 1)."""
    per_row = per_token * seq_len + extra_per_row
    return max(1, min(GPU_MAX_BATCH, int(free_bytes * GPU_MEMORY_SHARE) // max(1, per_row)))


class _SeededSampler(LogitsProcessor):
    """Samples row by row from its own seeded generator (Gumbel-max on greedy decoding)."""

    def __init__(self, rows: list[tuple[float, float | None, int]], device: torch.device) -> None:
        self.rows = [
            (temp, top_p, torch.Generator(device=device).manual_seed(seed) if temp > 0 else None)
            for temp, top_p, seed in rows
        ]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        out = scores.float().clone()
        for i, (temp, top_p, gen) in enumerate(self.rows):
            if gen is None:
                continue
            logits = out[i] / temp
            if top_p is not None and top_p < 1.0:
                ordered, index = logits.sort(descending=True)
                probs = ordered.softmax(-1)
                drop = probs.cumsum(-1) - probs > top_p
                logits[index[drop]] = -math.inf
            noise = torch.empty_like(logits).exponential_(generator=gen)
            out[i] = logits - noise.log()
        return out  # type: ignore[return-value]


class _Halt(StoppingCriteria):
    """Ends a running batch early when the adapter is closing."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(
        self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
    ) -> torch.BoolTensor:
        return torch.full(  # type: ignore[return-value]
            (input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device
        )


class TransformersBackend:
    """Loads and runs one model for the batcher's worker thread."""

    def __init__(self, files: ModelFiles, settings: LocalSettings) -> None:
        self.files = files
        self.settings = settings
        self.device = torch.device(settings.device)
        self.dtype: torch.dtype = getattr(torch, settings.dtype)
        self._halt = threading.Event()
        self.model: Any = None
        self.tokenizer: Any = None
        self.eos: set[int] = set()
        self.context: int | None = None
        self._free = 0
        self._kv_per_token = 0
        self._extra_per_row = 0
        self.load_s = 0.0

    # -- loading -----------------------------------------------------------

    def load(self) -> None:
        started = time.perf_counter()
        quiet_transformers()
        where = self.files.folder / (self.files.gguf_file or "")
        with tempfile.TemporaryDirectory(prefix="tianping-gguf-") as alone:
            tokenizer, model = self._from_pretrained(self._source(Path(alone)), where)
        model.to(self.device).eval()
        self.model, self.tokenizer = model, tokenizer
        if self.settings.threads:  # after loading: dequantising GGUF likes every core
            torch.set_num_threads(self.settings.threads)
        eos = model.generation_config.eos_token_id
        self.eos = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if tokenizer.eos_token_id is not None:
            self.eos.add(tokenizer.eos_token_id)
        if not self.eos:
            raise ConfigError(f"{where} names no end-of-sequence token; it cannot stop.")
        self.context = getattr(model.config, "max_position_embeddings", None)
        if self.device.type == "cuda":
            self._free = torch.cuda.mem_get_info(self.device)[0]
            size = torch.finfo(self.dtype).bits // 8
            self._kv_per_token = kv_bytes_per_token(model.config, size)
            # The last position's logits in float32, twice (scores and the sampler's copy).
            self._extra_per_row = 8 * model.config.vocab_size
        self.load_s = time.perf_counter() - started

    def _source(self, alone: Path) -> Path:
        """Where to load from. A GGUF file is read by itself: next to a transformers folder
        (a converted pull), transformers would take that folder's tokenizer config, without
        the GGUF's chat template."""
        if not self.files.gguf_file:
            return self.files.folder
        try:
            (alone / self.files.gguf_file).symlink_to(self.files.folder / self.files.gguf_file)
        except OSError:  # no symlinks here: read it in place
            return self.files.folder
        return alone

    def _from_pretrained(self, source: Path, where: Path) -> tuple[Any, Any]:
        kwargs: dict[str, Any] = {"local_files_only": True}
        if self.files.gguf_file:
            kwargs["gguf_file"] = self.files.gguf_file
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        except (OSError, ValueError, KeyError, ImportError) as exc:
            raise ConfigError(f"Cannot load the tokenizer of {where}: {exc}") from exc
        if self.settings.chat_template is not None:
            tokenizer.chat_template = self.settings.chat_template
        if not getattr(tokenizer, "chat_template", None):
            raise ConfigError(
                f"The tokenizer of {where} has no chat template, so Tianping cannot turn "
                "messages into a prompt (base models often have none). Add one to the "
                "folder (chat_template.jinja, or 'chat_template' in tokenizer_config.json), "
                "or give one with ?chat_template=PATH/TO/template.jinja in the model spec."
            )
        try:
            model = AutoModelForCausalLM.from_pretrained(source, dtype=self.dtype, **kwargs)
        except (OSError, ValueError, KeyError, ImportError, RuntimeError) as exc:
            raise ConfigError(f"Cannot load the model in {where}: {exc}") from exc
        return tokenizer, model

    # -- serving -----------------------------------------------------------

    def prepare(self, request: Request) -> list[int]:
        try:
            text = self.tokenizer.apply_chat_template(
                request.messages, add_generation_prompt=True, tokenize=False
            )
        except Exception as exc:  # jinja raises its own errors for unsupported roles
            raise RequestRejected(f"the chat template rejected these messages: {exc}") from exc
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if self.context is not None and len(ids) >= self.context:
            raise RequestRejected(
                f"the prompt has {len(ids)} tokens; the model's context is {self.context}"
            )
        return ids

    def _max_new(self, batch: Sequence[Request]) -> int:
        wanted = batch[0].params.max_tokens or DEFAULT_MAX_NEW_TOKENS
        if self.context is None:
            return wanted
        longest = max(len(r.prompt) for r in batch)
        return max(1, min(wanted, self.context - longest))

    def batch_limit(self, batch: Sequence[Request]) -> int:
        if self.settings.batch_size is not None or self.device.type != "cuda":
            return len(batch)
        seq = max(len(r.prompt) for r in batch) + self._max_new(batch)
        return rows_that_fit(self._free, self._kv_per_token, seq, self._extra_per_row)

    def is_out_of_memory(self, exc: BaseException) -> bool:
        return isinstance(exc, torch.cuda.OutOfMemoryError)

    def interrupt(self) -> None:
        self._halt.set()

    def close(self) -> None:
        self.model = None
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    def _generation_config(self, batch: Sequence[Request], max_new: int) -> GenerationConfig:
        config: GenerationConfig = copy.deepcopy(self.model.generation_config)
        for name in _SAMPLING_FIELDS:
            if hasattr(config, name):
                setattr(config, name, None)
        stop = batch[0].params.stop
        settings: dict[str, Any] = {
            "do_sample": False,
            "num_beams": 1,
            "max_new_tokens": max_new,
            "max_length": None,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": sorted(self.eos),
            "stop_strings": list(stop) if stop else None,
        }
        for name, value in settings.items():
            setattr(config, name, value)
        if self.settings.compile:
            config.cache_implementation = "static"
        return config

    def _sampling(self, request: Request) -> tuple[float, float | None, int]:
        params, base = request.params, self.model.generation_config
        temp = params.temperature
        top_p = params.top_p
        if temp is None:  # not sent: the model's own default
            temp = (base.temperature or 1.0) if base.do_sample else 0.0
            top_p = top_p if top_p is not None else (base.top_p if base.do_sample else None)
        seed = params.seed if params.seed is not None else secrets.randbits(63)
        return temp, top_p, seed

    def run(self, batch: Sequence[Request]) -> list[ModelOutput]:
        width = max(len(r.prompt) for r in batch)
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([[pad] * (width - len(r.prompt)) + r.prompt for r in batch])
        mask = torch.tensor([[0] * (width - len(r.prompt)) + [1] * len(r.prompt) for r in batch])
        max_new = self._max_new(batch)
        rows = [self._sampling(r) for r in batch]
        processors = LogitsProcessorList()
        if any(temp > 0 for temp, _, _ in rows):
            processors.append(_SeededSampler(rows, self.device))
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids.to(self.device),
                attention_mask=mask.to(self.device),
                generation_config=self._generation_config(batch, max_new),
                logits_processor=processors,
                stopping_criteria=StoppingCriteriaList([_Halt(self._halt)]),
                tokenizer=self.tokenizer,
            )
        generated: list[list[int]] = out[:, width:].tolist()
        return [self._output(r, row, max_new) for r, row in zip(batch, generated, strict=True)]

    def _output(self, request: Request, row: list[int], max_new: int) -> ModelOutput:
        end = next((k + 1 for k, token in enumerate(row) if token in self.eos), None)
        n = end if end is not None else min(len(row), max_new)
        finish = "stop" if end is not None else "length"
        text = self._decode(row[:n])
        stops = request.params.stop or ()
        cut = min((i for i in (text.find(s) for s in stops if s) if i >= 0), default=-1)
        if cut >= 0:
            text, finish = text[:cut], "stop"
            n = self._tokens_until_stop(row[:n], stops)
        return ModelOutput(
            text=text,
            finish_reason=finish,
            prompt_tokens=len(request.prompt),
            completion_tokens=n,
            reported_model=self.files.name,
            system_fingerprint=f"transformers-{transformers.__version__}/{self.settings.dtype}",
        )

    def _decode(self, ids: list[int]) -> str:
        return str(self.tokenizer.decode(ids, skip_special_tokens=True))

    def _tokens_until_stop(self, row: list[int], stops: Sequence[str]) -> int:
        """The fewest leading tokens of ``row`` whose text holds a stop string."""
        lo, hi = 1, len(row)
        while lo < hi:
            mid = (lo + hi) // 2
            text = self._decode(row[:mid])
            if any(s and s in text for s in stops):
                hi = mid
            else:
                lo = mid + 1
        return lo
