"""Converting a CSV item bank into a JSONL item file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tianping.core import Problem, SuiteError

from ._csv import CsvMap, csv_records
from ._problems import ItemChecker, describe_error


def import_csv(
    csv_path: str | os.PathLike[str],
    column_map: dict[str, str],
    out_path: str | os.PathLike[str],
    *,
    defaults: dict[str, Any] | None = None,
    delimiter: str = ",",
) -> int:
    """Write the rows of a CSV file as a JSONL item file; return the number of items.

    ``column_map`` maps Item fields to CSV column names and ``defaults`` gives
    fields the same for every row (see :class:`CsvMap` for how cells are read).
    Every row is validated first; on any problem a :class:`SuiteError` lists
    them all (``file:line``) and ``out_path`` is left untouched. Items are
    written one per line, UTF-8, with default-valued fields left out.
    """
    src = Path(csv_path)
    out = Path(out_path)
    try:
        cmap = CsvMap(columns=column_map, defaults=defaults or {}, delimiter=delimiter)
    except ValidationError as exc:
        msgs = [describe_error(err, lambda _loc: CsvMap.model_fields) for err in exc.errors()]
        raise SuiteError([Problem(str(src), 0, f"column map: {m}") for m in msgs]) from None
    checker = ItemChecker()
    count = 0
    # Write beside the target and rename at the end, so a failed import leaves no half file.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            for rec in csv_records(src, cmap):
                if isinstance(rec, Problem):
                    checker.problems.append(rec)
                    continue
                item = checker.check(rec[1], str(src), rec[0])
                if item is not None and not checker.problems:
                    data = item.model_dump(mode="json", exclude_defaults=True)
                    fh.write(json.dumps(data, ensure_ascii=False) + "\n")
                    count += 1
        if not checker.problems and count == 0:
            checker.problems.append(Problem(str(src), 0, "empty file: no items"))
        if checker.problems:
            raise SuiteError(sorted(checker.problems, key=lambda p: p.line))
        os.replace(tmp_name, out)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return count
