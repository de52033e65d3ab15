"""Database errors translated into our own, once, at the ledger's boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from governance.exceptions import DatabaseUnavailable, LedgerError


@contextmanager
def translate_db_errors(engine: Engine) -> Iterator[None]:
    """Turn SQLAlchemy's connection and driver errors into DatabaseUnavailable or LedgerError."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        yield
    except OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot use the database at {where}: {_first_line(exc)}"
        ) from exc
    except DBAPIError as exc:
        raise LedgerError(f"database error at {where}: {_first_line(exc)}") from exc


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
