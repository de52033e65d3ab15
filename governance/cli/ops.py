"""`governance` commands that run services: the daemon, the HTTP server, alert delivery."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from governance.cli.kit import (
    app_of,
    echo_json,
    json_option,
    ready,
)
from governance.cli.textout import table
from governance.ledger import migrate

if TYPE_CHECKING:
    from governance.context import Governance
    from governance.daemon.logs import RedactSecrets

log = logging.getLogger("governance.cli")


def _listen_options(command: Callable[..., None]) -> Callable[..., None]:
    """--host, --port and --threads, as ``serve`` and ``run`` both take them."""
    options = (
        click.option(
            "--host", metavar="HOST", help="The address to listen on (default: [server] host)."
        ),
        click.option(
            "--port",
            type=click.IntRange(0, 65535),
            help="The port (default: [server] port; 0 picks a free one, logged).",
        ),
        click.option(
            "--threads",
            type=click.IntRange(1, 256),
            default=8,
            show_default=True,
            help="Threads for the dashboard and the API but /directives (answered on the loop).",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _start(ctx: click.Context) -> tuple[Governance, RedactSecrets]:
    """The application, with logs as one redacted logfmt line per event and a schema check:
    an unreachable database is logged and waited out; a ledger not at this version's schema
    stops the command (`governance db upgrade` first)."""
    from governance.daemon import logs
    from governance.exceptions import DatabaseUnavailable, LedgerError

    app = app_of(ctx)
    redactor = logs.setup(app.config, app.environ)
    try:
        migrate.require_current(app.engine)
    except DatabaseUnavailable as exc:  # serve anyway: the API answers 503 until it is back
        log.warning("%s; starting anyway, retrying until it answers", exc)
    except LedgerError as exc:
        log.error("%s", exc)
        raise
    return app, redactor


@click.command()
@_listen_options
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, threads: int) -> None:
    """Serve the dashboard and the HTTP API until SIGTERM or SIGINT: the dashboard at /,
    GET /directives for routers, /healthz, /metrics, /api/v1/status and /openapi.json. Runs
    no scheduled jobs: for extra replicas against a shared PostgreSQL. While the database is
    down, /directives keeps answering with the last directives read.

    Example:

        GOVERNANCE_ROUTER_TOKENS=token-1,token-2 governance serve --port 8050
    """
    # Imported here: only this command needs the server.
    from governance.api import serve as serve_http
    from governance.bootstrap import http_app

    app, _ = _start(ctx)
    server = app.config.server
    api = http_app(app)
    try:
        serve_http(api, host or server.host, server.port if port is None else port, threads)
    finally:
        api.close()


@click.command()
@_listen_options
@click.pass_context
def run(ctx: click.Context, host: str | None, port: int | None, threads: int) -> None:
    """The daemon: the scheduled jobs and the HTTP server (dashboard and API) in one process,
    until SIGTERM or SIGINT (the jobs under way finish first).

    Each [[sources]] entry is read every `every`; an evaluation follows each ingest that added
    rows, runs at least every 15 minutes and at each period's end; alerts are delivered every
    30 s; a source without data for three of its intervals is stale (/healthz, one alert).
    SIGHUP reads the config again (an invalid file is refused and the running one kept). On
    PostgreSQL one `run` holds the scheduler lock and others wait as hot standbys (they serve
    HTTP meanwhile). Logs: one logfmt line per event on stderr, secrets removed.

    Example:

        governance run --port 8050
    """
    from governance.daemon.run import Daemon

    app, redactor = _start(ctx)
    server = app.config.server
    Daemon(app, redactor).run(host or server.host, server.port if port is None else port, threads)


@click.group(name="alerts")
def alerts_group() -> None:
    """The alert outbox: what was posted to Slack, and what waits to be."""


@alerts_group.command("list")
@json_option
@click.pass_context
def alerts_list(ctx: click.Context, as_json: bool) -> None:
    """The newest alerts: kind, category, status (pending, sent, failed), attempts and the last
    error; and any permanent error that holds delivery back.

    Example:

        governance alerts list --json
    """
    from governance.alerts import service as alerting

    document = alerting.list_document(ready(ctx))
    if as_json:
        echo_json(document)
        return
    if not document["configured"]:
        click.echo("no [alerts.slack] in the config: alerts stay pending")
    for problem in document["problems"]:
        click.echo(f"blocked: {problem['target']}: {problem['reason']} (since {problem['since']})")
    if not document["items"]:
        click.echo("no alerts yet")
        return
    rows = [
        [str(i["id"]), i["kind"], i["category"] or "", i["created"], i["status"],
         str(i["attempts"]), i["last_error"] or ""]
        for i in document["items"]
    ]  # fmt: skip
    headers = ["id", "kind", "category", "created", "status", "attempts", "last error"]
    click.echo(table(headers, rows, right=(0, 5)))


@alerts_group.command("send")
@json_option
@click.pass_context
def alerts_send(ctx: click.Context, as_json: bool) -> None:
    """Deliver every pending alert now, once, those waiting for a retry included. Exits 1 when
    a permanent error (a revoked token, an unknown channel) holds alerts back.

    Example:

        governance alerts send
    """
    from governance.alerts import service as alerting

    report = alerting.send_now(ready(ctx))
    if as_json:
        echo_json(alerting.send_document(report))
    elif not report.configured:
        click.echo(f"no [alerts.slack] in the config: {report.pending} alert(s) stay pending")
    else:
        click.echo(
            f"sent {report.sent}, {report.retrying} to retry, {report.failed} failed;"
            f" {report.pending} pending"
        )
    if report.blocked:
        target, reason = sorted(report.blocked.items())[0]
        raise click.ClickException(f"alerts to {target} are blocked: {reason}")
