"""The API as one WSGI application, and the dispatcher that hands other paths to a second app
(the dashboard) so that both are served by one server in one process."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from prometheus_client.registry import Collector

from governance.api import health, metrics
from governance.api.cache import DirectivesCache
from governance.api.http import (
    Environ,
    Guard,
    Response,
    StartResponse,
    WSGIApp,
    bearer_allowed,
    error,
    etag_matches,
    json_response,
    parse_tokens,
    query_value,
)
from governance.api.jobs import JobsView
from governance.api.openapi import openapi_document
from governance.api.readings import MetricsReading, Snapshot, read_health, read_metrics
from governance.config.secrets import read_secret
from governance.context import Governance
from governance.exceptions import GovernanceError, UsageError
from governance.ledger.engine import write_state
from governance.services.reports import status_document

log = logging.getLogger(__name__)

# The dashboard's basic auth (a Guard) stands in front of all but the router contract (its
# own bearer tokens) and the health probe.
OPEN_PATHS = frozenset({"/directives", "/healthz"})
READS = ("GET", "HEAD")
ALLOWED = ", ".join(READS)


class ApiApp:
    """``/directives``, ``/healthz``, ``/metrics``, ``/api/v1/status``, ``/openapi.json``;
    anything else goes to ``fallback`` (404 when there is none)."""

    def __init__(
        self,
        governance: Governance,
        cache: DirectivesCache,
        tokens: tuple[bytes, ...],
        fallback: WSGIApp | None = None,
        guard: Guard | None = None,
        jobs: JobsView | None = None,
    ) -> None:
        self.governance = governance
        self.jobs = jobs
        self.cache = cache
        self.tokens = tokens
        self.fallback = fallback
        self.guard = guard
        self._health = Snapshot(lambda: read_health(governance.engine), ttl=2.0)
        self._metrics = Snapshot(lambda: read_metrics(governance), ttl=5.0)
        self.writes = write_state(governance.engine)
        collectors: list[Collector] = [
            metrics.LedgerCollector(self._metrics_reading),
            metrics.WriteCollector(self.writes),
        ]
        if jobs is not None:
            collectors.append(metrics.JobCollector(jobs))
        self._registry = metrics.registry_of(*collectors)
        self._openapi = json_response(200, openapi_document(bool(tokens)))
        self._routes: dict[str, Callable[[Environ], Response]] = {
            "/directives": self.directives,
            "/healthz": self.healthz,
            "/metrics": self.metrics,
            "/api/v1/status": self.status,
            "/openapi.json": lambda _environ: self._openapi,
        }

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        handler = self._routes.get(path)
        if handler is None:
            if self.fallback is not None and not path.startswith("/api/"):
                refused = self.guard(environ) if self.guard is not None else None
                if refused is None:
                    return self.fallback(environ, start_response)
                response = refused
            else:
                response = error(404, f"no such endpoint: {path}")
        elif environ["REQUEST_METHOD"] not in READS:
            response = error(405, "only GET and HEAD", [("Allow", ALLOWED)])
        else:
            response = self._answer(path, handler, environ)
        start_response(response.status, response.headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [response.body]

    def answer_on_loop(self, environ: Environ) -> Response | None:
        """``GET /directives`` on the server's event loop: it is answered from memory, and
        routers' polls should not queue behind the dashboard's work. None for anything else."""
        if environ["PATH_INFO"] != "/directives" or environ["REQUEST_METHOD"] not in READS:
            return None
        return self._answer("/directives", self.directives, environ)

    def _answer(
        self, path: str, handler: Callable[[Environ], Response], environ: Environ
    ) -> Response:
        if self.guard is not None and path not in OPEN_PATHS:
            refused = self.guard(environ)
            if refused is not None:
                return refused
        try:
            return handler(environ)
        except UsageError as exc:
            return error(400, str(exc))
        except GovernanceError as exc:  # the database is down, or not at this code's schema
            return error(503, str(exc))
        except Exception:  # answer, log, and keep serving
            log.exception("error answering %s", path)
            return error(500, "internal error; see the server's log")

    def directives(self, environ: Environ) -> Response:
        """The router contract: ETag, 304, ?category=, bearer tokens (DESIGN section 7)."""
        if self.tokens and not bearer_allowed(environ.get("HTTP_AUTHORIZATION"), self.tokens):
            return error(401, "a router token is needed", [("WWW-Authenticate", "Bearer")])
        published = self.cache.current
        if published is None:
            reason = self.cache.last_error or "not read yet"
            return error(503, f"no directives available: the database is unreachable ({reason})")
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and etag_matches(if_none_match, published.version):
            return published.not_modified
        category = query_value(environ, "category")
        return published.full if category is None else published.for_category(category)

    def healthz(self, _environ: Environ) -> Response:
        reading, problem = self._health.get()
        code, document = health.health_document(
            self.governance.config,
            self.cache,
            reading,
            problem,
            self.governance.clock(),
            self.jobs,
            self.writes,
        )
        return json_response(code, document)

    def _metrics_reading(self) -> tuple[MetricsReading | None, bool]:
        reading, problem = self._metrics.get()
        return reading, problem is None

    def metrics(self, _environ: Environ) -> Response:
        body = metrics.exposition(self._registry)
        headers = [("Content-Type", metrics.CONTENT_TYPE), ("Content-Length", str(len(body)))]
        return Response("200 OK", headers, body)

    def status(self, environ: Environ) -> Response:
        governance = self.governance
        period = governance.period(query_value(environ, "period"))
        document = status_document(governance.config, governance.engine, period, governance.clock())
        return json_response(200, document)

    def close(self) -> None:
        """Stop the background refresh."""
        self.cache.stop()


def make_wsgi_app(
    governance: Governance,
    fallback: WSGIApp | None = None,
    *,
    guard: Guard | None = None,
    refresh_seconds: float = 1.0,
    jobs: JobsView | None = None,
) -> ApiApp:
    """The API of ``governance`` as a WSGI app, its directives cache started (``close()`` stops
    it). Router tokens are read once, here, from the variable ``[server] router_tokens_env``
    names (or its ``_FILE``). ``jobs``: the daemon's job states, for /healthz and /metrics."""
    secret = read_secret(governance.config.server.router_tokens_env, governance.environ)
    cache = DirectivesCache(
        governance.engine, governance.config, governance.clock, min(refresh_seconds, 1.0)
    )
    cache.start()
    return ApiApp(governance, cache, parse_tokens(secret), fallback, guard, jobs)
