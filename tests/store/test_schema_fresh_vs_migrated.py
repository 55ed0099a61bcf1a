"""A fresh database (create_all + stamp) must equal one built by running every migration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect

from tianping.store import SCHEMA_HEAD, create_fresh, current_revision, upgrade


def _describe(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        insp = inspect(conn)
        out: dict[str, Any] = {"revision": current_revision(conn)}
        for table in sorted(insp.get_table_names()):
            cols = [
                (c["name"], str(c["type"]), c["nullable"], c.get("primary_key"))
                for c in insp.get_columns(table)
            ]
            idx = sorted((i["name"], tuple(i["column_names"])) for i in insp.get_indexes(table))
            fks = sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in insp.get_foreign_keys(table)
            )
            pk = tuple(insp.get_pk_constraint(table)["constrained_columns"])
            out[table] = {"columns": sorted(cols), "indexes": idx, "fks": fks, "pk": pk}
    engine.dispose()
    return out


def test_fresh_schema_equals_migrated_schema(tmp_path: Path) -> None:
    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrated_url = f"sqlite:///{tmp_path / 'migrated.db'}"
    with create_engine(fresh_url).begin() as conn:
        create_fresh(conn)
    with create_engine(migrated_url).begin() as conn:
        upgrade(conn)
    fresh, migrated = _describe(fresh_url), _describe(migrated_url)
    assert fresh["revision"] == migrated["revision"] == SCHEMA_HEAD
    assert fresh == migrated
    assert {"runs", "responses", "run_items", "suites", "suite_items", "scores"} <= set(fresh)
