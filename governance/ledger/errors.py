"""Database errors translated into our own, once, at the ledger's boundary."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    InternalError,
    OperationalError,
    StatementError,
)

from governance.domain.limits import storable
from governance.exceptions import DatabaseUnavailable, LedgerError

_QUOTED: Final = re.compile(r"\"[^\"]*\"|'[^']*'")  # values a driver quotes in its message
_REASON_LENGTH: Final = 300


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


def refused_values(exc: BaseException) -> bool:
    """True when ``exc`` is the database or its driver refusing a statement's values (out of
    range, too long, not encodable): something about a record, which the ingest quarantines.
    False for the database failing (unreachable, read-only, locked, out of space), which is
    about the database and must fail the batch, to be tried again."""
    if isinstance(exc, DBAPIError):
        failing = (OperationalError, InterfaceError, InternalError)
        return not exc.connection_invalidated and not isinstance(exc, failing)
    return isinstance(exc, StatementError | ValueError | TypeError | ArithmeticError)


def refusal_reason(exc: BaseException) -> str:
    """Why the ledger refused a record, in words, on one line; values the driver quoted (which
    may be a record's secrets) are left out."""
    cause = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    if isinstance(cause, UnicodeEncodeError):
        bad = ord(cause.object[cause.start]) if cause.start < len(cause.object) else 0
        detail = f"text it cannot encode (U+{bad:04X}: {cause.reason})"
    elif isinstance(cause, OverflowError):
        detail = f"a number beyond 64 bits ({cause})"
    else:
        lines = str(cause).strip().splitlines()
        detail = lines[0] if lines else ""
        if not isinstance(exc, DBAPIError):  # a driver's message says what; ours need the kind
            detail = f"{type(cause).__name__}: {detail}"
    detail = _QUOTED.sub('"…"', detail)
    return storable(f"the ledger refused it: {detail}")[:_REASON_LENGTH]
