"""Alerts for the CLI, the API and the worker: the channel from the config, a sender, and the
outbox as documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from governance.alerts import outbox, views
from governance.alerts.base import Channel
from governance.alerts.delivery import Sender, SendReport
from governance.alerts.facts import from_json
from governance.alerts.messages import render
from governance.config import Config
from governance.jsonout import JSON, rfc3339
from governance.ledger.errors import translate_db_errors

if TYPE_CHECKING:
    from governance.context import Governance


def build_channel(config: Config, environ: Mapping[str, str]) -> Channel | None:
    """The configured alert channel; None without an ``[alerts.slack]`` section."""
    if config.alerts.slack is None:
        return None
    # Imported here: slack-sdk is only needed where alerts are sent.
    from governance.alerts.slack import slack_channel

    return slack_channel(config.alerts.slack, environ)


def make_sender(app: Governance, **options: Any) -> Sender:
    """A sender for the application's channel, ledger and clock."""
    return Sender(app.engine, build_channel(app.config, app.environ), app.clock, **options)


def send_now(app: Governance) -> SendReport:
    """One pass over every pending alert, those waiting for a retry included."""
    sender = make_sender(app)
    if sender.channel is not None:
        with translate_db_errors(app.engine), app.engine.begin() as conn:
            outbox.hasten(conn, app.clock())
    return sender.deliver_due()


def _title(row: Any) -> str:
    try:
        return render(from_json(row.facts)).title
    except ValueError:
        return f"({row.kind})"


def list_document(app: Governance, limit: int = 200) -> JSON:
    """The newest alerts of the outbox, and the permanent errors that hold delivery back."""
    with translate_db_errors(app.engine), app.engine.connect() as conn:
        found = views.rows(conn, limit)
        problems = views.delivery_problems(conn)
    configured = app.config.alerts.slack is not None
    return {
        "configured": configured,
        "items": [
            {
                "id": row.id,
                "kind": row.kind,
                "category": row.category,
                "period": row.period,
                "title": _title(row),
                "created": rfc3339(row.created_at),
                "status": row.status,
                "attempts": row.attempts,
                "last_attempt": rfc3339(row.last_attempt_at) if row.last_attempt_at else None,
                # With no channel a pending alert waits for one, not for a time.
                "next_attempt": rfc3339(row.next_attempt_at)
                if row.status == "pending" and configured
                else None,
                "sent": rfc3339(row.sent_at) if row.sent_at else None,
                "sent_to": row.sent_to,
                "last_error": row.last_error,
            }
            for row in found
        ],
        "problems": [problem_json(p) for p in problems],
    }


def problem_json(problem: views.DeliveryProblem) -> JSON:
    return {"target": problem.target, "reason": problem.reason, "since": rfc3339(problem.since)}


def send_document(report: SendReport) -> JSON:
    """What `governance alerts send --json` prints."""
    return {
        "configured": report.configured,
        "sent": report.sent,
        "retrying": report.retrying,
        "failed": report.failed,
        "pending": report.pending,
        "next_attempt": rfc3339(report.next_due) if report.next_due else None,
        "blocked": [{"target": t, "reason": r} for t, r in sorted(report.blocked.items())],
        "errors": report.errors,
    }
