"""Initial schema: suites, suite items, runs, responses, run items, scores.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suites",
        sa.Column("hash", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("n_items", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "suite_items",
        sa.Column("suite_hash", sa.String(80), sa.ForeignKey("suites.hash"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.String(200), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("model_spec", sa.Text, nullable=False),
        sa.Column("suite_hash", sa.String(80), sa.ForeignKey("suites.hash"), nullable=False),
        sa.Column("suite_name", sa.String(200), nullable=False),
        sa.Column("n_items", sa.Integer, nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("requests_sent", sa.Integer, nullable=False),
        sa.Column("retries", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "responses",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("finish_reason", sa.String(40)),
        sa.Column("refused_by_service", sa.Boolean, nullable=False),
        sa.Column("vendor_code", sa.String(120)),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("completion_tokens", sa.Integer),
        sa.Column("latency_ms", sa.Float),
        sa.Column("reported_model", sa.String(200)),
        sa.Column("system_fingerprint", sa.String(200)),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "run_items",
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("item_id", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("request_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("cached", sa.Boolean, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_run_items_run_status", "run_items", ["run_id", "status"])
    op.create_table(
        "scores",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("item_id", sa.String(200), nullable=False),
        sa.Column("scorer", sa.String(100), nullable=False),
        sa.Column("scorer_version", sa.String(40), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("label", sa.String(100)),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_scores_run_item", "scores", ["run_id", "item_id"])


def downgrade() -> None:
    op.drop_index("ix_scores_run_item", "scores")
    op.drop_table("scores")
    op.drop_index("ix_run_items_run_status", "run_items")
    op.drop_table("run_items")
    op.drop_table("responses")
    op.drop_table("runs")
    op.drop_table("suite_items")
    op.drop_table("suites")
