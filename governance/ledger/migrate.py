"""Schema migrations with Alembic, run on the ledger's own engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from governance.exceptions import LedgerError
from governance.ledger.errors import translate_db_errors


def _script_location() -> Path:
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_migrations"  # where the wheel puts migrations/
    return packaged if packaged.is_dir() else here.parent / "migrations"


def _alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(_script_location()))
    return config


def head_revision() -> str:
    """The newest revision this version of the code knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "migrations/ has no revisions"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with translate_db_errors(engine), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Bring the database to ``revision`` (the newest by default); returns the newest."""
    config = _alembic_config()
    with translate_db_errors(engine), engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return head_revision()


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to ``revision`` (its tables of later revisions are dropped)."""
    config = _alembic_config()
    with translate_db_errors(engine), engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def require_current(engine: Engine) -> None:
    """Raise LedgerError unless the database is at the newest revision."""
    current, head = current_revision(engine), head_revision()
    if current is None:
        raise LedgerError("the ledger has no tables yet: run `governance db upgrade`")
    if current != head:
        raise LedgerError(
            f"the ledger is at revision {current}, this version needs {head}: "
            "run `governance db upgrade`"
        )
