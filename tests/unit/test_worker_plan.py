"""Which jobs a config calls for, and the trigger that fires at each period's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from governance.config import parse_config, starter_config_text
from governance.daemon.plan import PeriodEndTrigger, Schedule, job_specs


def test_the_period_end_trigger_fires_at_each_local_month_start() -> None:
    trigger = PeriodEndTrigger("Europe/Paris")
    now = datetime(2026, 11, 18, 6, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, now)
    assert first == datetime(2026, 11, 30, 23, tzinfo=UTC)  # midnight in Paris (UTC+1)
    # Fired (possibly a little late): re-armed for the next month, which starts at UTC+1 too.
    assert trigger.get_next_fire_time(first, first + timedelta(seconds=2)) == datetime(
        2026, 12, 31, 23, tzinfo=UTC
    )
    assert str(trigger) == "period end (Europe/Paris)"


def test_one_job_per_source_and_the_fixed_ones(tmp_path: Path) -> None:
    sources = """
[[sources]]
name = "gateway"
format = "litellm"
path = "/var/log/litellm/*.jsonl"
every = "20s"
[[sources]]
name = "openai-billing"
format = "openai-costs"
url = "https://api.openai.com/v1/organization/costs"
every = "1h"
"""
    config = parse_config(starter_config_text() + sources, "t.toml", tmp_path)
    specs = job_specs(config, Schedule())
    assert sorted(specs) == [
        "deliver",
        "evaluate",
        "ingest:gateway",
        "ingest:openai-billing",
        "rollover",
        "stale",
    ]
    assert specs["ingest:gateway"].signature == ("every", timedelta(seconds=20))
    assert specs["ingest:gateway"].grace == 30 and specs["ingest:openai-billing"].grace == 3600
    assert specs["stale"].signature == ("every", timedelta(seconds=20))  # the fastest source
    assert specs["evaluate"].signature == ("every", timedelta(minutes=15))
    assert [n for n, s in specs.items() if s.at_start] == [
        "ingest:gateway",
        "ingest:openai-billing",
        "evaluate",
        "deliver",
    ]
