"""The `governance` command: a thin shell over the library (DESIGN section 9)."""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import click

from governance.cli import evaluate as cli_evaluate
from governance.cli import ingest as cli_ingest
from governance.cli import ops as cli_ops
from governance.cli.kit import (
    GovernanceGroup,
    app_of,
    echo_json,
    json_option,
    period_option,
    ready,
)
from governance.cli.textout import table
from governance.config import find_config_path, starter_config_text
from governance.domain.money import format_money
from governance.domain.periods import local_day
from governance.ledger import migrate
from governance.ledger.engine import display_url
from governance.ledger.spend_view import DIMENSIONS, Dimension
from governance.services import reports


@click.group(cls=GovernanceGroup)
@click.version_option(package_name="spend-governance")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The config file (default: $GOVERNANCE_CONFIG, then ./governance.toml).",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Keep a company's LLM spend inside its budget."""
    ctx.ensure_object(dict)["config_path"] = config_path


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.pass_context
def init(ctx: click.Context, force: bool) -> None:
    """Write a starter governance.toml and create or upgrade the database.

    Example:

        governance init && governance status
    """
    explicit = ctx.obj.get("config_path")
    path = find_config_path(str(explicit) if explicit else None, os.environ, Path.cwd())
    if path.exists() and not force:
        click.echo(f"{path} exists; kept it (--force writes a new one)")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(starter_config_text(), encoding="utf-8")
        click.echo(f"wrote {path}")
    ctx.obj["config_path"] = path
    app = app_of(ctx)
    revision = migrate.upgrade(app.engine)
    click.echo(f"ledger {display_url(app.database_url)} is at revision {revision}")


@main.group()
def db() -> None:
    """The ledger's database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create the ledger's tables, or migrate them to this version (alembic upgrade head).

    Example:

        GOVERNANCE_DATABASE_URL=postgresql://localhost/spend governance db upgrade
    """
    app = app_of(ctx)
    revision = migrate.upgrade(app.engine)
    click.echo(f"ledger {display_url(app.database_url)} is at revision {revision}")


@main.command()
@period_option
@json_option
@click.pass_context
def status(ctx: click.Context, period: str | None, as_json: bool) -> None:
    """Each category's allocation, spend, percent used and forecast for the period.

    Example:

        governance status --period 2026-11 --json
    """
    app = ready(ctx)
    document = reports.status_document(app.config, app.engine, app.period(period), app.clock())
    if as_json:
        echo_json(document)
        return
    currency = document["currency"]

    def money(text: str | None) -> str:
        return "" if text is None else format_money(Decimal(text), currency)

    click.echo(
        f"period {document['period']['start'][:7]}  budget {money(document['budget'])}"
        f"  as of {document['as_of']}"
    )
    rows = [
        [
            c["name"],
            f"{c['share']}%",
            money(c["allocation"]),
            money(c["spend"]),
            "-" if c["percent"] is None else f"{c['percent']}%",
            money(c["forecast"]),
            _crossed(c["crossed"], app.config.budget.timezone),
            ", ".join(c["directives"]),
        ]
        for c in document["categories"]
    ]
    headers = ["category", "share", "allocation", "spend", "used", "forecast", "crossed",
               "directives"]  # fmt: skip
    click.echo(table(headers, rows, right=(1, 2, 3, 4, 5)))
    for problem in document["alert_problems"]:
        click.echo(f"alerts to {problem['target']} are held since {problem['since']}: "
                   f"{problem['reason']}")  # fmt: skip
    current = app.period(period)
    if period is None and current.only_begun(app.clock()):
        last = current.previous().label
        click.echo(f"the period {current.label} has only begun; the last full one:"
                   f" governance status --period {last}")  # fmt: skip


def _crossed(crossed: list[dict[str, Any]], timezone: str) -> str:
    """``70% actual 19 Nov, 90% forecast 16 Nov``: each level crossed, on the budget's day."""
    levels = sorted(crossed, key=lambda c: (c["level"], c["basis"]))
    days = [local_day(datetime.fromisoformat(c["at"].replace("Z", "+00:00")), timezone)
            for c in levels]  # fmt: skip
    return ", ".join(
        f"{c['level']}% {c['basis']} {day.day} {day:%b}"
        for c, day in zip(levels, days, strict=True)
    )


@main.command()
@click.option("--by", "by", type=click.Choice(DIMENSIONS), required=True, help="Group by this.")
@period_option
@json_option
@click.pass_context
def spend(ctx: click.Context, by: str, period: str | None, as_json: bool) -> None:
    """The period's spend grouped by tier, category, model, team, provider or day.

    Example:

        governance spend --by model --period 2026-11
    """
    app = ready(ctx)
    document = reports.spend_document(
        app.config, app.engine, cast(Dimension, by), app.period(period), app.clock()
    )
    if as_json:
        echo_json(document)
        return
    currency = document["currency"]
    rows = [
        [
            "(none)" if r["key"] is None else r["key"],
            format_money(Decimal(r["cost"]), currency),
            f"{r['requests']:,}",
            f"{r['input_tokens']:,}",
            f"{r['output_tokens']:,}",
        ]
        for r in document["rows"]
    ]
    rows.append(["total", format_money(Decimal(document["total"]), currency), "", "", ""])
    click.echo(
        table([by, "cost", "requests", "input tokens", "output tokens"], rows, right=(1, 2, 3, 4))
    )


for command in (
    cli_ingest.ingest,
    cli_ingest.pull,
    cli_ingest.demo,
    cli_ingest.quarantine_group,
    cli_ingest.reprice,
    cli_evaluate.evaluate,
    cli_evaluate.directives_command,
    cli_evaluate.directive,
    cli_ops.run,
    cli_ops.serve,
    cli_ops.alerts_group,
):
    main.add_command(command)
