"""What the `governance` command's modules share: errors as one line, the wired application,
JSON output, the options every command spells the same way."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import click

from governance.bootstrap import bootstrap
from governance.cli.textout import table
from governance.context import Governance
from governance.domain.money import format_money
from governance.domain.periods import period_for_label
from governance.exceptions import ConfigError, GovernanceError
from governance.ledger import migrate


class OneLineUsageError(click.UsageError):
    """A usage error said in one line (click's own adds the usage and a help hint on three):
    exit code 2, as click gives every usage error."""

    def show(self, file: Any = None) -> None:
        hint = f" (see '{self.ctx.command_path} --help')" if self.ctx is not None else ""
        click.echo(f"Error: {' '.join(self.format_message().split())}{hint}", file, err=True)


class GovernanceGroup(click.Group):
    """Turns our errors into one-line messages, never a traceback: exit code 2 when the
    command line is wrong in itself (click's usage errors: an unknown command or option, a
    missing argument, a value of the wrong form or not among the choices), 1 when a well
    formed command cannot be done (our errors: the config, a name or path not found, a port
    in use, the database)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise _one_line(exc) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _one_line(exc) from exc
        except ConfigError as exc:
            if len(exc.problems) == 1:  # a missing or unreadable file, one bad key: one line
                raise click.ClickException(f"{exc.source}: {exc.problems[0]}") from exc
            lines = [f"{exc.source}: {len(exc.problems)} problem(s) in the config:"]
            lines += [f"  {problem}" for problem in exc.problems]
            raise click.ClickException("\n".join(lines)) from exc
        except GovernanceError as exc:
            raise click.ClickException(str(exc)) from exc


def _one_line(exc: click.UsageError) -> click.UsageError:
    if isinstance(exc, OneLineUsageError):
        return exc
    # The message as click would say it ("Invalid value for '--by': ..."), its context kept.
    return OneLineUsageError(exc.format_message(), exc.ctx)


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


def _period_label(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A ``YYYY-MM`` of the wrong form is a usage error, told before the config is read."""
    if value is not None:
        try:
            period_for_label(value, "UTC")
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


period_option = click.option(
    "--period",
    metavar="YYYY-MM",
    callback=_period_label,
    help="A calendar month in the budget's timezone (default: now).",
)


def parse_time(text: str, option: str = "--at") -> datetime:
    """A time given on the command line (to ``option``): RFC 3339, UTC when it has no offset."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"not a time: {text!r} (e.g. 2026-11-18T06:00:00Z)", param_hint=f"'{option}'"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
