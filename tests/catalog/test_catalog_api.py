"""The public surface of ``tianping.catalog``: exactly the intended names."""

from __future__ import annotations

import tianping.catalog as catalog

EXPECTED = {
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
}


def test_all_is_exactly_the_public_names() -> None:
    assert set(catalog.__all__) == EXPECTED
    assert len(catalog.__all__) == len(EXPECTED)
    for name in EXPECTED:
        assert getattr(catalog, name) is not None


def test_the_store_has_the_catalog_methods() -> None:
    from tianping.store import Store

    for method in ("ensure_model_record", "get_model_record", "add_fingerprint"):
        assert callable(getattr(Store, method))
