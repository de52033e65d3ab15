"""The demo's vocabulary: its models as gateways log them and providers bill them, request
sizes, and workloads (what a team sends, and on which models)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Hours = Literal["office", "nightly", "flat"]


@dataclass(frozen=True)
class Model:
    """A model as the gateway logs it and as its provider bills it."""

    key: str
    logged: str  # LiteLLM's `model`
    provider: str  # LiteLLM's `custom_llm_provider` (also the Pricer's provider)
    group: str  # LiteLLM's `model_group`: the alias callers ask for
    billed: str  # the provider's own id on its bill (OpenAI line items, Anthropic model)
    label: str = ""  # how the Anthropic cost report describes it
    gateway_prices: bool = True  # False: LiteLLM has no price and logs spend 0 with tokens


MODELS: Final[dict[str, Model]] = {
    m.key: m
    for m in (
        Model("gpt-4o", "gpt-4o", "openai", "gpt-4o", "gpt-4o-2024-08-06"),
        Model("gpt-4o-mini", "gpt-4o-mini", "openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
        Model("o1", "o1", "openai", "o1", "o1-2024-12-17"),
        Model(
            "sonnet",
            "claude-3-5-sonnet-20241022",
            "anthropic",
            "claude-sonnet",
            "claude-3-5-sonnet-20241022",
            "Claude Sonnet 3.5",
        ),
        Model(
            "opus",
            "claude-3-opus-20240229",
            "anthropic",
            "claude-opus",
            "claude-3-opus-20240229",
            "Claude Opus 3",
        ),
        Model(
            "haiku",
            "claude-3-5-haiku-20241022",
            "anthropic",
            "claude-haiku",
            "claude-3-5-haiku-20241022",
            "Claude Haiku 3.5",
        ),
        # Self-hosted: LiteLLM logs spend 0; the config's [prices] prices llama, nobody acme-ft.
        Model("llama", "hosted_vllm/llama-3.1-70b", "hosted_vllm", "llama-70b", "", "", False),
        Model("acme-ft", "hosted_vllm/acme-ft-7b", "hosted_vllm", "acme-triage", "", "", False),
        # Billed by Google Cloud's FOCUS export only: no gateway traffic.
        Model("gemini-pro", "gemini-1.5-pro", "vertex_ai", "", "gemini-1.5-pro"),
        Model("gemini-flash", "gemini-2.0-flash", "vertex_ai", "", "gemini-2.0-flash"),
    )
}


@dataclass(frozen=True)
class Size:
    """Log-uniform token ranges of one kind of request, and how often its prompt was cached."""

    input: tuple[int, int]
    output: tuple[int, int]
    cached: float = 0.0  # share of requests that read part of their prompt from a cache


@dataclass(frozen=True)
class Use:
    """One model in a workload: its share of the workload's requests, and their sizes."""

    model: str
    share: float
    size: Size


@dataclass(frozen=True)
class Workload:
    """What one team sends through the gateway: its category by the starter rules, its share
    of that category's month-end spend, and its model mix by share of requests."""

    name: str
    team: str
    category: str
    share: float
    mix: tuple[Use, ...]
    key_alias: str
    project: str
    tags: tuple[str, ...] = ()
    hours: Hours = "office"
    first_day: int = 0  # 0-based day of the period it starts on (the backfill starts late)
    cache_hits: float = 0.0  # share of requests answered by LiteLLM's response cache
    weekends: bool = True  # False: it runs all week at the same rate (a backfill job)
