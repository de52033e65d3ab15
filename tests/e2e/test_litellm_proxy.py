"""Issue 17 end to end: a real LiteLLM 1.82.6 proxy (models mocked, no network) with the
``governance.integrations.litellm`` hook and payload logger, in front of ``governance serve``
on a ledger with directives in force.

About 50 requests across categories (a team in ``metadata``, a team as ``user``, a tag),
tasks, prompts and tiers: each is served by the model the policy and the directives choose
(the table is printed), fallbacks never reach a routed-away tier, and the logged payloads
ingest exactly (read = added, costs equal to LiteLLM's ``response_cost``, re-ingest adds 0).
LiteLLM is installed with hashes into a venv of its own (tests/e2e/litellm_env.py); where it
cannot be, the test skips, except under CI=true, where it fails.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from governance.config import Config, parse_config, starter_config_text
from governance.context import Governance
from governance.domain.periods import period_containing
from governance.domain.tiers import canonical_model
from governance.ingest.service import ingest
from governance.ledger import migrate
from governance.ledger.engine import make_engine
from governance.ledger.tables import ledger
from governance.services.evaluate import run_evaluation
from tests.e2e import litellm_env
from tests.e2e.daemon import RunProcess
from tests.e2e.litellm_proxy import Proxy
from tests.factories import insert_rows, ledger_row

pytestmark = pytest.mark.timeout(1200)  # a first install downloads ~100 packages

TOKEN = "e2e-router-token"
SUBSTITUTES = """[substitutes]
"gpt-4o" = "gpt-4o-mini"
"claude-sonnet-4-5" = "claude-haiku-4-5"
"gemini-2.5-pro" = "gemini-2.0-flash"
"gpt-4o-mini" = "llama-3.1-70b"
"claude-haiku-4-5" = "llama-3.1-70b"
"gemini-2.0-flash" = "llama-3.1-70b"
"""
FALLBACKS = """[routing.fallbacks]
"gpt-4o" = ["claude-sonnet-4-5", "gemini-2.5-pro"]
"gpt-4o-mini" = ["claude-haiku-4-5", "gemini-2.0-flash"]
"llama-3.1-70b" = ["gpt-4o-mini", "claude-haiku-4-5"]
"""
# Both batch steps on actual spend, so that both are in force on any day of a period.
BATCH_STEPS = (
    '{ at = 90, basis = "forecast", from = "premium", to = "standard" }',
    '{ at = 90, from = "premium", to = "standard" }',
)


def config_text(payloads: Path) -> str:
    text = starter_config_text().replace('amount = "50000.00"', 'amount = "1000.00"')
    text = text.replace(*BATCH_STEPS)
    start, end = text.index("[substitutes]"), text.index("# Routing:")
    text = text[:start] + SUBSTITUTES + "\n" + text[end:]
    start = text.index("[routing.fallbacks]")
    end = text.index("\n", text.index('"gpt-4o-mini" = [', start))
    text = text[:start] + FALLBACKS + text[end + 1 :]
    return text + (
        f'\n[[sources]]\nname = "litellm-payloads"\nformat = "litellm"\n'
        f'path = "{payloads}/*.jsonl"\nevery = "1m"\n'
    )


@dataclass(frozen=True)
class Case:
    who: str  # data-eng (metadata.team), ml-platform (user), critical (a tag), standard
    model: str
    expected: str | None  # None: the request must fail (no fallback may serve it)
    task: str | None = None
    prompt: str = "Hello."
    stream: bool = False
    fail_primary: bool = False  # LiteLLM's mock_testing_fallbacks: the primary fails
    tags: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"tags": list(self.tags)}
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "user", "content": self.prompt}],
            "metadata": metadata,
        }
        if self.who == "data-eng":
            metadata["team"] = "data-eng"
        elif self.who == "ml-platform":
            body["user"] = "ml-platform"
        elif self.who == "critical":
            metadata["tags"].append("category:critical")
        if self.task:
            metadata["task"] = self.task
        if self.stream:
            body["stream"] = True
        if self.fail_primary:
            body["mock_testing_fallbacks"] = True
        return body

    @property
    def category(self) -> str:
        return {"data-eng": "batch", "ml-platform": "batch"}.get(self.who, self.who)

    @property
    def how(self) -> str:
        parts = [f"task {self.task}" if self.task else "", "stream" if self.stream else "",
                 "primary fails" if self.fail_primary else ""]  # fmt: skip
        if self.prompt != "Hello.":
            parts.append(f"prompt {self.prompt[:24]!r}" if len(self.prompt) < 200 else
                         f"prompt of {len(self.prompt):,} chars")  # fmt: skip
        parts += [f"tag {t}" for t in self.tags]
        return ", ".join(p for p in parts if p) or "plain"


LLAMA, MINI, GPT4O = "llama-3.1-70b", "gpt-4o-mini", "gpt-4o"
SONNET, HAIKU = "claude-sonnet-4-5", "claude-haiku-4-5"
LONG = "Summarise the attached transcript. " + "word " * 42_000  # ~210,000 characters
CASES = [
    # batch: premium -> standard and standard -> economy in force: everything ends on llama.
    *[Case(who, GPT4O, LLAMA) for who in ("data-eng", "ml-platform", "data-eng")],
    *[Case(who, MINI, LLAMA) for who in ("data-eng", "ml-platform")],
    *[Case(who, SONNET, LLAMA) for who in ("data-eng", "ml-platform")],
    Case("data-eng", "gemini-2.5-pro", LLAMA),
    Case("data-eng", LLAMA, LLAMA),
    Case("ml-platform", GPT4O, LLAMA, task="code"),
    Case("data-eng", LLAMA, LLAMA, task="analysis"),  # up to premium, then routed down again
    Case("data-eng", GPT4O, LLAMA, task="classification"),
    Case("ml-platform", "gemini-2.0-flash", LLAMA, prompt="Translate this to French."),
    *[Case(who, GPT4O, LLAMA, stream=True) for who in ("data-eng", "ml-platform")],
    # llama's fallbacks are standard (routed away) and the proxy's own is gpt-4o: none serves.
    Case("data-eng", LLAMA, None, fail_primary=True),
    # standard: premium -> standard in force; heuristics may route down (it downgrades).
    *[Case("standard", GPT4O, MINI) for _ in range(3)],
    *[Case("standard", MINI, MINI) for _ in range(2)],
    *[Case("standard", MINI, LLAMA, task="classification") for _ in range(2)],
    Case("standard", MINI, MINI, task="code"),  # up to gpt-4o, routed back by the directive
    *[Case("standard", MINI, LLAMA, prompt="Please format this list as JSON.") for _ in "ab"],
    Case("standard", MINI, LLAMA, prompt="yes/no: is the invoice paid?"),
    Case("standard", LLAMA, MINI, task="chat"),
    *[Case("standard", SONNET, HAIKU) for _ in range(2)],
    *[Case("standard", GPT4O, MINI, stream=True) for _ in range(2)],
    Case("standard", GPT4O, MINI, task="summarization"),
    Case("standard", "gemini-2.5-pro", "gemini-2.0-flash", task="chat"),
    Case("standard", MINI, LLAMA, tags=("task:extraction",)),
    Case("standard", MINI, HAIKU, fail_primary=True),  # a standard fallback is allowed
    # critical: no directive, and never routed down; up is allowed.
    *[Case("critical", GPT4O, GPT4O) for _ in range(3)],
    *[Case("critical", GPT4O, GPT4O, task="classification") for _ in range(2)],
    Case("critical", GPT4O, GPT4O, prompt="Just format this date."),
    *[Case("critical", MINI, GPT4O, task="code") for _ in range(2)],
    Case("critical", MINI, GPT4O, prompt=LONG),
    Case("critical", MINI, GPT4O, prompt="Analyze and compare these two designs."),
    Case("critical", HAIKU, SONNET, prompt="Analyze the architecture."),
    Case("critical", "gemini-2.0-flash", "gemini-2.5-pro", task="code"),
    Case("critical", LLAMA, LLAMA),
    Case("critical", GPT4O, SONNET, fail_primary=True),  # the premium secondary
]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass
class ProxyRun:
    config: Config
    config_path: Path
    payloads: Path
    results: list[tuple[Case, int, str | None]] = field(default_factory=list)
    install_seconds: float = 0.0
    run_seconds: float = 0.0


class ServeProcess(RunProcess):
    command = "serve"


def _with_directives(config: Config, url: str, now: datetime) -> None:
    """A ledger where batch has spent 300 of 250 and standard 400 of 350 this period."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    start = period_containing(now, config.budget.timezone).start  # on any date, this period's
    insert_rows(engine, [
        ledger_row(occurred_at=start, ingested_at=now, category="batch", team="data-eng",
                   model="gpt-4o", tier="premium", cost=Decimal("300")),
        ledger_row(occurred_at=start, ingested_at=now, category="standard", model="gpt-4o",
                   tier="premium", cost=Decimal("400")),
    ])  # fmt: skip
    result = run_evaluation(config, engine, now, now)
    engine.dispose()
    assert sorted(d.id.split("/", 1)[1] for d in result.directives) == [
        "batch/premium-standard",
        "batch/standard-economy",
        "standard/premium-standard",
    ]


@pytest.fixture(scope="module")
def proxy_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyRun]:
    try:
        python, installing = litellm_env.ensure()
    except litellm_env.Unavailable as exc:
        if _in_ci():
            pytest.fail(f"CI=true and LiteLLM cannot be installed: {exc}", pytrace=False)
        pytest.skip(f"LiteLLM cannot be installed here: {exc}")
    started = time.monotonic()
    root = tmp_path_factory.mktemp("litellm")
    payloads = root / "payloads"
    config_path = root / "governance.toml"
    config_path.write_text(config_text(payloads))
    config = parse_config(config_path.read_text(), str(config_path), root)
    url = f"sqlite:///{root}/ledger.db"
    _with_directives(config, url, datetime.now(UTC))
    environ = {"GOVERNANCE_CONFIG": str(config_path), "GOVERNANCE_DATABASE_URL": url,
               "GOVERNANCE_ROUTER_TOKENS": TOKEN}  # fmt: skip
    with ServeProcess(root / "serve.log", environ) as serve:
        hook = {
            "GOVERNANCE_URL": f"http://127.0.0.1:{serve.port}",
            "GOVERNANCE_ROUTER_TOKEN": TOKEN,
            "GOVERNANCE_PAYLOAD_DIR": str(payloads),
        }
        with Proxy(python, root / "proxy", hook) as proxy:
            proxy.wait_ready()
            names = proxy.deployments()
            _until_routing(proxy, names)
            run = ProxyRun(config, config_path, payloads, install_seconds=installing)
            for case in CASES:
                status, deployment = proxy.chat(case.body())
                run.results.append((case, status, names.get(deployment or "")))
            _until_logged(payloads, len(CASES))
            run.run_seconds = time.monotonic() - started
            yield run


def _until_routing(proxy: Proxy, names: dict[str, str]) -> None:
    # The hook polls governance in the background from the proxy's start: wait for its first
    # directives (these probes are logged and ingested like the rest).
    deadline = time.monotonic() + 60
    while names.get(proxy.chat(Case("data-eng", GPT4O, LLAMA).body())[1] or "") != LLAMA:
        assert time.monotonic() < deadline, f"the hook never routed:\n{proxy.output()[-3000:]}"
        time.sleep(0.5)


def _payloads(directory: Path) -> list[dict[str, Any]]:
    paths = sorted(directory.glob("*.jsonl"))
    lines = [line for path in paths for line in path.read_text().splitlines()]
    return [json.loads(line) for line in lines]


def _until_logged(directory: Path, at_least: int) -> None:
    # LiteLLM logs after answering, on its own tasks.
    deadline = time.monotonic() + 30
    while len(_payloads(directory)) < at_least:
        assert time.monotonic() < deadline, "payloads missing"
        time.sleep(0.2)
    time.sleep(1.0)  # the last failure events


def test_each_request_is_served_by_the_model_policy_and_directives_choose(
    proxy_run: ProxyRun,
) -> None:
    rows = [("category", "requested", "how", "expected", "served")]
    for case, status, served in proxy_run.results:
        shown = canonical_model(served) if served else f"HTTP {status}"
        rows.append((case.category, case.model, case.how, case.expected or "an error", shown))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    timing = f"installing {proxy_run.install_seconds:.1f} s, run {proxy_run.run_seconds:.1f} s"
    print(f"\nrequested -> served ({len(CASES)} requests; litellm {timing})")
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    wrong = [
        row for (case, status, served), row in zip(proxy_run.results, rows[1:], strict=True)
        if (canonical_model(served) if served else None) != case.expected
        or (case.expected is None and status == 200)
    ]  # fmt: skip
    assert not wrong, wrong
    assert len(CASES) >= 50


def test_the_hook_records_its_decision_and_fallbacks_respect_directives(
    proxy_run: ProxyRun,
) -> None:
    payloads = _payloads(proxy_run.payloads)
    decisions = [p["metadata"]["spend_logs_metadata"]["governance"] for p in payloads]
    assert all(d["version"] for d in decisions)
    assert {d["category"] for d in decisions} == {"batch", "standard", "critical"}
    # No batch request was served by a standard or premium model: not by a fallback either.
    tiers = proxy_run.config.tier_map()
    batch = [p for p, d in zip(payloads, decisions, strict=True) if d["category"] == "batch"]
    served = {tiers.tier_of(p["model_group"]) for p in batch if p["status"] == "success"}
    assert served == {"economy"}
    # Prompts and the caller's headers never reach the files.
    text = "".join(path.read_text() for path in proxy_run.payloads.glob("*.jsonl"))
    assert "format this list" not in text and "word word" not in text
    assert not [p for p in payloads if "requester_metadata" in p["metadata"]]
    assert '"content-type"' not in text.lower()


def test_logged_payloads_ingest_exactly(
    proxy_run: ProxyRun, ledger_engine: Engine, tmp_path: Path
) -> None:
    payloads = _payloads(proxy_run.payloads)
    last = max(p["startTime"] for p in payloads)
    clock = datetime.fromtimestamp(last + 60, UTC)  # the ingest's moment: just after the last
    app = Governance(proxy_run.config, proxy_run.config_path, {}, lambda: clock, ledger_engine)
    (first,) = ingest(app, [], source_name="litellm-payloads")
    totals = first.totals
    assert (totals.read, totals.added, totals.duplicates, totals.quarantined) == (
        len(payloads), len(payloads), 0, 0,
    )  # fmt: skip
    with ledger_engine.connect() as conn:
        stored = {r.source_key: r for r in conn.execute(select(ledger))}
    prices = proxy_run.config.prices["llama-3.1-70b"]
    for payload in payloads:
        row = stored[payload["id"]]
        decision = payload["metadata"]["spend_logs_metadata"]["governance"]
        assert row.category == decision["category"], payload["id"]  # category_of = the ledger
        reported = Decimal(str(payload["response_cost"]))
        if reported > 0:
            assert abs(row.cost - reported) <= Decimal("1e-9") and row.cost_basis == "reported"
        elif payload["prompt_tokens"] + payload["completion_tokens"] > 0:  # self-hosted llama
            tokens = Decimal(payload["prompt_tokens"] * prices.input
                             + payload["completion_tokens"] * prices.output)  # fmt: skip
            assert row.cost == tokens / 1_000_000 and row.cost_basis == "priced"
    # LiteLLM prices a rerouted stream at the requested model's rate: those rows are
    # flagged (gpt-4o-mini served, priced as gpt-4o); the rerouted non-streams are not.
    flagged = {r.source_key: (r.model, r.priced_model) for r in stored.values() if r.priced_model}
    asked = {p["id"]: p["model_map_information"]["model_map_key"] for p in payloads}
    misprized = {
        p["id"]: (canonical_model(p["model"]), asked[p["id"]])
        for p in payloads
        if p["stream"] and p["response_cost"] and p["model_group"] != asked[p["id"]]
    }
    assert flagged == misprized and set(flagged.values()) == {(MINI, GPT4O)}
    (again,) = ingest(app, [], source_name="litellm-payloads")
    assert (again.totals.read, again.totals.added) == (0, 0) or again.totals.added == 0
