"""Issue 17 on a real ledger: ``/directives`` carries the routing policy under the same version
and ETag; a change of ``[substitutes]`` or ``[routing]`` reaches routers at the next evaluation
without the directives being issued again; and a router's ``category_of`` gives every demo row
the category the ledger gave it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from governance.api import Server, make_wsgi_app
from governance.client import DirectivesClient
from governance.config import parse_config, starter_config_text
from governance.context import Governance
from governance.demo import run_demo
from governance.domain.routing import key_hash
from governance.ledger.evaluations import latest_version
from governance.ledger.tables import directives, ledger
from governance.services.evaluate import run_evaluation
from governance.sources.base import Parsed
from governance.sources.formats import read_file
from tests.integration.conftest import AppFactory
from tests.integration.test_api import SMALL, fetch, nov, overspend_batch

FIRST_RULE = '[[rules]]\ncategory = "critical"'
# Rules on every attribute, API keys among them (whole keys are published only as hashes).
DEMO_RULES = """[[rules]]
category = "critical"
match = { api_key = ["payments-risk", "support-*"] }
[[rules]]
category = "batch"
match = { model = "llama*", tag = "env:prod" }
[[rules]]
category = "standard"
match = { project = ["answers", "proj_*"] }
"""


def test_the_policy_is_published_with_the_directives(make_app: AppFactory) -> None:
    app = make_app(replace=SMALL)
    overspend_batch(app, range(1, 6))
    evaluation = run_evaluation(app.config, app.engine, nov(6), nov(6))
    with Server(make_wsgi_app(app), port=0, threads=2) as server:
        _, headers, body = fetch(server.url, "/directives")
        filtered = json.loads(fetch(server.url, "/directives?category=batch")[2])
    document = json.loads(body)
    assert headers["etag"] == f'"{evaluation.version}"' == f'"{document["version"]}"'
    policy = document["policy"]
    assert set(policy) == {"rules", "tiers", "substitutes", "routing", "fallbacks"}
    assert policy["rules"][1] == {
        "category": "batch",
        "match": {"team": ["data-eng", "ml-platform"]},
    }
    assert policy["routing"]["tasks"]["code"] == "premium"
    assert policy["routing"]["categories"]["critical"] == {"route_down": False}
    assert policy["fallbacks"]["gpt-4o"] == ["claude-3-5-sonnet-latest", "gemini-1.5-pro"]
    assert filtered["policy"] == policy  # a router of one category still categorises


def test_a_changed_policy_reaches_routers_without_reissuing_directives(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(replace=SMALL)
    overspend_batch(app, range(1, 12), per_day="30")  # both batch steps
    first = run_evaluation(app.config, app.engine, nov(12), nov(12))
    with app.engine.connect() as conn:
        began = {r.id: r.effective_from for r in conn.execute(select(directives))}
    # The operator edits [substitutes] and [routing]; the daemon restarts on the new config.
    text = starter_config_text().replace(*SMALL)
    text = text.replace(
        '"claude-3-5-haiku*" = "llama-3.1-70b"', '"claude-3-5-haiku*" = "mistral-7b"'
    )
    text += '\n[routing.categories.batch]\ntasks = { chat = "economy" }\n'
    config = parse_config(text, "edited.toml", tmp_path)
    edited = Governance(config, tmp_path / "governance.toml", {}, lambda: nov(12, 13), app.engine)
    second = run_evaluation(edited.config, edited.engine, nov(12, 13), nov(12, 13))
    assert second.version != first.version
    with app.engine.connect() as conn:
        rows = list(conn.execute(select(directives)))
        latest = latest_version(conn)
    assert {r.id: r.effective_from for r in rows} == began  # neither lifted nor issued again
    assert {r.status for r in rows} == {"active"}
    assert latest is not None and latest[0] == second.version
    client = DirectivesClient("http://127.0.0.1:9", clock=lambda: nov(12, 14))
    client.load(latest[1])
    assert client.route("batch", "claude-3-5-haiku-latest") == "mistral-7b"
    assert client.choose("batch", "gpt-4o-mini", task="chat").reasons[0] == "task chat: economy"
    # Evaluating again on the same config publishes nothing new.
    third = run_evaluation(edited.config, edited.engine, nov(12, 14), nov(12, 14))
    assert third.version == second.version


def test_category_of_is_the_ledgers_for_every_demo_row(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(replace=(FIRST_RULE, DEMO_RULES + FIRST_RULE))
    demo = run_demo(app, tmp_path / "demo", "2026-10")
    with Server(make_wsgi_app(app, refresh_seconds=0.1), port=0, threads=2) as server:
        client = DirectivesClient(server.url)
        assert client.poll()
        published = fetch(server.url, "/directives")[2].decode()
    assert "payments-risk" not in published and key_hash("payments-risk") in published
    with app.engine.connect() as conn:
        stored = {(r.source, r.source_key): r.category for r in conn.execute(select(ledger))}
    checked = set()
    for path in demo.files:
        source = {"openai": "openai-costs", "anthropic": "anthropic-cost"}.get(
            path.parent.name, path.parent.name
        )
        for result in read_file(path):
            key = (source, result.record.source_key) if isinstance(result, Parsed) else None
            if key not in stored:
                continue  # the demo's deliberately bad records, quarantined
            r = result.record  # type: ignore[union-attr]
            assert client.category_of(r.team, r.tags, r.api_key, r.project, r.model) == stored[key]
            checked.add(key)
    assert checked == set(stored) and len(stored) > 1000  # every row of the ledger
    assert set(stored.values()) == {"critical", "batch", "standard"}
    moment = datetime(2026, 10, 31, 23, tzinfo=UTC)  # the demo still evaluates on these rules
    assert run_evaluation(app.config, app.engine, moment, moment).states
