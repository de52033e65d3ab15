"""`governance` commands that run services: the HTTP server and alert delivery."""

from __future__ import annotations

import click

from governance.cli_kit import (
    app_of,
    echo_json,
    json_option,
    ready,
)
from governance.ledger import migrate
from governance.textout import table


@click.command()
@click.option("--host", metavar="HOST", help="The address to listen on (default: [server] host).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="The port (default: [server] port; 0 picks a free one, logged).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Threads answering requests.",
)
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
    import logging

    from governance.api import serve as serve_http
    from governance.bootstrap import http_app
    from governance.exceptions import DatabaseUnavailable

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its schema check says nothing new
    app = app_of(ctx)
    try:
        migrate.require_current(app.engine)
    except DatabaseUnavailable as exc:  # serve anyway: the API answers 503 until it is back
        logging.getLogger("governance.api").warning("%s", exc)
    server = app.config.server
    api = http_app(app)
    try:
        serve_http(api, host or server.host, server.port if port is None else port, threads)
    finally:
        api.close()


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
