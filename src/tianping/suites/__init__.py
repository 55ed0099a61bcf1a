"""Suites: versioned, content-hashed sets of items, read from JSONL, CSV and YAML.

A suite on disk is a ``suite.yaml`` manifest listing ``.jsonl`` (and, through a
column map, ``.csv``) item files, or a bare ``.jsonl`` file. :func:`load_suite`
validates everything and reports every problem at once (:class:`SuiteError`,
each problem with file and line); the :class:`Suite` it returns streams its
items from disk, so suites of any size load in bounded memory.

Tools over banks: :func:`suite_stats` (counts by label), :func:`lint_suite`
(duplicates, near duplicates, wrong labels), :func:`augment_suite` (jailbreak
variants of should-refuse items), :func:`import_suite` (published banks and
any JSONL or CSV) and :func:`check_coverage` (a bank against a profile's bank
requirements).
"""

from ._augment import AugmentResult, attack_names, augment_suite
from ._builtin import builtin_suites
from ._coverage import CoverageResult, GroupCoverage, check_coverage, check_coverages
from ._csv import CsvMap
from ._import import import_csv
from ._lint import Finding, LintReport, lint_suite
from ._loader import load_suite, validate_suite
from ._manifest import SuiteManifest
from ._stats import SuiteStats, suite_stats
from ._suite import Suite
from .importers import ImportResult, import_suite, importer_names

__all__ = [
    "AugmentResult",
    "CoverageResult",
    "CsvMap",
    "Finding",
    "GroupCoverage",
    "ImportResult",
    "LintReport",
    "Suite",
    "SuiteManifest",
    "SuiteStats",
    "attack_names",
    "augment_suite",
    "builtin_suites",
    "check_coverage",
    "check_coverages",
    "import_csv",
    "import_suite",
    "importer_names",
    "lint_suite",
    "load_suite",
    "suite_stats",
    "validate_suite",
]
