"""``GET /healthz``: is the database answering, are the sources fresh, which directives are out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from governance.api.cache import DirectivesCache
from governance.api.readings import HealthReading
from governance.config import Config
from governance.jsonout import rfc3339

# A source is stale when its last successful run is older than this many of its intervals.
STALE_INTERVALS = 3


def stale_sources(config: Config, runs: dict[str, datetime], now: datetime) -> list[str]:
    """The configured sources without a successful run in their last STALE_INTERVALS intervals
    (a source that never succeeded is stale: nothing of it is in the ledger)."""
    return [
        source.name
        for source in config.sources
        if (last := runs.get(source.name)) is None or now - last > STALE_INTERVALS * source.every
    ]


def health_document(
    config: Config,
    cache: DirectivesCache,
    reading: HealthReading | None,
    reading_error: str | None,
    now: datetime,
) -> tuple[int, dict[str, Any]]:
    """The HTTP status (200 ok, 503 degraded) and the body of ``/healthz``.

    Degraded when the database does not answer, or a source is stale. While the database is
    down the last reading is shown.
    """
    database_ok = cache.database_ok and reading_error is None
    runs = reading.runs if reading is not None else {}
    stale = stale_sources(config, runs, now)
    last_ingest = reading.last_ingest if reading is not None else None
    last_evaluation = reading.last_evaluation if reading is not None else None
    published = cache.current
    ok = database_ok and not stale
    document: dict[str, Any] = {
        "status": "ok" if ok else "degraded",
        "database": "ok" if database_ok else "unreachable",
        "last_ingest": None if last_ingest is None else rfc3339(last_ingest),
        "last_evaluation": None if last_evaluation is None else rfc3339(last_evaluation),
        "directives_version": None if published is None else published.version,
        "stale_sources": stale,
    }
    error = reading_error or cache.last_error
    if not database_ok and error:
        document["error"] = error
    return (200 if ok else 503), document
