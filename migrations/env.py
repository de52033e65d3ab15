"""Alembic environment: runs on the connection `governance db upgrade` hands over, or on
$GOVERNANCE_DATABASE_URL when alembic is called directly."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from governance.ledger.tables import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = os.environ.get("GOVERNANCE_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set GOVERNANCE_DATABASE_URL, or run `governance db upgrade`")
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
