"""Rollups (backfilled from the ledger), evaluations, crossings, directives and their versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NANOS = sa.BigInteger()


def _rollups() -> None:
    op.create_table(
        "rollup_hourly",
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("layer", sa.String(8), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("cost", NANOS, nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "provider", "layer", "category", name="pk_rollup_hourly"),
    )
    op.create_table(
        "rollup_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("layer", sa.String(8), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("team", sa.String(255), nullable=False),
        sa.Column("cost", NANOS, nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("unpriced", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "provider",
            "layer",
            "category",
            "tier",
            "model",
            "team",
            name="pk_rollup_daily",
        ),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    hour = (
        "strftime('%Y-%m-%d %H:00:00.000000', occurred_at)"
        if sqlite
        else "date_trunc('hour', occurred_at)"
    )
    day = "date(occurred_at)" if sqlite else "CAST(occurred_at AS DATE)"
    op.execute(
        f"INSERT INTO rollup_hourly (hour, provider, layer, category, cost, requests, rows) "
        f"SELECT {hour}, provider, layer, category, SUM(cost), SUM(requests), COUNT(*) "
        f"FROM ledger GROUP BY {hour}, provider, layer, category"
    )
    op.execute(
        f"INSERT INTO rollup_daily (day, provider, layer, category, tier, model, team, cost, "
        f"requests, input_tokens, output_tokens, rows, unpriced) "
        f"SELECT {day}, provider, layer, category, tier, model, COALESCE(team, ''), SUM(cost), "
        f"SUM(requests), SUM(input_tokens), SUM(output_tokens), COUNT(*), "
        f"SUM(CASE WHEN cost_basis = 'unpriced' THEN 1 ELSE 0 END) "
        f"FROM ledger GROUP BY {day}, provider, layer, category, tier, model, COALESCE(team, '')"
    )


def upgrade() -> None:
    _rollups()
    op.create_table(
        "evaluations",
        sa.Column("id", ID, autoincrement=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(), nullable=False),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("directives_version", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
    )
    op.create_index("ix_evaluations_period_as_of", "evaluations", ["period", "as_of"])
    op.create_table(
        "crossings",
        sa.Column("id", ID, autoincrement=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(8), nullable=False),
        sa.Column("crossed_at", sa.DateTime(), nullable=False),
        sa.Column("value", NANOS, nullable=False),
        sa.Column("allocation", NANOS, nullable=False),
        sa.Column("evaluation_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crossings"),
        sa.UniqueConstraint(
            "period", "category", "level", "basis", name="uq_crossings_period_category_level_basis"
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["evaluations.id"], name="fk_crossings_evaluation_id_evaluations"
        ),
    )
    op.create_table(
        "directives",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("from_tier", sa.String(32), nullable=False),
        sa.Column("to_tier", sa.String(32), nullable=False),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("substitutes", sa.JSON(), nullable=False),
        sa.Column("effective_from", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("ended_at", sa.DateTime()),
        sa.Column("revoked_by", sa.String(200)),
        sa.Column("revoke_reason", sa.Text()),
        sa.Column("evaluation_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_directives"),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["evaluations.id"], name="fk_directives_evaluation_id_evaluations"
        ),
    )
    op.create_index("ix_directives_status_period", "directives", ["status", "period"])
    op.create_table(
        "directive_versions",
        sa.Column("id", ID, autoincrement=True),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_directive_versions"),
    )


def downgrade() -> None:
    for table in (
        "directive_versions", "directives", "crossings", "evaluations", "rollup_daily",
        "rollup_hourly",
    ):  # fmt: skip
        op.drop_table(table)
