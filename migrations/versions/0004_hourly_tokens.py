"""Token counts in the hourly rollup: `spend --by category|day` read it, and showed 0 tokens.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("input_tokens", "output_tokens"):
        op.add_column(
            "rollup_hourly",
            sa.Column(name, sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        )
    # The rollup is rebuilt from the ledger, as revision 0002 built it, now with the tokens.
    sqlite = op.get_bind().dialect.name == "sqlite"
    hour = (
        "strftime('%Y-%m-%d %H:00:00.000000', occurred_at)"
        if sqlite
        else "date_trunc('hour', occurred_at)"
    )
    op.execute("DELETE FROM rollup_hourly")
    op.execute(
        f"INSERT INTO rollup_hourly (hour, provider, layer, category, cost, requests, "
        f"input_tokens, output_tokens, rows) "
        f"SELECT {hour}, provider, layer, category, SUM(cost), SUM(requests), "
        f"SUM(input_tokens), SUM(output_tokens), COUNT(*) "
        f"FROM ledger GROUP BY {hour}, provider, layer, category"
    )


def downgrade() -> None:
    with op.batch_alter_table("rollup_hourly") as batch:
        batch.drop_column("output_tokens")
        batch.drop_column("input_tokens")
