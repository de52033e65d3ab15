"""The model a gateway priced a row as, where it is not the model that served it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, and NULL for every row read before: no gateway said so then.
    op.add_column("ledger", sa.Column("priced_model", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.drop_column("priced_model")
