#!/usr/bin/env python3
"""Tokens per second of the ``hf:`` adapter against plain transformers, and the roofline.

A random-weight model with Qwen2-0.5B's configuration (written below; nothing is
downloaded) and a word-level tokenizer over its whole vocabulary answer 512
prompts of 16-256 tokens, 128 new tokens each, greedy. Measured in one process:

* the adapter: all prompts submitted at once, as the engine does, batched by it;
* (a) a naive loop: ``model.generate`` one prompt at a time (on a subset, since it
  is slow; tokens/s is what matters);
* (b) plain batched ``model.generate`` at batch 256, prompts in arrival order;
* (c) the memory-bandwidth roofline of decoding at that batch size: each decode
  step reads every weight once (and each row's KV cache), so tokens/s is at most
  batch x bandwidth / bytes read per step. The bandwidth comes from the device
  name (H100 SXM 3.35 TB/s, H200 4.8 TB/s, A100 2.0 TB/s) or ``--bandwidth``; on
  CPU it is measured with a large copy.

    python bench/gpu_throughput.py                 # on a GPU
    python bench/gpu_throughput.py --compile       # also the adapter with compile=1
    python bench/gpu_throughput.py --tiny          # a tiny model on CPU, in seconds

Prints a table and writes bench/out/gpu_throughput.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

# Qwen2-0.5B (config.json of the released checkpoint).
QWEN2_05B: dict[str, Any] = {
    "vocab_size": 151_936,
    "hidden_size": 896,
    "intermediate_size": 4_864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "max_position_embeddings": 32_768,
    "rope_theta": 1_000_000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
    "hidden_act": "silu",
}
TINY: dict[str, Any] = {
    **QWEN2_05B,
    "vocab_size": 2_048,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 1_024,
}
BANDWIDTH = {"H200": 4.8e12, "H100": 3.35e12, "A100": 2.0e12}  # bytes/s, by device name
TEMPLATE = (
    "{% for m in messages %}<|im_start|> {{ m['role'] }} {{ m['content'] }} <|im_end|> "
    "{% endfor %}{% if add_generation_prompt %}<|im_start|> assistant {% endif %}"
)
SPECIALS = ["<unk>", "<pad>", "<|im_start|>", "<|im_end|>", "user", "assistant"]


def build(folder: Path, config: dict[str, Any]) -> None:
    """Random weights in ``folder`` and a word-level tokenizer: word ``wN`` is token N."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    for i in range(len(SPECIALS), config["vocab_size"]):
        vocab[f"w{i}"] = i
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<|im_end|>"
    )
    fast.chat_template = TEMPLATE
    qcfg = Qwen2Config(
        **config,
        bos_token_id=fast.eos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
    )
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(qcfg).to(torch.bfloat16)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)


def prompts(n: int, lo: int, hi: int, vocab: int) -> list[str]:
    rng = random.Random(7)
    return [
        " ".join(f"w{rng.randrange(len(SPECIALS), vocab)}" for _ in range(rng.randint(lo, hi)))
        for _ in range(n)
    ]


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def bandwidth(device: str, override: float | None) -> tuple[float, str]:
    import torch

    if override:
        return override, "given with --bandwidth"
    if device.startswith("cuda"):
        name = torch.cuda.get_device_name(device)
        for key, value in BANDWIDTH.items():
            if key in name:
                return value, f"{name}: {value / 1e12:.2f} TB/s from the table (SXM figures)"
        return 0.0, f"{name}: not in the table; pass --bandwidth BYTES_PER_S"
    src = torch.empty(64 << 20, dtype=torch.float32)  # 256 MiB
    dst = torch.empty_like(src)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        dst.copy_(src)
        best = min(best, time.perf_counter() - t)
    measured = 2 * src.nbytes / best  # read + write
    return measured, f"CPU: {measured / 1e9:.1f} GB/s measured with a 256 MiB copy"


class Plain:
    """model.generate on left-padded prompts, as a user of transformers would call it."""

    def __init__(self, folder: Path, device: str, dtype: Any) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(folder)
        self.tok.padding_side = "left"
        self.model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).to(device).eval()
        self.device = device

    def texts(self, items: list[str]) -> list[str]:
        return [
            self.tok.apply_chat_template(
                [{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False
            )
            for p in items
        ]

    def generate(self, items: list[str], new: int) -> int:
        import torch

        enc = self.tok(self.texts(items), return_tensors="pt", padding=True).to(self.device)
        with torch.inference_mode():
            out = self.model.generate(
                **enc, max_new_tokens=new, min_new_tokens=new, do_sample=False
            )
        return int(out.shape[0] * (out.shape[1] - enc["input_ids"].shape[1]))


def timed(device: str, fn: Any) -> tuple[Any, float]:
    sync(device)
    t = time.perf_counter()
    value = fn()
    sync(device)
    return value, time.perf_counter() - t


def run_adapter(
    folder: Path, items: list[str], new: int, options: str, passes: int = 1
) -> dict[str, Any]:
    """The adapter on every prompt, ``passes`` times; figures of the last pass (the
    first pass of compile=1 includes compiling for each batch shape)."""
    from tianping.adapters import build_adapter
    from tianping.core import GenerationParams

    adapter: Any = build_adapter(f"hf:{folder}?{options}")
    params = GenerationParams(max_tokens=new, temperature=0.0)

    async def go(batch: list[str]) -> list[Any]:
        return list(
            await asyncio.gather(
                *(adapter.generate([{"role": "user", "content": p}], params) for p in batch)
            )
        )

    asyncio.run(go(items[:2]))  # load the model and warm up
    pass_s = []
    for _ in range(passes):
        warm_batches = len(adapter.batcher.batches)
        t = time.perf_counter()
        outs = asyncio.run(go(items))
        wall = time.perf_counter() - t
        pass_s.append(round(wall, 2))
    tokens = sum(o.completion_tokens or 0 for o in outs)
    batches = adapter.batcher.batches[warm_batches:]
    asyncio.run(adapter.aclose())
    return {
        "tokens": tokens,
        "seconds": wall,
        "tokens_per_s": tokens / wall,
        "batches": len(batches),
        "mean_batch": sum(batches) / max(1, len(batches)),
        "load_s": adapter.backend.load_s,
        "options": options,
        "pass_seconds": pass_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tiny", action="store_true", help="a tiny model on CPU (a smoke test)")
    ap.add_argument("--prompts", type=int, help="prompts (default 512; tiny 48)")
    ap.add_argument("--new-tokens", type=int, help="new tokens each (default 128; tiny 16)")
    ap.add_argument("--batch", type=int, help="plain batched generate's batch (default 256)")
    ap.add_argument("--naive", type=int, help="prompts for the one-at-a-time loop (default 16)")
    ap.add_argument("--compile", action="store_true", help="also the adapter with compile=1")
    ap.add_argument(
        "--passes", type=int, default=1, help="time the last of N passes (compile: at least 2)"
    )
    ap.add_argument("--bandwidth", type=float, help="memory bandwidth, bytes/s")
    args = ap.parse_args()

    import torch

    device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    config = TINY if args.tiny else QWEN2_05B
    n = args.prompts or (48 if args.tiny else 512)
    new = args.new_tokens or (16 if args.tiny else 128)
    batch = args.batch or (16 if args.tiny else 256)
    naive_n = args.naive or (4 if args.tiny else 16)
    dtype_name = "bfloat16" if device == "cuda" else "float32"
    dtype = getattr(torch, dtype_name)
    lo, hi = (8, 64) if args.tiny else (16, 256)
    adapter_batch = "" if device == "cuda" else f"&batch_size={batch}"
    options = f"device={device}&dtype={dtype_name}{adapter_batch}"

    results: dict[str, Any] = {"device": device, "dtype": dtype_name, "prompts": n, "new": new}
    with tempfile.TemporaryDirectory(prefix="tianping-bench-") as tmp:
        folder = Path(tmp)
        build(folder, config)
        items = prompts(n, lo, hi, config["vocab_size"])

        results["adapter"] = run_adapter(folder, items, new, options, args.passes)
        if args.compile:
            results["adapter_compiled"] = run_adapter(
                folder, items, new, options + "&compile=1", args.passes
            )

        plain = Plain(folder, device, dtype)
        plain.generate(items[:2], 4)  # warm up
        tokens, secs = timed(device, lambda: sum(plain.generate([p], new) for p in items[:naive_n]))
        results["naive"] = {"tokens": tokens, "seconds": secs, "tokens_per_s": tokens / secs}
        plain_s = []
        for _ in range(args.passes):  # as many passes as the adapters: the last counts
            tokens, secs = timed(
                device,
                lambda: sum(plain.generate(items[i : i + batch], new) for i in range(0, n, batch)),
            )
            plain_s.append(round(secs, 2))
        results["batched"] = {
            "batch": batch,
            "tokens": tokens,
            "seconds": secs,
            "tokens_per_s": tokens / secs,
            "pass_seconds": plain_s,
        }

        params = sum(p.numel() for p in plain.model.parameters())
        param_bytes = params * plain.model.dtype.itemsize
        heads = config["num_attention_heads"]
        kv_token = (
            2
            * config["num_hidden_layers"]
            * config["num_key_value_heads"]
            * (config["hidden_size"] // heads)
            * plain.model.dtype.itemsize
        )
        mean_context = (lo + hi) / 2 + 20 + new / 2  # prompt, template, half the answer
        bw, where = bandwidth(device, args.bandwidth)
        weights_only = batch * bw / param_bytes if bw else 0.0
        with_kv = batch * bw / (param_bytes + batch * mean_context * kv_token) if bw else 0.0
        results["roofline"] = {
            "bandwidth_bytes_per_s": bw,
            "assumption": where,
            "parameters": params,
            "parameter_bytes": param_bytes,
            "kv_bytes_per_token": kv_token,
            "tokens_per_s_weights_only": weights_only,
            "tokens_per_s_with_kv": with_kv,
        }
        if device == "cuda":
            results["gpu"] = torch.cuda.get_device_name(device)

    print(
        f"device {device} ({results.get('gpu', 'CPU')}), {dtype_name}, {n} prompts x {new} tokens"
    )
    print(f"{'path':<40} {'tokens/s':>10} {'seconds':>9}")
    rows = [
        ("adapter (hf:, batched by Tianping)", results["adapter"]),
        *(
            [("adapter, compile=1", results["adapter_compiled"])]
            if "adapter_compiled" in results
            else []
        ),
        (f"(a) naive loop, {naive_n} prompts one at a time", results["naive"]),
        (f"(b) plain generate, batch {batch}", results["batched"]),
    ]
    for label, row in rows:
        print(f"{label:<40} {row['tokens_per_s']:>10.1f} {row['seconds']:>9.2f}")
    roof = results["roofline"]
    print(
        f"(c) roofline at batch {batch}: {roof['tokens_per_s_weights_only']:.0f} tokens/s "
        f"(weights only), {roof['tokens_per_s_with_kv']:.0f} with KV reads; "
        f"{roof['parameters'] / 1e6:.0f} M parameters = {roof['parameter_bytes'] / 1e9:.2f} GB"
    )
    print(f"    bandwidth: {roof['assumption']}")
    a = results["adapter"]
    print(
        f"adapter: {a['batches']} batches, {a['mean_batch']:.0f} rows each on average, "
        f"model loaded in {a['load_s']:.1f} s"
    )
    OUT.mkdir(exist_ok=True)
    name = "gpu_throughput_tiny.json" if args.tiny else "gpu_throughput.json"
    (OUT / name).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
