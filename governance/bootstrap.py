"""The one composition root, imported by the entry points alone (the CLI, the daemon, and the
WSGI factory ``serve`` and ``run`` answer with): it loads the config and builds the context
(``governance.context.Governance``) that every adapter is handed, and the HTTP app.

Nothing connects at import time; the context builds its engine on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from governance.config import find_config_path, load_config
from governance.context import Governance, utc_now

if TYPE_CHECKING:  # the HTTP stack is imported when an app is made: the CLI starts faster
    from governance.api.app import ApiApp
    from governance.api.jobs import JobsView


def http_app(
    governance: Governance, *, refresh_seconds: float = 1.0, jobs: JobsView | None = None
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
