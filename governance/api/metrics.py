"""``GET /metrics``: Prometheus text exposition of a cached reading of the ledger.

``prometheus_client`` writes the format; a custom collector turns the reading into gauges, so
nothing is kept in process-wide metric objects and replicas agree on the values. Money is a
float of the budget currency: Prometheus has only floats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from governance.api.jobs import JobsView
from governance.api.readings import MetricsReading
from governance.ledger.engine import WriteState

# The classic text format: every Prometheus version and scraper reads it.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

_PER_CATEGORY = (
    ("governance_spend", "spend", "Spend of the current period so far, in {currency}."),
    ("governance_allocation", "allocation", "Allocation of the current period, in {currency}."),
    ("governance_spend_percent", "percent", "Spend as a percentage of the allocation."),
    ("governance_forecast", "forecast", "Forecast spend at the period's end, in {currency}."),
    ("governance_forecast_low", "forecast_low", "Low end of the forecast's 80% interval."),
    ("governance_forecast_high", "forecast_high", "High end of the forecast's 80% interval."),
)


class LedgerCollector:
    """Gauges from the latest reading; ``read`` returns it (None when never read) and whether
    the database answered."""

    def __init__(self, read: Callable[[], tuple[MetricsReading | None, bool]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        reading, database_ok = self._read()
        up = GaugeMetricFamily(
            "governance_database_up", "1 when the last ledger reading succeeded, else 0."
        )
        up.add_metric([], 1.0 if database_ok else 0.0)
        yield up
        if reading is None:
            return
        categories = reading.status["categories"]
        currency = reading.status["currency"]
        for name, key, help_text in _PER_CATEGORY:
            family = GaugeMetricFamily(
                name, help_text.format(currency=currency), labels=["category"]
            )
            for category in categories:
                if category[key] is not None:  # no percent of a zero allocation
                    family.add_metric([category["name"]], float(Decimal(str(category[key]))))
            yield family
        active = GaugeMetricFamily(
            "governance_directives_active",
            "Directives in force for the category.",
            labels=["category"],
        )
        for category in categories:
            active.add_metric([category["name"]], float(len(category["directives"])))
        yield active
        held = GaugeMetricFamily("governance_quarantined_records", "Records held in quarantine.")
        held.add_metric([], float(reading.quarantined))
        yield held
        unpriced = GaugeMetricFamily(
            "governance_unpriced_rows", "Ledger rows without a price (cost counted as zero)."
        )
        unpriced.add_metric([], float(reading.unpriced))
        yield unpriced
        lag = GaugeMetricFamily(
            "governance_ingest_lag_seconds",
            "Seconds since the source's last successful ingest run finished.",
            labels=["source"],
        )
        for source, finished in sorted(reading.runs.items()):
            lag.add_metric([source], max((reading.at - finished).total_seconds(), 0.0))
        yield lag


class WriteCollector:
    """Whether the database took this process's last write: it can answer reads (up) and
    still refuse writes (a read-only file or session, a full disk)."""

    def __init__(self, writes: WriteState) -> None:
        self._writes = writes

    def collect(self) -> Iterator[Metric]:
        writable = GaugeMetricFamily(
            "governance_database_writable",
            "0 when the database refused this process's last write, else 1.",
        )
        writable.add_metric([], 0.0 if self._writes.refused else 1.0)
        yield writable


class JobCollector:
    """The daemon's jobs (``governance run``), from its in-memory registry: these differ
    between processes by nature, as only the leader runs jobs."""

    def __init__(self, jobs: JobsView) -> None:
        self._jobs = jobs

    def collect(self) -> Iterator[Metric]:
        states = self._jobs.snapshot()
        leader = GaugeMetricFamily(
            "governance_scheduler_leader", "1 when this process runs the scheduled jobs, else 0."
        )
        leader.add_metric([], 1.0 if self._jobs.role == "leader" else 0.0)
        yield leader
        families = (
            (GaugeMetricFamily, "governance_job_running", "1 while the job runs.",
             lambda s: float(s.running)),
            (GaugeMetricFamily, "governance_job_last_success_timestamp_seconds",
             "When the job last finished without error (Unix time).",
             lambda s: s.last_success.timestamp() if s.last_success else None),
            (GaugeMetricFamily, "governance_job_last_duration_seconds",
             "How long the job's last run took.", lambda s: s.last_duration),
            (CounterMetricFamily, "governance_job_runs", "Runs of the job since start.",
             lambda s: float(s.runs)),
            (CounterMetricFamily, "governance_job_failures", "Failed runs since start.",
             lambda s: float(s.failures)),
        )  # fmt: skip
        for kind, name, help_text, value_of in families:
            family = kind(name, help_text, labels=["job"])
            for state in states:
                value = value_of(state)
                if value is not None:
                    family.add_metric([state.name], value)
            yield family


def registry_of(*collectors: Collector) -> CollectorRegistry:
    """A registry of ``collectors`` alone: no process or GC metrics of this process, which
    would differ between replicas behind one address. ``generate_latest(registry)`` writes it."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    return registry


exposition = generate_latest
