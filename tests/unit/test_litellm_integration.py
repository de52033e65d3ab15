"""``governance.integrations.litellm`` without LiteLLM: the hook's decisions on request bodies
as the proxy hands them over, the payload logger's files, and how the reader takes both."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

from governance.config import parse_config, starter_config_text
from governance.domain.usage import LedgerRules, to_ledger_row
from governance.integrations import litellm as integration
from governance.sources import litellm as reader
from tests.unit.test_routing import client_with

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the hook on a loop of its own thread: a session's browser may hold this thread's."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


BATCH_DOWN = {"batch": {"premium": "standard", "standard": "economy"}}
NO_KEY = SimpleNamespace(team_alias=None, team_id=None, key_alias=None, api_key=None)


def hook() -> integration.GovernanceRouting:
    return integration.GovernanceRouting(
        client_with(parse_config(starter_config_text()), BATCH_DOWN)
    )


def decided(key: Any, body: dict[str, Any]) -> dict[str, Any]:
    out = _run(hook().async_pre_call_hook(key, None, body, "acompletion"))
    assert out is body
    return body


def test_litellm_stays_out_of_the_product() -> None:
    assert "litellm" not in sys.modules  # nothing imported it; the integration subclasses object
    assert integration.GovernanceRouting.__mro__[1] is object
    assert integration.GOVERNANCE_KEY == reader.ROUTER_RECORD


def test_a_virtual_keys_team_decides_the_category() -> None:
    key = SimpleNamespace(team_alias="data-eng", team_id="t-1", key_alias="etl", api_key="hash")
    body = decided(key, {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    assert body["model"] == "openai/llama-3.1-70b"
    record = body["metadata"]["spend_logs_metadata"]
    assert "team" not in record  # the key says it, and the ledger reads it from the key
    assert record["governance"]["category"] == "batch"
    assert record["governance"]["requested"] == "openai/gpt-4o"
    assert body["fallbacks"] == []  # gpt-4o's fallbacks are premium: routed away


def test_without_virtual_keys_metadata_user_and_tags_decide() -> None:
    by_team = decided(NO_KEY, {"model": "gpt-4o", "metadata": {"team": "data-eng"}})
    by_user = decided(NO_KEY, {"model": "gpt-4o", "user": "ml-platform"})
    tagged = decided(NO_KEY, {"model": "gpt-4o", "metadata": {"tags": ["category:critical"]},
                              "user": "data-eng"})  # fmt: skip
    assert (by_team["model"], by_user["model"], tagged["model"]) == (
        "llama-3.1-70b", "llama-3.1-70b", "gpt-4o",
    )  # fmt: skip
    assert by_user["metadata"]["spend_logs_metadata"]["team"] == "ml-platform"
    assert tagged["metadata"]["spend_logs_metadata"]["governance"]["category"] == "critical"
    assert tagged["fallbacks"] == ["claude-3-5-sonnet-latest", "gemini-1.5-pro"]


def test_the_prompt_is_classified_and_not_recorded() -> None:
    body = decided(NO_KEY, {"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": [{"type": "text", "text": "Format this list, secret plan"}]},
    ]})  # fmt: skip
    assert body["model"] == "llama-3.1-70b"
    assert "secret plan" not in json.dumps(body["metadata"])


def test_a_failure_lets_the_request_go_as_asked() -> None:
    broken = hook()
    broken.client = None  # type: ignore[assignment]
    body = {"model": "gpt-4o", "metadata": {"team": "data-eng"}}
    _run(broken.async_pre_call_hook(NO_KEY, None, body, "acompletion"))
    assert body["model"] == "gpt-4o"


PAYLOAD = {
    "id": "chatcmpl-1", "startTime": 1795000000.5, "response_cost": 1.35e-05,
    "model": "openai/gpt-4o-mini", "model_group": "gpt-4o-mini", "custom_llm_provider": "openai",
    "prompt_tokens": 10, "completion_tokens": 20, "request_tags": ["env:prod"],
    "messages": [{"role": "user", "content": "the prompt"}], "response": {"text": "the answer"},
    "model_map_information": {"model_map_key": "gpt-4o", "model_map_value": {"k": 1}},
    "metadata": {
        "user_api_key_hash": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
        "requester_metadata": {"headers": {"authorization": "Bearer sk-abcdefghijkl"}},
        "spend_logs_metadata": {"team": "data-eng", "governance": {"category": "batch"}},
        "user_api_key_alias": "sk-live-pasted-as-alias-0123456789",
    },
}  # fmt: skip


def test_payloads_are_appended_daily_without_prompts_or_secrets(tmp_path: Path) -> None:
    logger = integration.PayloadLogger(tmp_path)
    path = logger.write(PAYLOAD)
    logger.write({**PAYLOAD, "id": "chatcmpl-2"})
    assert path == tmp_path / "litellm-2026-11-18.jsonl"
    text = path.read_text()
    assert text.count("\n") == 2
    for private in ("the prompt", "the answer", "sk-abcdefghijkl", "sk-live-pasted"):
        assert private not in text
    kept = json.loads(text.splitlines()[0])
    assert kept["metadata"]["user_api_key_hash"] == PAYLOAD["metadata"]["user_api_key_hash"]  # type: ignore[index]
    assert kept["model_map_information"] == {"model_map_key": "gpt-4o"}
    assert logger.write("not a payload") is None


def test_the_reader_takes_the_team_but_not_the_record_as_labels() -> None:
    record = reader.translate(reader.decode_line(json.dumps(PAYLOAD).encode()).row)
    assert record.team == "data-eng" and record.priced_model == "gpt-4o"
    assert record.tags == ("env:prod", "team:data-eng")


def test_a_row_is_flagged_only_when_its_cost_is_the_priced_models() -> None:
    config = parse_config(starter_config_text())
    rates = {"gpt-4o": (2.5, 10), "gpt-4o-mini": (0.15, 0.6)}

    def price(model: str, provider: str, tokens: Any, when: Any) -> Any:
        from decimal import Decimal

        inp, out = rates[model]
        cost = Decimal(str(inp)) * tokens.input / 10**6 + Decimal(str(out)) * tokens.output / 10**6
        return cost, "USD"

    rules = LedgerRules(config.tier_map(), config.category_rules(), "USD", {}, price)
    served = reader.translate(reader.decode_line(json.dumps(PAYLOAD).encode()).row)
    assert to_ledger_row(served, rules)["priced_model"] is None  # mini's rates: priced right
    streamed = {**PAYLOAD, "response_cost": 0.000225}  # gpt-4o's rates for mini's tokens
    wrong = reader.translate(reader.decode_line(json.dumps(streamed).encode()).row)
    assert to_ledger_row(wrong, rules)["priced_model"] == "gpt-4o"
