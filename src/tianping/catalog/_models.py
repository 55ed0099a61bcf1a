"""Model records: what a catalog entry may say, checked before it is stored."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from ..core import ConfigError, UnknownNameError
from ..store._catalog import MODEL_FIELDS, ModelRecord

if TYPE_CHECKING:
    from ..store import Store

FILING_STATUSES: dict[str, str] = {
    "filed": "已备案 (filed with the CAC under the generative-AI measures)",
    "registered": "已登记 (registered as an application of a filed model)",
    "pending": "备案中 (filing submitted, not yet granted)",
    "not_filed": "未备案 (not filed)",
    "revoked": "已注销 (filing withdrawn or revoked)",
}
"""Filing (备案) statuses a record may carry, with what each means."""

_LIMITS = {"vendor": 200, "name": 200, "version": 100, "filing_number": 100, "endpoint": 2000}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_NULLABLE = ("release_date", "filing_number", "filing_status", "endpoint")


def normalise_spec(spec: str) -> str:
    """The spec as the catalog keys it: trimmed, and a well-formed model spec."""
    from ..adapters import parse_model_spec

    return parse_model_spec(spec).raw


def check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields of a model record, trimmed and validated; ``""`` clears an optional field."""
    out: dict[str, Any] = {}
    for key, raw in fields.items():
        if key not in MODEL_FIELDS:
            raise UnknownNameError("model record field", key, MODEL_FIELDS)
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise ConfigError(f"{key} must be text, not {type(raw).__name__}.")
        value = raw.strip()
        if key != "notes" and _CONTROL.search(value):
            raise ConfigError(f"{key} contains a control character.")
        if len(value) > _LIMITS.get(key, 10_000):
            raise ConfigError(f"{key} is longer than {_LIMITS.get(key, 10_000)} characters.")
        if value == "" and key in _NULLABLE:
            out[key] = None
            continue
        if key == "release_date":
            _check_date(value)
        elif key == "filing_status" and value not in FILING_STATUSES:
            raise UnknownNameError("filing status", value, FILING_STATUSES)
        elif key == "endpoint" and not _URL.match(value):
            raise ConfigError(f"endpoint {value!r} is not an http(s) URL.")
        out[key] = value
    return out


def _check_date(value: str) -> None:
    ok = bool(_DATE.match(value))
    if ok:
        try:
            date.fromisoformat(value if len(value) == 10 else value + "-01")
        except ValueError:
            ok = False
    if not ok:
        raise ConfigError(f"release date {value!r} is not YYYY-MM-DD (or YYYY-MM).")


def add_model(store: Store, spec: str, **fields: Any) -> ModelRecord:
    """Put a model in the catalog.

    A record that exists only because the model was fingerprinted or assessed
    (no vendor, name or version yet) is completed; one someone already described
    is an error (change it with :func:`update_model`).
    """
    key = normalise_spec(spec)
    values = check_fields(fields)
    record, created = store.ensure_model_record(key, **values)
    if created:
        return record
    if record.described:
        raise ConfigError(
            f"{key} is already in the catalog ({record.vendor} {record.name} {record.version})."
            f" Change it with `tianping catalog set {key} --FIELD VALUE`."
        )
    return store.update_model_record(key, **values)


def update_model(store: Store, spec: str, **fields: Any) -> ModelRecord:
    """Change fields of a catalog record; ``""`` clears an optional field."""
    values = check_fields(fields)
    if not values:
        raise ConfigError("Nothing to change: name at least one field.")
    return store.update_model_record(normalise_spec(spec), **values)


def ensure_model(store: Store, spec: str) -> ModelRecord:
    """The catalog record of ``spec``, made (spec only) if there is none.

    Assessments and fingerprints call this, so every model ever assessed or
    fingerprinted is in the catalog.
    """
    return store.ensure_model_record(normalise_spec(spec))[0]


def get_model(store: Store, spec: str) -> ModelRecord:
    """The catalog record of ``spec``; unknown specs are an error naming close ones."""
    return store.get_model_record(spec.strip())


def sync_catalog(store: Store) -> list[str]:
    """Give every assessed model spec without a catalog record one (spec only); the specs added.

    For databases that hold assessments from before the catalog existed.
    """
    from sqlalchemy import select

    from ..store._tables import assessments, model_records

    q = (
        select(assessments.c.model_spec)
        .where(assessments.c.model_spec.not_in(select(model_records.c.spec)))
        .distinct()
        .order_by(assessments.c.model_spec)
    )
    with store.engine.connect() as conn:
        specs = [str(s) for s in conn.execute(q).scalars()]
    return [s for s in specs if store.ensure_model_record(s)[1]]
