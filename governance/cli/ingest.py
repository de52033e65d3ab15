"""`governance` commands that bring data in: ingest, pull, demo, the quarantine, reprice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from governance.cli.kit import (
    counts_table,
    echo_json,
    json_option,
    period_option,
    ready,
)
from governance.cli.textout import table
from governance.context import Governance
from governance.domain.money import format_money, money_str
from governance.ingest import pull as pull_service
from governance.ingest import quarantine as quarantined
from governance.ingest import reprice as repricing
from governance.ingest import service as ingest_service
from governance.ingest.quarantine import item_json
from governance.ingest.runner import DEFAULT_BATCH
from governance.ingest.service import ledger_rules
from governance.jsonout import rfc3339
from governance.sources.base import ReadContext


@click.command()
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
    if not paths and source_name is None:  # a usage error (exit 2): nothing to read yet
        raise click.UsageError("name the files to ingest, or a configured --source")
    app = ready(ctx)
    reports = ingest_service.ingest(app, list(paths), format_name, source_name, batch_size)
    document = ingest_service.report_document(reports, app.config.budget.currency)
    if as_json:
        echo_json(document)
    else:
        click.echo(counts_table(document))
    errors = [f"{f['path']}: {f['error']}" for f in document["files"] if "error" in f]
    if errors:
        raise click.ClickException("; ".join(errors))


@click.group(name="quarantine")
def quarantine_group() -> None:
    """Records that could not be read: listed, shown, retried after a config fix."""


def _contexts(app: Governance) -> dict[str, ReadContext]:
    return {s.name: ReadContext.of(s) for s in app.config.sources}


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
        item_json(i) for i in quarantined.list_held(ready(ctx).engine, source_name, everything)
    ]
    if as_json:
        echo_json(
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
    item = item_json(quarantined.show(ready(ctx).engine, item_id))
    if as_json:
        echo_json(item)
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
    app = ready(ctx)
    report = quarantined.retry(app.engine, ledger_rules(app), app.clock, _contexts(app), item_id)
    if as_json:
        echo_json({"retried": report.retried, "released": report.released, "held": report.held})
    else:
        click.echo(
            f"retried {report.retried}: {report.released} into the ledger, {report.held} still held"
        )


@click.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only rows from this UTC day on.")
@json_option
@click.pass_context
def reprice(ctx: click.Context, since: datetime | None, as_json: bool) -> None:
    """Price the ledger's unpriced rows that now have a price ([prices] or genai-prices).

    Example:

        governance reprice --since 2026-11-01
    """
    app = ready(ctx)
    when = since.replace(tzinfo=UTC) if since else None
    report = repricing.reprice(app.engine, ledger_rules(app), when)
    currency = app.config.budget.currency
    if as_json:
        echo_json(
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


@click.command()
@click.option("--source", "source_name", metavar="NAME", help="Only this [[sources]] entry.")
@json_option
@click.pass_context
def pull(ctx: click.Context, source_name: str | None, as_json: bool) -> None:
    """Pull the API and database sources once: billing buckets (revised ones replace their old
    values) and new LiteLLM spend logs. A source that fails does not stop the others.

    Example:

        governance pull --source openai-billing
    """
    app = ready(ctx)
    reports = pull_service.pull(app, source_name)
    if not reports:
        click.echo("no source to pull: add a [[sources]] entry with a url and a pulled format")
        return
    document = pull_service.pull_document(reports, app.config.budget.currency)
    if as_json:
        echo_json(document)
    else:
        click.echo(counts_table(document, ("source", "source")))
    failed = pull_service.failures(reports)
    if failed:
        raise click.ClickException("\n".join(failed))


@click.command()
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
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing when the ledger holds any row already (the quick start's choice).",
)
@json_option
@click.pass_context
def demo(
    ctx: click.Context,
    period: str | None,
    directory: Path | None,
    seed: int,
    if_empty: bool,
    as_json: bool,
) -> None:
    """Write a month of a made-up company's LLM traffic in the producers' real formats, then
    ingest it: LiteLLM gateway logs, OpenAI and Anthropic cost pages, a Google Cloud FOCUS export.

    The current period is written up to now, a past --period whole; in the current period's
    first 7 days the month before is written whole too, so there is a month worth looking at.
    Its batch category overspends from mid-month. Then the month is evaluated at each
    midnight, as a running daemon would have done, so that its crossings and directives have
    their days. Running it again with the same
    seed adds nothing.

    Example:

        governance init && governance demo && governance status
    """
    # Imported here: only this command needs the demo's modules.
    import time

    from governance.demo.run import demo_periods, ledger_rows

    app = ready(ctx)
    if if_empty and (held := ledger_rows(app.engine)):
        if as_json:
            echo_json({"skipped": "the ledger is not empty", "ledger_rows": held})
        else:
            click.echo(f"the ledger holds {held:,} rows already: no demo written (--if-empty)")
        return
    started = time.perf_counter()
    runs = [_demo_period(app, directory, p.label, seed) for p in demo_periods(app, period)]
    seconds = time.perf_counter() - started
    if as_json:
        *earlier, current = runs
        echo_json({**current, **({"earlier": earlier} if earlier else {})})
    else:
        for run in runs:
            _echo_demo_run(run)
        click.echo(
            f"done in {seconds:.1f}s; see `governance status` and `governance spend --by team`"
        )
    files = [f for run in runs for f in run["ingest"]["files"]]
    errors = [f"{f['path']}: {f['error']}" for f in files if "error" in f]
    if errors:
        raise click.ClickException("; ".join(errors))


def _demo_period(app: Governance, directory: Path | None, label: str, seed: int) -> dict[str, Any]:
    """Write, ingest and replay one demo period: its JSON document."""
    from governance.demo import run_demo
    from governance.demo.run import replay_evaluations

    result = run_demo(app, directory, label, seed)
    replayed = replay_evaluations(app, result.period, result.until)
    return {
        "dir": str(result.directory),
        "period": {
            "label": result.period.label,
            "start": rfc3339(result.period.start),
            "end": rfc3339(result.period.end),
            "until": rfc3339(result.until),
        },
        "files": len(result.files),
        "changed": result.changed,
        "ingest": ingest_service.report_document(result.reports, app.config.budget.currency),
        "evaluations": replayed,
    }


def _echo_demo_run(run: dict[str, Any]) -> None:
    base = Path(run["dir"]).resolve()
    document = run["ingest"]
    shown = [
        {**f, "path": str(Path(f["path"]).relative_to(base))}
        if Path(f["path"]).is_relative_to(base)
        else f
        for f in document["files"]
    ]
    click.echo(
        f"{run['period']['label']} up to {run['period']['until']}: {run['files']} files in"
        f" {run['dir']} ({run['changed']} written, the others unchanged)"
    )
    click.echo(counts_table({**document, "files": shown}))
    if run["evaluations"]:
        click.echo(
            f"evaluated at each of {run['evaluations']} midnights, as a running daemon would"
        )
