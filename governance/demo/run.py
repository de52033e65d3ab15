"""`governance demo`: write the month's source files, then ingest them like any others.

Files are only rewritten when their content changes, and a day's content depends on the seed
and the period, never on the clock: a second run with the same seed leaves every file as it
was, and the ledger's cursors and unique keys make its ingest add nothing. Later in the same
day, a run appends the new requests to the day's log and adds the newly billed days.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from governance.context import Governance
from governance.demo import billing, focus_out, litellm_out, pages, prices, scenario
from governance.domain.periods import Period
from governance.exceptions import UsageError
from governance.ingest.runner import RunReport
from governance.ingest.service import ingest, ledger_rules
from governance.ledger.errors import translate_db_errors
from governance.ledger.tables import evaluations, rollup_daily
from governance.services.evaluate import run_evaluation


@dataclass(frozen=True)
class Demo:
    """What a demo run wrote and what its ingest did."""

    directory: Path
    period: Period
    until: datetime  # the files hold the period's traffic before this instant
    files: list[Path]
    changed: int  # files written or rewritten by this run
    reports: list[RunReport]


def _put(path: Path, text: str) -> bool:
    """Write ``text`` unless the file holds it already (its cursor then stays valid)."""
    data = text.encode("utf-8")
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _json(document: Any) -> str:
    return json.dumps(document, indent=2) + "\n"


def write_month(
    app: Governance, directory: Path, period: Period, seed: int
) -> tuple[list[Path], int, datetime]:
    """Write the period's files up to now into ``directory``: (files, changed, until)."""
    now = app.clock()
    if now <= period.start:
        raise UsageError(f"period {period.label} has not started yet: there is nothing to show")
    if app.config.budget.currency != "USD":
        raise UsageError("the demo prices its traffic in USD: it needs a USD budget")
    until = min(now, period.end)
    plan = scenario.plan(period, app.config.allocations(), seed)
    rates = prices.list_rates(ledger_rules(app).price, period.start, "USD")
    contents: dict[Path, str] = {}
    sent: list[scenario.Request] = []
    for day in plan.days:
        if day.start >= until:
            break
        requests = list(scenario.gateway(plan, rates, day))
        lines = litellm_out.day_lines(requests, day, until)
        if lines:
            contents[directory / "litellm" / f"{day.date}.jsonl"] = "\n".join(lines) + "\n"
        sent += (r for r in requests if r.start < until)
    days = billing.billed_days(plan, now)
    bills = billing.gateway_bill(sent, rates)
    openai = billing.billed(plan, "openai", bills["openai"], days)
    stray = plan.days[pages.STRAY_DAY].date if len(plan.days) > pages.STRAY_DAY else None
    anthropic = billing.billed(plan, "anthropic", bills["anthropic"], days)
    for folder, name, documents in (
        ("openai", "costs", pages.openai_pages(openai, stray)),
        ("anthropic", "cost_report", pages.anthropic_pages(anthropic)),
    ):
        for number, page in enumerate(documents, 1):
            # A page of empty buckets tells no format: left out (only a tiny budget makes one).
            if any(bucket["results"] for bucket in page["data"]):
                path = directory / folder / f"{name}_{period.label}_page{number}.json"
                contents[path] = _json(page)
    if days:
        export = focus_out.export(plan, rates, days)
        contents[directory / "focus" / f"vertex-ai_{period.label}.csv"] = export
    changed = sum(_put(path, text) for path, text in contents.items())
    return list(contents), changed, until


def ledger_rows(engine: Engine) -> int:
    """How many rows the ledger holds (read from the daily rollups: no ledger scan)."""
    with translate_db_errors(engine), engine.connect() as conn:
        found = conn.execute(select(func.coalesce(func.sum(rollup_daily.c.rows), 0))).scalar()
    return int(found or 0)


def replay_evaluations(app: Governance, period: Period, until: datetime) -> int:
    """Evaluate at each local midnight of ``period`` up to ``until`` that no stored evaluation
    has passed yet, as a running daemon would have: the demo then has a history (crossings on
    their days, directives in force from when they began). Alerts wait in the outbox."""
    with translate_db_errors(app.engine), app.engine.connect() as conn:
        last = conn.execute(
            select(func.max(evaluations.c.as_of)).where(evaluations.c.period == period.label)
        ).scalar()
    moments = [t for t in period.day_starts()[1:] if t <= until and (last is None or t > last)]
    for moment in moments:
        run_evaluation(app.config, app.engine, moment, moment)
    return len(moments)


def demo_periods(app: Governance, label: str | None = None) -> list[Period]:
    """The periods a demo writes, oldest first: ``label`` (default the current period), and
    the previous one whole as well while the current one has only begun: a day-1 ledger alone
    has no crossing, no directive and no bill to show."""
    period = app.period(label)
    if label is None and period.only_begun(app.clock()):
        return [period.previous(), period]
    return [period]


def run_demo(
    app: Governance,
    directory: Path | None = None,
    label: str | None = None,
    seed: int = scenario.DEFAULT_SEED,
) -> Demo:
    """Write the demo month (``label``, default the current period) and ingest its files."""
    period = app.period(label)
    where = directory if directory is not None else app.config_path.parent / "demo"
    files, changed, until = write_month(app, where, period, seed)
    reports = ingest(app, [str(path) for path in files])
    return Demo(where, period, until, files, changed, reports)
