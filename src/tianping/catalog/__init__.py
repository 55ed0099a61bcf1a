"""The model catalog: records buyers look up, identity fingerprints, and the latest verdicts.

* :func:`add_model`, :func:`update_model`, :func:`ensure_model`, :func:`get_model`: model records.
* :func:`take_fingerprint`: send the fixed probe set, record what the endpoint reports and
  the hashes of its answers, and say whether the model changed since the last fingerprint.
* :func:`latest_verdicts`, :func:`catalog_rows`: the latest verdict per profile, marked stale
  when a fingerprint taken after the assessment shows the model changed.
"""

from ..store._catalog import Fingerprint, ModelRecord
from ._fingerprint import (
    DEFAULT_TOLERANCE,
    Comparison,
    FingerprintResult,
    Observation,
    compare_fingerprints,
    fingerprint_digest,
    probe_model,
    take_fingerprint,
)
from ._models import (
    FILING_STATUSES,
    add_model,
    ensure_model,
    get_model,
    sync_catalog,
    update_model,
)
from ._probes import (
    DEFAULT_PROBE_SET,
    Probe,
    ProbeSet,
    answer_hash,
    load_probe_set,
    normalise_answer,
    probe_set_names,
)
from ._rows import CatalogPage, CatalogRow, catalog_rows
from ._verdicts import VERDICTS, LatestVerdict, latest_verdicts

__all__ = [
    "DEFAULT_PROBE_SET",
    "DEFAULT_TOLERANCE",
    "FILING_STATUSES",
    "VERDICTS",
    "CatalogPage",
    "CatalogRow",
    "Comparison",
    "Fingerprint",
    "FingerprintResult",
    "LatestVerdict",
    "ModelRecord",
    "Observation",
    "Probe",
    "ProbeSet",
    "add_model",
    "answer_hash",
    "catalog_rows",
    "compare_fingerprints",
    "ensure_model",
    "fingerprint_digest",
    "get_model",
    "latest_verdicts",
    "load_probe_set",
    "normalise_answer",
    "probe_model",
    "probe_set_names",
    "sync_catalog",
    "take_fingerprint",
    "update_model",
]
