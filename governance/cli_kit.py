"""What the `governance` command's modules share: errors as one line, the wired application,
JSON output, the options every command spells the same way."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import click

from governance.bootstrap import Governance, bootstrap
from governance.domain.money import format_money
from governance.exceptions import ConfigError, GovernanceError
from governance.ledger import migrate
from governance.textout import table


class GovernanceGroup(click.Group):
    """Turns our errors into one-line messages and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            lines = [f"{exc.source}: {len(exc.problems)} problem(s) in the config:"]
            lines += [f"  {problem}" for problem in exc.problems]
            raise click.ClickException("\n".join(lines)) from exc
        except GovernanceError as exc:
            raise click.ClickException(str(exc)) from exc


def app_of(ctx: click.Context) -> Governance:
    """The application, bootstrapped once per command from the --config the user gave."""
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "app" not in obj:
        obj["app"] = bootstrap(obj.get("config_path"), environ=os.environ)
        ctx.call_on_close(obj["app"].close)
    app: Governance = obj["app"]
    return app


def ready(ctx: click.Context) -> Governance:
    app = app_of(ctx)
    migrate.require_current(app.engine)
    return app


def echo_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2))


def counts_table(document: dict[str, Any], first: tuple[str, str] = ("file", "path")) -> str:
    """The table of an `ingest --json` document: one row per entry, then the total.

    ``first`` is the header and the entry key of the first column.
    """
    currency = document["currency"]
    header, key = first
    rows = [
        [
            f[key],
            f["format"] or "?",
            f"{f['read']:,}",
            f"{f['added']:,}",
            f"{f['duplicates']:,}",
            f"{f['quarantined']:,}",
            f"{f['unpriced']:,}",
            format_money(Decimal(f["cost"]), currency),
        ]
        for f in document["files"]
    ]
    counted = ("read", "added", "duplicates", "quarantined", "unpriced")
    rows.append(
        [
            "total",
            "",
            *(f"{document[k]:,}" for k in counted),
            format_money(Decimal(document["cost"]), currency),
        ]
    )
    headers = [header, "format", *counted, "cost"]
    return table(headers, rows, right=(2, 3, 4, 5, 6, 7))


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
period_option = click.option(
    "--period", metavar="YYYY-MM", help="A calendar month in the budget's timezone (default: now)."
)


def parse_time(text: str) -> datetime:
    """A time given on the command line: RFC 3339, UTC when it has no offset."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not a time: {text!r} (e.g. 2026-11-18T06:00:00Z)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
