"""The store: SQLAlchemy 2 tables, Alembic migrations, SQLite by default, PostgreSQL by URL."""

from ._db import create_db_engine, default_db_url
from ._migrate import HEAD as SCHEMA_HEAD
from ._migrate import create_fresh, current_revision, upgrade
from ._records import AssessmentRecord, ItemOutcome, RunRecord, SuiteRecord
from ._store import Store
from ._users import User
from ._writer import OutcomeWriter

__all__ = [
    "SCHEMA_HEAD",
    "AssessmentRecord",
    "ItemOutcome",
    "OutcomeWriter",
    "RunRecord",
    "Store",
    "SuiteRecord",
    "User",
    "create_db_engine",
    "create_fresh",
    "current_revision",
    "default_db_url",
    "upgrade",
]
