"""Store methods for the model catalog and fingerprints (mixed into :class:`Store`).

The store keeps rows; what a field may hold and what counts as a changed model is
decided in :mod:`tianping.catalog`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from ..core import StoreError, UnknownNameError
from ._tables import fingerprints, model_records

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ._store import _Tx

MODEL_FIELDS = (
    "vendor",
    "name",
    "version",
    "release_date",
    "filing_number",
    "filing_status",
    "endpoint",
    "notes",
)
"""The fields of a model record a person sets (the spec is its key)."""


@dataclass(frozen=True)
class ModelRecord:
    """One model in the catalog, keyed by the model spec its assessments use."""

    id: int
    spec: str
    vendor: str
    name: str
    version: str
    release_date: str | None
    filing_number: str | None
    filing_status: str | None
    endpoint: str | None
    notes: str
    created_at: float
    updated_at: float

    @property
    def described(self) -> bool:
        """Whether someone has said what the model is (a record made automatically has not)."""
        return bool(self.vendor or self.name or self.version)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Fingerprint:
    """What an endpoint said about itself and how it answered a probe set, at one time.

    ``answers`` maps probe id to the SHA-256 of the normalised answer; ``digest`` is
    one hash over the probe set, the reported models and those answers. ``changed``
    says whether this fingerprint differed from the one before it (see
    :func:`tianping.catalog.compare_fingerprints`).
    """

    id: int
    model_id: int
    taken_at: float
    probe_set: str
    digest: str
    answers: dict[str, str]
    reported_models: tuple[str, ...]
    system_fingerprints: tuple[str, ...]
    changed: bool

    @property
    def identity(self) -> str:
        """The reported model name(s), for people."""
        return ", ".join(self.reported_models) or "(not reported)"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["reported_models"] = list(self.reported_models)
        data["system_fingerprints"] = list(self.system_fingerprints)
        return data


def encode_identity(models: tuple[str, ...], system_fingerprints: tuple[str, ...]) -> str:
    """The ``reported_identity`` column: what the endpoint reported, as compact JSON."""
    return json.dumps(
        {"models": list(models), "system_fingerprints": list(system_fingerprints)},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def decode_identity(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(models, system_fingerprints)`` from the column; plain text counts as one model name."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return ((text,) if text else ()), ()
    return tuple(data.get("models") or ()), tuple(data.get("system_fingerprints") or ())


def model_record(row: Any) -> ModelRecord:
    return ModelRecord(**{f: row[f] for f in ModelRecord.__dataclass_fields__})


def fingerprint_record(row: Any) -> Fingerprint:
    models, system = decode_identity(row["reported_identity"])
    return Fingerprint(
        id=int(row["id"]),
        model_id=int(row["model_id"]),
        taken_at=float(row["taken_at"]),
        probe_set=str(row["probe_set"]),
        digest=str(row["digest"]),
        answers=dict(json.loads(row["answers"])),
        reported_models=models,
        system_fingerprints=system,
        changed=bool(row["changed"]),
    )


class CatalogMethods:
    engine: Engine

    def _begin(self) -> _Tx:  # provided by Store
        raise NotImplementedError

    def _insert(self, table: Any) -> Any:  # provided by Store
        raise NotImplementedError

    # -- model records ---------------------------------------------------

    def find_model_record(self, spec: str) -> ModelRecord | None:
        """The record of ``spec``, or None."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(model_records).where(model_records.c.spec == spec))
                .mappings()
                .first()
            )
        return None if row is None else model_record(row)

    def get_model_record(self, spec: str) -> ModelRecord:
        """The record of ``spec``; an unknown spec is an error naming close ones."""
        found = self.find_model_record(spec)
        if found is not None:
            return found
        with self.engine.connect() as conn:
            known = (
                conn.execute(
                    select(model_records.c.spec)
                    .order_by(model_records.c.updated_at.desc())
                    .limit(200)
                )
                .scalars()
                .all()
            )
        raise UnknownNameError("catalog model", spec, known)

    def ensure_model_record(self, spec: str, **fields: Any) -> tuple[ModelRecord, bool]:
        """The record of ``spec``, made with ``fields`` if there is none; ``(record, created)``.

        Safe when two processes do it at once: the spec is unique, the loser reads
        the winner's row.
        """
        now = time.time()
        row = {f: fields.get(f, _default(f)) for f in MODEL_FIELDS}
        stmt = (
            self._insert(model_records)
            .values(spec=spec, created_at=now, updated_at=now, **row)
            .on_conflict_do_nothing(index_elements=["spec"])
            .returning(model_records.c.id)
        )
        with self._begin() as conn:
            # rowcount is -1 under psycopg 3 here; a returned id says the row is new.
            created = conn.execute(stmt).first() is not None
        return self.get_model_record(spec), created

    def update_model_record(self, spec: str, **fields: Any) -> ModelRecord:
        """Set some fields of the record of ``spec`` (which must exist)."""
        unknown = set(fields) - set(MODEL_FIELDS)
        if unknown:
            raise ValueError(f"not model record fields: {sorted(unknown)}")
        self.get_model_record(spec)
        with self._begin() as conn:
            conn.execute(
                update(model_records)
                .where(model_records.c.spec == spec)
                .values(**fields, updated_at=time.time())
            )
        return self.get_model_record(spec)

    def count_model_records(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(model_records)).scalar_one())

    # -- fingerprints ----------------------------------------------------

    def add_fingerprint(
        self,
        model_id: int,
        *,
        probe_set: str,
        digest: str,
        answers: dict[str, str],
        reported_models: tuple[str, ...],
        system_fingerprints: tuple[str, ...],
        changed: bool,
        taken_at: float | None = None,
    ) -> Fingerprint:
        """Record one fingerprint of a model."""
        row = {
            "model_id": model_id,
            "taken_at": time.time() if taken_at is None else taken_at,
            "reported_identity": encode_identity(reported_models, system_fingerprints),
            "probe_set": probe_set,
            "digest": digest,
            "answers": json.dumps(answers, sort_keys=True, separators=(",", ":")),
            "changed": changed,
        }
        with self._begin() as conn:
            key = conn.execute(fingerprints.insert().values(**row)).inserted_primary_key
        if key is None:  # pragma: no cover - every backend Tianping supports returns it
            raise StoreError("The database did not return the new fingerprint's id.")
        return fingerprint_record({**row, "id": key[0]})

    def list_fingerprints(self, model_id: int, limit: int = 20) -> list[Fingerprint]:
        """A model's fingerprints, newest first."""
        q = (
            select(fingerprints)
            .where(fingerprints.c.model_id == model_id)
            .order_by(fingerprints.c.taken_at.desc(), fingerprints.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [fingerprint_record(r) for r in conn.execute(q).mappings().all()]

    def latest_fingerprint(self, model_id: int) -> Fingerprint | None:
        found = self.list_fingerprints(model_id, limit=1)
        return found[0] if found else None


def _default(field: str) -> Any:
    return "" if field in ("vendor", "name", "version", "notes") else None
