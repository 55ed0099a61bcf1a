"""Validating and loading suites: every problem in one pass, or a Suite."""

from __future__ import annotations

import os

from tianping.core import Problem, SuiteError

from ._hash import SuiteHasher
from ._problems import ItemChecker
from ._resolve import make_plan
from ._suite import Suite, records


def _scan(path_or_name: str | os.PathLike[str]) -> tuple[Suite | None, list[Problem]]:
    plan = make_plan(path_or_name)
    if plan.manifest is None or plan.source is None:
        return None, plan.problems
    checker = ItemChecker(short=plan.short)
    checker.problems.extend(plan.problems)
    hasher = SuiteHasher()
    n_items = 0
    for item_file in plan.files:
        where = str(item_file.path)
        digest = hasher.file_digest()
        first = len(checker.problems)
        seen = 0
        for rec in records(item_file.path, item_file.csv, digest):
            seen += 1
            if isinstance(rec, Problem):
                checker.problems.append(rec)
            elif checker.check(rec[1], where, rec[0]) is not None:
                n_items += 1
        if seen == 0:
            checker.problems.append(Problem(where, 0, "empty file: no items"))
        # Some problems (encoding) are only known at the end of a file; keep line order.
        checker.problems[first:] = sorted(checker.problems[first:], key=lambda p: p.line)
        cmap = item_file.csv.model_dump(mode="json") if item_file.csv is not None else None
        hasher.add_file(item_file.rel, digest, cmap)
    if checker.problems:
        return None, checker.problems
    manifest = plan.manifest
    suite = Suite(
        name=manifest.name,
        version=manifest.version,
        source=str(plan.source),
        manifest=manifest,
        hash=hasher.finish(manifest.name, manifest.version, manifest.scorer),
        n_items=n_items,
        files=tuple(str(f.path) for f in plan.files),
        _csv_maps=tuple(f.csv for f in plan.files),
    )
    return suite, []


def validate_suite(path_or_name: str | os.PathLike[str]) -> list[Problem]:
    """Check a suite and return every problem found (an empty list: the suite is valid).

    Accepts what :func:`load_suite` accepts. Each problem names its file and
    1-based line (0: the whole file).
    """
    return _scan(path_or_name)[1]


def load_suite(path_or_name: str | os.PathLike[str]) -> Suite:
    """Validate a suite completely and return it; raise :class:`SuiteError` listing every problem.

    ``path_or_name`` is a ``.yaml``/``.yml`` manifest, a folder holding
    ``suite.yaml``, a bare ``.jsonl`` item file (its stem is the suite name,
    version ``"0"``), or the name of a built-in suite (see
    :func:`builtin_suites`; an existing path of that name wins). CSV item files
    are loaded through a manifest with a ``csv:`` column map. Items are read to
    check them and to compute the hash, but not kept: use
    :meth:`Suite.iter_items` to stream them.
    """
    suite, problems = _scan(path_or_name)
    if suite is None:
        raise SuiteError(problems)
    return suite
