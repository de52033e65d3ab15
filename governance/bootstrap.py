"""The one composition root: the CLI, the API, the dashboard and the worker all start here.

Nothing connects at import time; ``bootstrap`` builds what it is not given, lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from governance.api.app import ApiApp
    from governance.jobstate import JobRegistry

from governance.config import Config, SourceConfig, find_config_path, load_config
from governance.domain.periods import Period, period_containing, period_for_label
from governance.domain.usage import LedgerRules
from governance.exceptions import UsageError
from governance.ingest.runner import DEFAULT_BATCH, Ingestor
from governance.ledger.engine import make_engine
from governance.pricing import Pricer
from governance.secrets import named_secrets
from governance.sources.redact import Redactor


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

    def ledger_rules(self) -> LedgerRules:
        """What turns a source's record into a ledger row, from the config."""
        budget = self.config.budget
        return LedgerRules(
            tiers=self.config.tier_map(),
            rules=self.config.category_rules(),
            currency=budget.currency,
            fx=dict(self.config.fx),
            price=Pricer(self.config.prices, budget.currency),
        )

    def ingestor(self, batch_size: int = DEFAULT_BATCH) -> Ingestor:
        redactor = Redactor(named_secrets(self.config, self.environ))
        return Ingestor(self.engine, self.ledger_rules(), self.clock, batch_size, redactor)

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


def http_app(
    governance: Governance, *, refresh_seconds: float = 1.0, jobs: JobRegistry | None = None
) -> ApiApp:
    """The one WSGI app ``serve`` and ``run`` answer with: the API, the dashboard on every
    other path, and basic auth in front of both when it is configured. ``run`` passes its
    ``jobs`` so that /healthz and /metrics show them."""
    from dashboard.app import make_dashboard
    from dashboard.auth import guard_from_environment
    from governance.api.app import make_wsgi_app

    guard = guard_from_environment(governance.config.server, governance.environ)
    dashboard = make_dashboard(governance)
    return make_wsgi_app(
        governance, dashboard.server, guard=guard, refresh_seconds=refresh_seconds, jobs=jobs
    )


def bootstrap(
    config_path: str | Path | None = None,
    *,
    environ: Mapping[str, str],
    cwd: Path | None = None,
    clock: Callable[[], datetime] = utc_now,
    engine: Engine | None = None,
) -> Governance:
    """Load the config (``--config``, then $GOVERNANCE_CONFIG, then ./governance.toml) and wire."""
    path = find_config_path(
        str(config_path) if config_path is not None else None, environ, cwd or Path.cwd()
    )
    return Governance(load_config(path), path, environ, clock, engine)
