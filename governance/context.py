"""The wired context every adapter is handed: the config, the ledger engine, the clock and the
period lookup. ``governance.bootstrap`` builds it for the entry points (the CLI, the daemon,
the WSGI factory); the API, the dashboard, ingest and alerts take it and never build one.

It imports nothing above the domain, the config and the ledger engine. Nothing connects at
import time: the engine is made on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from governance.config import Config, SourceConfig
from governance.domain.periods import Period, period_containing, period_for_label
from governance.exceptions import UsageError
from governance.ledger.engine import make_engine


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Governance:
    """The wired application: config, ledger engine and clock."""

    config: Config
    config_path: Path
    environ: Mapping[str, str] = field(repr=False)  # holds secrets: never printed
    clock: Callable[[], datetime] = utc_now
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def database_url(self) -> str:
        return self.config.database_url(self.environ)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.database_url, create_dirs=True)
        return self._engine

    def period(self, label: str | None = None) -> Period:
        """The period named ``YYYY-MM``, or the current one, in the budget's timezone."""
        timezone = self.config.budget.timezone
        if label is None:
            return period_containing(self.clock(), timezone)
        try:
            return period_for_label(label, timezone)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc

    def source(self, name: str) -> SourceConfig:
        """The configured source called ``name``."""
        for source in self.config.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.config.sources) or "none configured"
        raise UsageError(f"no source named {name!r} in the config ({known})")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
