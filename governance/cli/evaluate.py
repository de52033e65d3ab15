"""`governance` commands that evaluate and manage directives."""

from __future__ import annotations

import getpass

import click

from governance.cli.kit import (
    echo_json,
    json_option,
    parse_time,
    ready,
)
from governance.exceptions import UsageError
from governance.jsonout import rfc3339
from governance.ledger import evaluations as evaluations_store
from governance.services import evaluate as evaluation


@click.command()
@click.option(
    "--at", "at", metavar="TIME", help="Evaluate as of this moment (RFC 3339; UTC if naive)."
)
@json_option
@click.pass_context
def evaluate(ctx: click.Context, at: str | None, as_json: bool) -> None:
    """Evaluate now (or as of TIME, counting only rows before it): write crossings and
    directives with the evaluation, and publish the directives routers poll.

    Example:

        governance evaluate --at 2026-11-18T06:00:00Z
    """
    app = ready(ctx)
    now = app.clock()
    as_of = parse_time(at) if at else now
    result = evaluation.run_evaluation(app.config, app.engine, as_of, now)
    # Then deliver what is pending (a slow or down Slack does not fail the evaluation).
    from governance.alerts.service import make_sender, send_document

    alerts = send_document(make_sender(app).deliver_due())
    document = {
        "evaluation": result.id,
        "period": result.period.label,
        "as_of": rfc3339(result.as_of),
        "crossed": [
            {"category": c.category, "level": c.level, "basis": c.basis, "at": rfc3339(c.at)}
            for c in result.crossed
        ],
        "directives": [d.id for d in result.directives],
        "version": result.version,
        "alerts": alerts,
    }
    if as_json:
        echo_json(document)
        return
    click.echo(f"evaluation {result.id} of {result.period.label} as of {document['as_of']}")
    for c in result.crossed:
        click.echo(f"  crossed: {c.category} {c.level}% on {c.basis}")
    for d in result.directives:
        click.echo(f"  directive: {d.id}: {d.reason}")
    click.echo(f"directives version {result.version}")
    if alerts["configured"]:
        click.echo(f"alerts: {alerts['sent']} sent, {alerts['pending']} pending")
        for blocked in alerts["blocked"]:
            click.echo(f"alerts to {blocked['target']} are blocked: {blocked['reason']}")


@click.command(name="directives")
@json_option
@click.pass_context
def directives_command(ctx: click.Context, as_json: bool) -> None:
    """The directives in force: the body routers get from GET /directives.

    Example:

        governance directives --json
    """
    app = ready(ctx)
    with app.engine.begin() as conn:
        _, document = evaluation.publish(conn, app.config, app.clock())
    if as_json:
        echo_json(document)
        return
    click.echo(f"version {document['version']}  (period {document['period']['start'][:7]})")
    if not document["directives"]:
        click.echo("no directives in force")
    for d in document["directives"]:
        click.echo(f"{d['id']}: {d['from_tier']} -> {d['to_tier']} until {d['expires_at']}")
        click.echo(f"    {d['reason']}")


@click.group()
def directive() -> None:
    """One directive: revoke it by hand."""


@directive.command("revoke")
@click.argument("directive_id", metavar="ID")
@click.option("--reason", required=True, help="Why, for the record.")
@click.option("--by", "by", default=None, help="Who revokes it (default: the OS user).")
@click.pass_context
def directive_revoke(ctx: click.Context, directive_id: str, reason: str, by: str | None) -> None:
    """Revoke a directive in force; routers see it gone at their next poll. It does not come
    back this period.

    Example:

        governance directive revoke 2026-11/batch/premium-standard --reason "launch week"
    """
    app = ready(ctx)
    who = by or getpass.getuser()
    now = app.clock()
    with app.engine.begin() as conn:
        if not evaluations_store.revoke(conn, directive_id, who, reason, now):
            raise UsageError(f"no directive {directive_id!r} in force")
        version, _ = evaluation.publish(conn, app.config, now)
    click.echo(f"revoked {directive_id}; directives version {version}")
