"""The directives routers poll, held in memory: ``GET /directives`` never touches the database.

A background thread reads the newest published document (``directive_versions``) every
``interval`` seconds, so a new version is served within about that long. While the database is
down the last document read stays in service; the cache only says so (``database_ok``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from governance.api.http import JSON_TYPE, Response, json_bytes
from governance.config import Config
from governance.domain import directives as rules
from governance.domain.periods import period_containing
from governance.exceptions import GovernanceError
from governance.ledger.errors import translate_db_errors
from governance.ledger.tables import directive_versions
from governance.services.evaluate import directives_document

log = logging.getLogger(__name__)

# ?category= takes any string: keep the filtered bodies of this many, compute the rest each time.
MAX_FILTERED = 64


@dataclass
class Published:
    """One directive document, with its bodies and headers computed once."""

    row_id: int | None  # None: nothing published yet, an empty document made here
    version: str
    document: dict[str, Any]
    full: Response = field(init=False)
    not_modified: Response = field(init=False)
    _filtered: dict[str, Response] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.full = self._response(json_bytes(self.document))
        validators = [("ETag", f'"{self.version}"'), ("Cache-Control", "no-cache")]
        self.not_modified = Response("304 Not Modified", validators)

    def _response(self, body: bytes) -> Response:
        headers = [
            ("Content-Type", JSON_TYPE),
            ("Content-Length", str(len(body))),
            ("ETag", f'"{self.version}"'),
            ("Cache-Control", "no-cache"),
        ]
        return Response("200 OK", headers, body)

    def for_category(self, category: str) -> Response:
        """The document with only ``category``'s routes and directives (same version)."""
        cached = self._filtered.get(category)
        if cached is not None:
            return cached
        document = {
            **self.document,
            "routes": {k: v for k, v in self.document.get("routes", {}).items() if k == category},
            "directives": [
                d for d in self.document.get("directives", []) if d.get("category") == category
            ],
        }
        response = self._response(json_bytes(document))
        if len(self._filtered) < MAX_FILTERED:
            self._filtered[category] = response  # a race only computes one twice
        return response


class DirectivesCache:
    """The latest published directives, refreshed from the ledger in a background thread."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        clock: Callable[[], datetime],
        interval: float = 1.0,
    ) -> None:
        self.engine = engine
        self.config = config
        self.clock = clock
        self.interval = interval
        self.database_ok = False
        self.last_error: str | None = None
        self._current: Published | None = None
        self._stop = threading.Event()
        self._first = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def current(self) -> Published | None:
        """The document in service, or None when none could be read yet."""
        return self._current

    def refresh(self) -> bool:
        """Read the newest version; True when it changed. Database errors are recorded, not
        raised: the document in service stays."""
        try:
            changed = self._read()
        except (GovernanceError, SQLAlchemyError) as exc:
            if self.database_ok or self.last_error is None:
                log.warning("directives: database unreachable, serving the last known: %s", exc)
            self.database_ok = False
            self.last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return False
        if not self.database_ok and self.last_error is not None:
            log.info("directives: database reachable again")
        self.database_ok, self.last_error = True, None
        return changed

    def _read(self) -> bool:
        table = directive_versions
        with translate_db_errors(self.engine), self.engine.connect() as conn:
            newest = conn.execute(
                select(table.c.id, table.c.version).order_by(table.c.id.desc()).limit(1)
            ).first()
            current = self._current
            if newest is None:
                return self._publish_empty(current)
            if current is not None and current.row_id == newest.id:
                return False
            document = conn.execute(
                select(table.c.document).where(table.c.id == newest.id)
            ).scalar_one()
        self._current = Published(int(newest.id), newest.version, dict(document))
        return True

    def _publish_empty(self, current: Published | None) -> bool:
        # Nothing evaluated yet: routers get the empty document of the current period, made
        # here without writing (a `serve` replica only reads).
        now = self.clock()
        period = period_containing(now, self.config.budget.timezone)
        version = rules.version(period.label, [], self.config.policy())
        if current is not None and current.row_id is None and current.version == version:
            return False
        document = directives_document(self.config, period, [], version, now)
        self._current = Published(None, version, document)
        return True

    def start(self, wait: float = 5.0) -> None:
        """Start refreshing; wait up to ``wait`` seconds for the first read to finish."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="directives-cache", daemon=True)
        self._thread.start()
        self._first.wait(wait)

    def _run(self) -> None:
        while True:
            try:
                self.refresh()
            except Exception:  # the thread must outlive any surprise; the next round retries
                log.exception("directives: refresh failed")
            self._first.set()
            if self._stop.wait(self.interval):
                return

    def stop(self) -> None:
        """Stop refreshing (the document in service stays readable)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
