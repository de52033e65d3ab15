"""The ledger, the quarantine, source cursors and ingest runs.

Money columns are BIGINT counts of nano-units (1e-9 of the currency); times are naive UTC.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NANOS = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "ingest_runs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("cost", NANOS, nullable=False),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_runs"),
    )
    op.create_index("ix_ingest_runs_source_started_at", "ingest_runs", ["source", "started_at"])

    op.create_table(
        "ledger",
        sa.Column("id", ID, autoincrement=True),
        sa.Column("layer", sa.String(8), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("source_key", sa.String(255), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("team", sa.String(255)),
        sa.Column("project", sa.String(255)),
        sa.Column("api_key_hash", sa.String(64)),
        sa.Column("tags", sa.JSON()),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cached_input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cache_write_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost", NANOS, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cost_basis", sa.String(10), nullable=False),
        sa.Column("original_cost", NANOS),
        sa.Column("original_currency", sa.String(3)),
        sa.Column("fx_rate", sa.String(40)),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
        sa.Column("run_id", ID),
        sa.PrimaryKeyConstraint("id", name="pk_ledger"),
        sa.UniqueConstraint("source", "source_key", name="uq_ledger_source_source_key"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ingest_runs.id"], name="fk_ledger_run_id_ingest_runs"
        ),
    )
    op.create_index("ix_ledger_occurred_at", "ledger", ["occurred_at"])
    op.create_index("ix_ledger_cost_basis", "ledger", ["cost_basis"])

    op.create_table(
        "quarantine",
        sa.Column("id", ID, autoincrement=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("location", sa.String(1000), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("released_at", sa.DateTime()),
        sa.Column("run_id", ID),
        sa.PrimaryKeyConstraint("id", name="pk_quarantine"),
        sa.UniqueConstraint("fingerprint", name="uq_quarantine_fingerprint"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ingest_runs.id"], name="fk_quarantine_run_id_ingest_runs"
        ),
    )
    op.create_index("ix_quarantine_status_seen_at", "quarantine", ["status", "seen_at"])

    op.create_table(
        "source_cursors",
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("stream", sa.String(1000), nullable=False),
        sa.Column("position", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "stream", name="pk_source_cursors"),
    )


def downgrade() -> None:
    op.drop_table("source_cursors")
    op.drop_table("quarantine")
    op.drop_table("ledger")
    op.drop_table("ingest_runs")
