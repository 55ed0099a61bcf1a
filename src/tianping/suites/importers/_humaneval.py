"""HumanEval (Chen et al., 2021): 164 Python problems, JSONL, usually gzipped.

Each line has ``task_id``, ``prompt`` (a function stub with its docstring),
``entry_point``, ``canonical_solution`` and ``test`` (a ``check(candidate)``
function). Items are for the ``code`` scorer: the prompt asks a chat model to
complete the stub; ``tests`` is the test code; ``meta.entry_point`` names the
function ``check`` is called on and ``meta.prompt_prefix`` is the stub, put
before the answer when it runs; ``meta.canonical_solution`` keeps the reference.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path

from tianping.core import Problem

from ._base import Importer, ImportOptions, Record, one_file

FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "test")
INSTRUCTION = (
    "Complete the following Python function. Reply with the whole function, "
    "in one ```python code block.\n\n```python\n{stub}```"
)


def read(path: Path, _options: ImportOptions) -> Iterator[Record | Problem]:
    file = one_file(path, ("*.jsonl.gz", "*.jsonl"), "HumanEval .jsonl(.gz)")
    if isinstance(file, Problem):
        yield file
        return
    where = str(file)
    line = 0
    try:
        with file.open("rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if gzipped else raw
            with io.TextIOWrapper(stream, encoding="utf-8") as text:
                for line, row in enumerate(text, start=1):
                    if row.strip():
                        yield _record(where, line, row)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        yield Problem(where, line + 1, f"cannot read the file: {exc}")


def _record(where: str, line: int, raw: str) -> Record | Problem:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        return Problem(where, line, f"invalid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(obj, dict):
        return Problem(where, line, "not a JSON object")
    missing = [k for k in FIELDS if not isinstance(obj.get(k), str) or not obj[k].strip()]
    if missing:
        return Problem(where, line, f"missing or empty field(s) {', '.join(missing)}")
    stub = obj["prompt"]
    return (
        where,
        line,
        {
            "id": obj["task_id"],
            "prompt": INSTRUCTION.format(stub=stub if stub.endswith("\n") else stub + "\n"),
            "tests": obj["test"],
            "lang": "en",
            "scenario": "code",
            "tags": ["task:code"],
            "meta": {
                "source": "humaneval",
                "entry_point": obj["entry_point"],
                "prompt_prefix": stub,
                "canonical_solution": obj["canonical_solution"],
            },
        },
    )


IMPORTER = Importer(
    name="humaneval",
    suite_name="humaneval",
    licence="MIT",
    description=(
        "HumanEval (Chen et al., 2021): 164 Python programming problems, graded by running "
        "their tests in the sandbox. Imported by tianping suites import."
    ),
    read=read,
    scorer="code",
    languages=("en",),
)
