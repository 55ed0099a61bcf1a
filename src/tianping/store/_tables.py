"""Table definitions (SQLAlchemy Core). Schema changes go through a migration."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# A suite's items, stored once per content hash, so a run can be resumed and
# re-scored even if the suite files have moved or changed since.
suites = Table(
    "suites",
    metadata,
    Column("hash", String(80), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("version", String(100), nullable=False),
    Column("source", Text, nullable=False),
    Column("manifest", Text, nullable=False),
    Column("n_items", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
)

suite_items = Table(
    "suite_items",
    metadata,
    Column("suite_hash", String(80), ForeignKey("suites.hash"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("item_id", String(200), nullable=False),
    Column("data", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("model_spec", Text, nullable=False),
    Column("suite_hash", String(80), ForeignKey("suites.hash"), nullable=False),
    Column("suite_name", String(200), nullable=False),
    Column("n_items", Integer, nullable=False),
    Column("manifest", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("requests_sent", Integer, nullable=False, default=0),
    Column("retries", Integer, nullable=False, default=0),
    Column("error", Text),
)

# The response cache: one row per request key (a hash of everything that
# determines the answer). Only successful answers live here.
responses = Table(
    "responses",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("model", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("finish_reason", String(40)),
    Column("refused_by_service", Boolean, nullable=False, default=False),
    Column("vendor_code", String(120)),
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("latency_ms", Float),
    Column("reported_model", String(200)),
    Column("system_fingerprint", String(200)),
    Column("created_at", Float, nullable=False),
)

# What happened to each item of each run. One row per (run, item): an item
# retried after a failure is updated in place, never counted twice.
run_items = Table(
    "run_items",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("item_id", String(200), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("request_key", String(64), nullable=False),
    Column("status", String(10), nullable=False),
    Column("cached", Boolean, nullable=False, default=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("updated_at", Float, nullable=False),
)
Index("ix_run_items_run_status", run_items.c.run_id, run_items.c.status)

scores = Table(
    "scores",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False),
    Column("item_id", String(200), nullable=False),
    Column("scorer", String(100), nullable=False),
    Column("scorer_version", String(40), nullable=False),
    Column("value", Float),
    Column("label", String(100)),
    Column("explanation", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
)
Index("ix_scores_run_item", scores.c.run_id, scores.c.item_id)

# One model assessed against one profile: what was asked (params), the run
# that holds its responses, and the decided result (AssessmentResult as JSON).
assessments = Table(
    "assessments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("model_spec", Text, nullable=False),
    Column("profile", String(200), nullable=False),
    Column("profile_hash", String(80), nullable=False),
    Column("run_id", String(32), ForeignKey("runs.id")),
    Column("params", Text, nullable=False),
    Column("result", Text),
    Column("out_dir", Text),
    Column("conclusion", String(20)),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("error", Text),
)
Index("ix_assessments_model", assessments.c.model_spec)

# -- the catalog, people and review (issue 7) -------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),  # admin | assessor | reviewer | viewer
    Column("password_hash", Text),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
)

# API tokens: only a hash is stored; the token is shown once.
tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(12), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float),
    Column("revoked", Boolean, nullable=False, default=False),
)

# Browser sessions: the cookie holds a random id; only its hash is stored.
sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

# The catalog: one record per model a buyer can look up.
model_records = Table(
    "model_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("spec", Text, nullable=False, unique=True),  # the model spec assessments use
    Column("vendor", String(200), nullable=False, default=""),
    Column("name", String(200), nullable=False, default=""),
    Column("version", String(100), nullable=False, default=""),
    Column("release_date", String(20)),
    Column("filing_number", String(100)),
    Column("filing_status", String(40)),
    Column("endpoint", Text),
    Column("notes", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# What a model said about itself and how it answered a fixed probe set at
# temperature 0; a change means its conformity is stale.
fingerprints = Table(
    "fingerprints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("model_records.id"), nullable=False),
    Column("taken_at", Float, nullable=False),
    Column("reported_identity", Text, nullable=False, default=""),
    Column("probe_set", String(80), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("answers", Text, nullable=False),  # JSON: probe id -> sha256 of the answer
    Column("changed", Boolean, nullable=False, default=False),
)
Index("ix_fingerprints_model", fingerprints.c.model_id, fingerprints.c.taken_at)

# Human review (clause 9.3): the items drawn for people, and their labels.
review_tasks = Table(
    "review_tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("assessment_id", String(32), ForeignKey("assessments.id"), nullable=False),
    Column("clause", String(40), nullable=False),
    Column("item_id", String(200), nullable=False),
    Column("stratum", String(40), nullable=False, default=""),
    Column("position", Integer, nullable=False),
    Column("seed", Integer, nullable=False),
    Column(
        "status", String(20), nullable=False, default="open"
    ),  # open | agreed | disputed | adjudicated
    Column("created_at", Float, nullable=False),
)
Index("ix_review_tasks_assessment", review_tasks.c.assessment_id, review_tasks.c.clause)

review_labels = Table(
    "review_labels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("review_tasks.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("stage", String(12), nullable=False),  # first | second | adjudication
    Column("qualified", Boolean, nullable=False),
    Column("risk", String(8)),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
)
Index("ix_review_labels_task", review_labels.c.task_id)
