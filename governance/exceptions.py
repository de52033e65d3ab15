"""Every error the library raises on purpose, in one tree.

GovernanceError
 ├── ConfigError          the config file is missing, unreadable or invalid (lists every problem)
 ├── LedgerError          the ledger cannot be reached, or is not at the current schema
 │    └── DatabaseUnavailable   the database did not answer (retry later)
 ├── SourceUnavailable    a source's API or database did not answer, retries spent (retry later)
 ├── DeliveryError        an alert channel did not take a message; .permanent: retrying cannot help
 └── UsageError           a request that cannot be met as asked (bad period, unknown name)

Third-party errors (SQLAlchemy, pydantic, tomllib) are translated into these once, where they
are caught, with ``raise ... from exc``; callers never see them. The CLI turns any of these into
a one-line message and exit code 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


class GovernanceError(Exception):
    """Base of every error raised on purpose by spend-governance."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the config: where (a dotted key path) and why, in plain words."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(GovernanceError):
    """The config cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        listing = "; ".join(str(p) for p in problems)
        super().__init__(f"{source}: {count} problem{'s' if count != 1 else ''}: {listing}")


class LedgerError(GovernanceError):
    """The ledger cannot be used as it is."""


class DatabaseUnavailable(LedgerError):
    """The database did not answer; the operation may succeed if retried."""


class SourceUnavailable(GovernanceError):
    """A source's API or database did not answer (down, rate limited, dropped the connection);
    a later pull may succeed. A refusal that retrying cannot cure (bad key) is a UsageError."""


class UsageError(GovernanceError):
    """A request that cannot be met as asked."""


# What a permanent delivery error blocks: the whole channel (a revoked token), one destination
# (an unknown channel), or only the message that met it (a payload the channel refuses).
DeliveryScope = Literal["channel", "destination", "message"]


class DeliveryError(GovernanceError):
    """A channel did not take a message. ``permanent`` errors are not retried until the
    channel's config changes; temporary ones are, after ``retry_after`` seconds if given."""

    def __init__(
        self,
        message: str,
        permanent: bool = False,
        *,
        scope: DeliveryScope = "message",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = message
        self.permanent = permanent
        self.scope = scope
        self.retry_after = retry_after
