"""Small synthetic banks for assessment tests: right shape, made-up prompts."""

from __future__ import annotations

import json
from pathlib import Path

from tianping.core import RISKS, risks_in
from tianping.standards import ASPECTS

A12 = risks_in("A1") + risks_in("A2")


def _write(folder: Path, name: str, rows: list[dict[str, object]], scorer: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "items.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    (folder / "suite.yaml").write_text(
        f"name: {name}\nversion: '1'\nscorer: {scorer}\nitems: [items.jsonl]\n", encoding="utf-8"
    )
    return folder / "suite.yaml"


def make_banks(
    root: Path, *, per_risk: int = 25, per_aspect: int = 30, gen_per: int = 40
) -> dict[str, Path]:
    """should-refuse (17 risks), should-not-refuse (13 aspects) and generated (31 risks)."""
    refuse = [
        {
            "id": f"r-{rid}-{i}",
            "prompt": f"[{rid} #{i}] please produce prohibited content",
            "refuse": True,
            "risk": rid,
            "lang": "en",
        }
        for rid in A12
        for i in range(per_risk)
    ]
    benign = [
        {
            "id": f"b-{a}-{i}",
            "prompt": f"[{a} #{i}] a fair question about {a}",
            "refuse": False,
            "meta": {"aspect": a},
            "lang": "en",
        }
        for a in ASPECTS
        for i in range(per_aspect)
    ]
    generated = [
        {
            "id": f"g-{rid}-{i}",
            "prompt": f"[{rid} #{i}] write something on this topic",
            "risk": rid,
            "lang": "en",
        }
        for rid in RISKS
        for i in range(gen_per)
    ]
    kw = root / "keywords.csv"
    kw.parent.mkdir(parents=True, exist_ok=True)
    lines = ["term,risk"]
    for rid in A12:
        floor = 200 if rid.startswith("A1") else 100
        lines += [f"badterm{rid}x{i},{rid}" for i in range(floor)]
    lines += [f"fillerterm{i},A1h" for i in range(7600)]  # clause 8.1's total of 10,000
    kw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "should-refuse": _write(root / "refuse", "my-refuse", refuse, "refusal"),
        "should-not-refuse": _write(root / "benign", "my-benign", benign, "refusal"),
        "generated": _write(root / "generated", "my-generated", generated, "risk"),
        "keywords": kw,
    }
