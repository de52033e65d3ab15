"""``GET /healthz``: is the database answering, are the sources fresh, which directives are out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from governance.api.cache import DirectivesCache
from governance.api.jobs import JobsView
from governance.api.readings import HealthReading
from governance.config import Config
from governance.domain.staleness import stale_sources
from governance.jsonout import rfc3339
from governance.ledger.engine import WriteState


def health_document(
    config: Config,
    cache: DirectivesCache,
    reading: HealthReading | None,
    reading_error: str | None,
    now: datetime,
    jobs: JobsView | None = None,
    writes: WriteState | None = None,
) -> tuple[int, dict[str, Any]]:
    """The HTTP status (200 ok, 503 degraded) and the body of ``/healthz``.

    Degraded when the database does not answer, or refused this process's last write (its
    reason shown; ok again once a write succeeds), or a source is stale. While the database is
    down the last reading is shown. A daemon (``governance run``) adds its ``role`` and its
    ``jobs``; a job's failure alone does not degrade: it is retried at its next run, and one
    that keeps failing shows as a stale source or an unreachable database.
    """
    database_ok = cache.database_ok and reading_error is None
    activity = reading.activity if reading is not None else {}
    stale = stale_sources(config.source_intervals(), activity, now)
    last_ingest = reading.last_ingest if reading is not None else None
    last_evaluation = reading.last_evaluation if reading is not None else None
    published = cache.current
    refused = writes.refused if writes is not None and database_ok else None
    ok = database_ok and refused is None and not stale
    database = "ok" if database_ok else "unreachable"
    document: dict[str, Any] = {
        "status": "ok" if ok else "degraded",
        "database": "refusing writes" if refused is not None else database,
        "last_ingest": None if last_ingest is None else rfc3339(last_ingest),
        "last_evaluation": None if last_evaluation is None else rfc3339(last_evaluation),
        "directives_version": None if published is None else published.version,
        "stale_sources": stale,
    }
    error = reading_error or cache.last_error
    if not database_ok and error:
        document["error"] = error
    elif refused is not None and writes is not None and writes.since is not None:
        document["error"] = f"writes refused since {rfc3339(writes.since)}: {refused}"
    if jobs is not None:
        document["role"] = jobs.role
        document["jobs"] = jobs.to_json()
    return (200 if ok else 503), document
