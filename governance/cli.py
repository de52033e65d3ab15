"""The `governance` command: a thin shell over the library (DESIGN section 9)."""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import click

from governance import evaluate as evaluation
from governance import reports
from governance.bootstrap import Governance, bootstrap
from governance.config import find_config_path, starter_config_text
from governance.domain.money import format_money, money_str
from governance.exceptions import ConfigError, GovernanceError, UsageError
from governance.ingest import pull as pull_service
from governance.ingest import quarantine as quarantined
from governance.ingest import reprice as repricing
from governance.ingest import service as ingest_service
from governance.ingest.quarantine import item_json
from governance.ingest.runner import DEFAULT_BATCH
from governance.jsonout import rfc3339
from governance.ledger import evaluations as evaluations_store
from governance.ledger import migrate
from governance.ledger.engine import display_url
from governance.ledger.spend_view import DIMENSIONS, Dimension
from governance.sources.base import ReadContext
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


def _app(ctx: click.Context) -> Governance:
    """The application, bootstrapped once per command from the --config the user gave."""
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "app" not in obj:
        obj["app"] = bootstrap(obj.get("config_path"), environ=os.environ)
        ctx.call_on_close(obj["app"].close)
    app: Governance = obj["app"]
    return app


def _ready(ctx: click.Context) -> Governance:
    app = _app(ctx)
    migrate.require_current(app.engine)
    return app


def _echo_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2))


def _counts_table(document: dict[str, Any], first: tuple[str, str] = ("file", "path")) -> str:
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
    app = _app(ctx)
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
    app = _app(ctx)
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
    app = _ready(ctx)
    document = reports.status_document(app.config, app.engine, app.period(period), app.clock())
    if as_json:
        _echo_json(document)
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
            ", ".join(c["directives"]),
        ]
        for c in document["categories"]
    ]
    headers = ["category", "share", "allocation", "spend", "used", "forecast", "directives"]
    click.echo(table(headers, rows, right=(1, 2, 3, 4, 5)))


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
    app = _ready(ctx)
    document = reports.spend_document(
        app.config, app.engine, cast(Dimension, by), app.period(period), app.clock()
    )
    if as_json:
        _echo_json(document)
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


@main.command()
@click.argument("paths", nargs=-1)
@click.option(
    "--format", "format_name", metavar="NAME", help="Force the format (default: told from content)."
)
@click.option("--source", "source_name", metavar="NAME", help="A [[sources]] entry of the config.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1_000_000),
    default=DEFAULT_BATCH,
    show_default=True,
    help="Records per committed batch (memory against commit overhead).",
)
@json_option
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[str, ...],
    format_name: str | None,
    source_name: str | None,
    batch_size: int,
    as_json: bool,
) -> None:
    """Read usage and billing files into the ledger; re-reading a file adds nothing.

    PATHS are files, globs or directories. Bad records go to the quarantine.

    Example:

        governance ingest /var/log/litellm/*.jsonl --format litellm
    """
    app = _ready(ctx)
    reports = ingest_service.ingest(app, list(paths), format_name, source_name, batch_size)
    document = ingest_service.report_document(reports, app.config.budget.currency)
    if as_json:
        _echo_json(document)
    else:
        click.echo(_counts_table(document))
    errors = [f"{f['path']}: {f['error']}" for f in document["files"] if "error" in f]
    if errors:
        raise click.ClickException("; ".join(errors))


@main.group(name="quarantine")
def quarantine_group() -> None:
    """Records that could not be read: listed, shown, retried after a config fix."""


def _contexts(app: Governance) -> dict[str, ReadContext]:
    return {s.name: ReadContext(s.mapping, s.options) for s in app.config.sources}


@quarantine_group.command("list")
@click.option("--source", "source_name", metavar="NAME", help="Only this source's records.")
@click.option("--all", "everything", is_flag=True, help="Released records too.")
@json_option
@click.pass_context
def quarantine_list(
    ctx: click.Context, source_name: str | None, everything: bool, as_json: bool
) -> None:
    """Held records, newest first: where each came from and why it was held.

    Example:

        governance quarantine list --source litellm --json
    """
    items = [
        item_json(i) for i in quarantined.list_held(_ready(ctx).engine, source_name, everything)
    ]
    if as_json:
        _echo_json(
            {
                "items": [
                    {k: i[k] for k in ("id", "source", "location", "reason", "seen_at")}
                    for i in items
                ]
            }
        )
        return
    if not items:
        click.echo("the quarantine is empty")
        return
    rows = [[str(i["id"]), i["source"], i["location"], i["reason"], i["seen_at"]] for i in items]
    click.echo(table(["id", "source", "location", "reason", "seen"], rows, right=(0,)))


@quarantine_group.command("show")
@click.argument("item_id", type=int)
@json_option
@click.pass_context
def quarantine_show(ctx: click.Context, item_id: int, as_json: bool) -> None:
    """One held record in full, with its raw text (secrets removed).

    Example:

        governance quarantine show 42
    """
    item = item_json(quarantined.show(_ready(ctx).engine, item_id))
    if as_json:
        _echo_json(item)
        return
    for key in ("id", "source", "format", "location", "reason", "seen_at", "status"):
        click.echo(f"{key:>9}: {item[key]}")
    click.echo(f"{'raw':>9}: {item['raw']}")


@quarantine_group.command("retry")
@click.argument("item_id", type=int, required=False)
@click.option("--all", "everything", is_flag=True, help="Retry every held record.")
@json_option
@click.pass_context
def quarantine_retry(
    ctx: click.Context, item_id: int | None, everything: bool, as_json: bool
) -> None:
    """Read held records again with today's config; those that now parse join the ledger.

    Example:

        governance quarantine retry --all
    """
    if (item_id is None) == (not everything):
        raise click.UsageError("name one record ID, or --all")
    app = _ready(ctx)
    report = quarantined.retry(app.engine, app.ledger_rules(), app.clock, _contexts(app), item_id)
    if as_json:
        _echo_json({"retried": report.retried, "released": report.released, "held": report.held})
    else:
        click.echo(
            f"retried {report.retried}: {report.released} into the ledger, {report.held} still held"
        )


@main.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only rows from this UTC day on.")
@json_option
@click.pass_context
def reprice(ctx: click.Context, since: datetime | None, as_json: bool) -> None:
    """Price the ledger's unpriced rows that now have a price ([prices] or genai-prices).

    Example:

        governance reprice --since 2026-11-01
    """
    app = _ready(ctx)
    when = since.replace(tzinfo=UTC) if since else None
    report = repricing.reprice(app.engine, app.ledger_rules(), when)
    currency = app.config.budget.currency
    if as_json:
        _echo_json(
            {
                "examined": report.examined,
                "priced": report.priced,
                "cost": money_str(report.cost),
                "currency": currency,
            }
        )
    else:
        click.echo(
            f"priced {report.priced} of {report.examined} unpriced rows, adding "
            f"{format_money(report.cost, currency)}"
        )


@main.command()
@click.option("--source", "source_name", metavar="NAME", help="Only this [[sources]] entry.")
@json_option
@click.pass_context
def pull(ctx: click.Context, source_name: str | None, as_json: bool) -> None:
    """Pull the API and database sources once: billing buckets (revised ones replace their old
    values) and new LiteLLM spend logs. A source that fails does not stop the others.

    Example:

        governance pull --source openai-billing
    """
    app = _ready(ctx)
    reports = pull_service.pull(app, source_name)
    if not reports:
        click.echo("no source to pull: add a [[sources]] entry with a url and a pulled format")
        return
    document = pull_service.pull_document(reports, app.config.budget.currency)
    if as_json:
        _echo_json(document)
    else:
        click.echo(_counts_table(document, ("source", "source")))
    failed = pull_service.failures(reports)
    if failed:
        raise click.ClickException("\n".join(failed))


@main.command()
@period_option
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the files (default: demo/ next to the config file).",
)
@click.option(
    "--seed", type=int, default=2026, show_default=True, help="Another seed, another month."
)
@json_option
@click.pass_context
def demo(
    ctx: click.Context, period: str | None, directory: Path | None, seed: int, as_json: bool
) -> None:
    """Write a month of a made-up company's LLM traffic in the producers' real formats, then
    ingest it: LiteLLM gateway logs, OpenAI and Anthropic cost pages, a Google Cloud FOCUS export.

    The current period is written up to now, a past --period whole. Its batch category overspends
    from mid-month. Running it again with the same seed adds nothing.

    Example:

        governance init && governance demo && governance status
    """
    # Imported here: only this command needs the demo's modules.
    import time

    from governance.demo import run_demo

    app = _ready(ctx)
    started = time.perf_counter()
    result = run_demo(app, directory, period, seed)
    document = ingest_service.report_document(result.reports, app.config.budget.currency)
    seconds = time.perf_counter() - started
    where = {
        "start": rfc3339(result.period.start),
        "end": rfc3339(result.period.end),
    }
    if as_json:
        where["until"] = rfc3339(result.until)
        _echo_json(
            {
                "dir": str(result.directory),
                "period": where,
                "files": len(result.files),
                "ingest": document,
            }
        )
    else:
        base = result.directory.resolve()
        shown = [
            {**f, "path": str(Path(f["path"]).relative_to(base))}
            if Path(f["path"]).is_relative_to(base)
            else f
            for f in document["files"]
        ]
        until = rfc3339(result.until)
        click.echo(
            f"{result.period.label} up to {until}: {len(result.files)} files in"
            f" {result.directory} ({result.changed} written, the others unchanged)"
        )
        click.echo(_counts_table({**document, "files": shown}))
        click.echo(
            f"done in {seconds:.1f}s; see `governance status` and `governance spend --by team`"
        )
    errors = [f"{f['path']}: {f['error']}" for f in document["files"] if "error" in f]
    if errors:
        raise click.ClickException("; ".join(errors))


def _parse_time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not a time: {text!r} (e.g. 2026-11-18T06:00:00Z)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@main.command()
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
    app = _ready(ctx)
    now = app.clock()
    as_of = _parse_time(at) if at else now
    result = evaluation.run_evaluation(app.config, app.engine, as_of, now)
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
    }
    if as_json:
        _echo_json(document)
        return
    click.echo(f"evaluation {result.id} of {result.period.label} as of {document['as_of']}")
    for c in result.crossed:
        click.echo(f"  crossed: {c.category} {c.level}% on {c.basis}")
    for d in result.directives:
        click.echo(f"  directive: {d.id}: {d.reason}")
    click.echo(f"directives version {result.version}")


@main.command(name="directives")
@json_option
@click.pass_context
def directives_command(ctx: click.Context, as_json: bool) -> None:
    """The directives in force: the body routers get from GET /directives.

    Example:

        governance directives --json
    """
    app = _ready(ctx)
    with app.engine.begin() as conn:
        _, document = evaluation.publish(conn, app.config, app.clock())
    if as_json:
        _echo_json(document)
        return
    click.echo(f"version {document['version']}  (period {document['period']['start'][:7]})")
    if not document["directives"]:
        click.echo("no directives in force")
    for d in document["directives"]:
        click.echo(f"{d['id']}: {d['from_tier']} -> {d['to_tier']} until {d['expires_at']}")
        click.echo(f"    {d['reason']}")


@main.group()
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
    app = _ready(ctx)
    who = by or getpass.getuser()
    now = app.clock()
    with app.engine.begin() as conn:
        if not evaluations_store.revoke(conn, directive_id, who, reason, now):
            raise UsageError(f"no directive {directive_id!r} in force")
        version, _ = evaluation.publish(conn, app.config, now)
    click.echo(f"revoked {directive_id}; directives version {version}")
