"""Importers: published banks (Do-Not-Answer, HarmBench, AdvBench, HumanEval) and any
JSONL or CSV file, turned into suite folders that carry the source's licence.

``import_suite("donotanswer", "path/to/donotanswer/")`` writes ``suite.yaml``,
``items.jsonl`` and the licence files; see :func:`import_suite`.
"""

from ._base import Importer, ImportResult
from ._registry import IMPORTERS, get_importer, import_suite, importer_names

__all__ = [
    "IMPORTERS",
    "ImportResult",
    "Importer",
    "get_importer",
    "import_suite",
    "importer_names",
]
