"""The alert outbox and the alert channels' delivery state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_outbox",
        sa.Column("id", ID, autoincrement=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("dedupe_key", sa.String(300), nullable=False),
        sa.Column("period", sa.String(7)),
        sa.Column("category", sa.String(64)),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("evaluation_id", ID),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime()),
        sa.Column("claimed_by", sa.String(100)),
        sa.Column("claimed_until", sa.DateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("failed_hash", sa.String(64)),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("sent_to", sa.String(255)),
        sa.PrimaryKeyConstraint("id", name="pk_alert_outbox"),
        sa.UniqueConstraint("dedupe_key", name="uq_alert_outbox_dedupe_key"),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["evaluations.id"], name="fk_alert_outbox_evaluation_id_evaluations"
        ),
    )
    op.create_index(
        "ix_alert_outbox_status_next_attempt_at", "alert_outbox", ["status", "next_attempt_at"]
    )
    op.create_table(
        "alert_channel_state",
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("failed_hash", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.Column("alert_id", ID),
        sa.PrimaryKeyConstraint("target", name="pk_alert_channel_state"),
    )


def downgrade() -> None:
    op.drop_table("alert_channel_state")
    op.drop_index("ix_alert_outbox_status_next_attempt_at", table_name="alert_outbox")
    op.drop_table("alert_outbox")
