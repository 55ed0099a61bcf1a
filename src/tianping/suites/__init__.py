"""Suites: versioned, content-hashed sets of items, read from JSONL, CSV and YAML.

A suite on disk is a ``suite.yaml`` manifest listing ``.jsonl`` (and, through a
column map, ``.csv``) item files, or a bare ``.jsonl`` file. :func:`load_suite`
validates everything and reports every problem at once (:class:`SuiteError`,
each problem with file and line); the :class:`Suite` it returns streams its
items from disk, so suites of any size load in bounded memory.
"""

from ._builtin import builtin_suites
from ._csv import CsvMap
from ._import import import_csv
from ._loader import load_suite, validate_suite
from ._manifest import SuiteManifest
from ._suite import Suite

__all__ = [
    "CsvMap",
    "Suite",
    "SuiteManifest",
    "builtin_suites",
    "import_csv",
    "load_suite",
    "validate_suite",
]
