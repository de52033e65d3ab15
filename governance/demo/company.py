"""The demo company: five teams' gateway workloads, a backfill, and its Vertex AI projects.

Tiers follow the seeds' advice where the teams do: critical work (payments) is premium; most
of standard's tokens go to Gemini Flash (search, on Vertex AI, billed by Google outside the
gateway), the gateway carrying its harder questions. Batch does not: it is premium-heavy, and
its backfill on Claude Opus and GPT-4o from day 13 is what overspends.

Request sizes are long-context on purpose: a month of spend in the tens of thousands of dollars
has to fit in tens of thousands of gateway rows (ingested in seconds), so premium requests carry
20k-190k input tokens (RAG over large documents, agent transcripts, backfills of whole files),
within each model's context window, and the cheap tiers stay a minority of the gateway's rows.
"""

from __future__ import annotations

from typing import Final

from governance.demo.catalogue import Size, Use, Workload

# Typical sizes: long-context premium work, short cheap calls, reasoning with long outputs.
_LONG = Size((20_000, 120_000), (400, 2_500), cached=0.35)
_DOCS = Size((40_000, 120_000), (1_500, 6_000), cached=0.1)  # gpt-4o: a 128k context
_BIG_DOCS = Size((60_000, 190_000), (1_500, 6_000), cached=0.1)  # Claude: a 200k context
_REASON = Size((8_000, 50_000), (3_000, 16_000), cached=0.2)
_SHORT = Size((2_000, 24_000), (150, 1_200), cached=0.3)
_LOCAL = Size((1_500, 16_000), (200, 1_500))

WORKLOADS: Final[tuple[Workload, ...]] = (
    Workload(
        "payments",
        "payments",
        "critical",
        0.55,
        (
            Use("o1", 0.30, _REASON),
            Use("opus", 0.20, _LONG),
            Use("sonnet", 0.25, _LONG),
            Use("gpt-4o", 0.15, _LONG),
            Use("gpt-4o-mini", 0.07, _SHORT),
            Use("llama", 0.03, _LOCAL),
        ),
        "payments-risk",
        "fraud-review",
        tags=("category:critical", "env:prod"),
    ),
    Workload(
        "search",
        "search",
        "standard",
        0.05,
        (
            Use("gpt-4o", 0.80, _LONG),
            Use("gpt-4o-mini", 0.12, _SHORT),
            Use("llama", 0.08, _LOCAL),
        ),
        "search-service",
        "answers",
        tags=("env:prod",),
        cache_hits=0.01,
    ),
    Workload(
        "support",
        "support",
        "standard",
        0.06,
        (
            Use("sonnet", 0.70, _LONG),
            Use("haiku", 0.20, _SHORT),
            Use("acme-ft", 0.10, _LOCAL),
        ),
        "support-bot",
        "helpdesk",
        tags=("env:prod",),
        cache_hits=0.01,
    ),
    Workload(
        "etl",
        "data-eng",
        "batch",
        0.55,
        (
            Use("sonnet", 0.70, _BIG_DOCS),
            Use("gpt-4o", 0.20, _DOCS),
            Use("gpt-4o-mini", 0.05, _SHORT),
            Use("llama", 0.05, _LOCAL),
        ),
        "data-eng-etl",
        "enrichment",
        hours="nightly",
    ),
    Workload(
        "evals",
        "ml-platform",
        "batch",
        0.45,
        (
            Use("o1", 0.55, _REASON),
            Use("gpt-4o", 0.30, _DOCS),
            Use("llama", 0.15, _LOCAL),
        ),
        "ml-platform-evals",
        "evals",
    ),
)

# The backfill: a re-processing job of data-eng on premium models, running day and night.
BACKFILL: Final = Workload(
    "backfill",
    "data-eng",
    "batch",
    0.0,  # sized by the batch overspend, not by a share (see scenario.plan)
    (Use("opus", 0.7, _BIG_DOCS), Use("gpt-4o", 0.3, _DOCS)),
    "data-eng-backfill",
    "backfill-2024-contracts",
    hours="flat",
    first_day=12,
    weekends=False,
)

# Google Cloud bills these through its FOCUS export only: they never pass the gateway. Their
# `project` is the Google Cloud project, their tags the export's labels; the high-volume
# cheap traffic of search runs here, on Gemini Flash.
VERTEX: Final[tuple[Workload, ...]] = (
    Workload(
        "vertex-payments",
        "payments",
        "critical",
        0.45,
        (Use("gemini-pro", 1.0, _LONG),),
        "",
        "acme-payments-prod",
        tags=("team:payments", "category:critical"),
    ),
    Workload(
        "vertex-search-flash",
        "search",
        "standard",
        0.50,
        (Use("gemini-flash", 1.0, _SHORT),),
        "",
        "acme-search-prod",
        tags=("team:search",),
    ),
    Workload(
        "vertex-search-pro",
        "search",
        "standard",
        0.39,
        (Use("gemini-pro", 1.0, _LONG),),
        "",
        "acme-search-prod",
        tags=("team:search",),
    ),
)
