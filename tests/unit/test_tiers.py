import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.domain.tiers import UNCLASSIFIED, TierMap, canonical_model

# The [tiers] table of DESIGN section 5.
DESIGN_TIERS = {
    "premium": [
        *("o1*", "o3*", "gpt-4o", "gpt-4o-2*"),
        *("claude-*sonnet*", "claude-*opus*", "gemini-*pro*"),
    ],
    "standard": ["gpt-4o-mini*", "claude-*haiku*", "gemini-*flash*"],
    "economy": ["llama*", "mistral*", "mixtral*", "phi-*", "qwen*"],
}
TIERS = TierMap.from_mapping(DESIGN_TIERS)


@pytest.mark.parametrize(
    ("model", "canonical"),
    [
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("  GPT-4o-Mini \n", "gpt-4o-mini"),
        ("openai/gpt-4o-mini", "gpt-4o-mini"),
        ("hosted_vllm/llama-3.1-70b", "llama-3.1-70b"),
        ("openrouter/anthropic/claude-3.5-sonnet", "claude-3.5-sonnet"),
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet-20240620-v1:0"),
        ("us.anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307-v1:0"),
        ("bedrock/eu.anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307-v1:0"),
        ("apac.amazon.nova-pro-v1:0", "nova-pro-v1:0"),
        ("global.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514-v1:0"),
        ("meta.llama3-70b-instruct-v1:0", "llama3-70b-instruct-v1:0"),
        ("mistral.mistral-large-2402-v1:0", "mistral-large-2402-v1:0"),
        ("cohere.command-r-plus-v1:0", "command-r-plus-v1:0"),
        ("ai21.jamba-1-5-large-v1:0", "jamba-1-5-large-v1:0"),
        ("qwen.qwen3-32b-v1:0", "qwen3-32b-v1:0"),
        ("openai.gpt-oss-120b-1:0", "gpt-oss-120b-1:0"),
        # DeepSeek keeps its vendor: "r1-v1:0" alone would match nothing.
        ("us.deepseek.r1-v1:0", "deepseek.r1-v1:0"),
        # Ordinary ids are left alone.
        ("meta-llama-3.1-8b", "meta-llama-3.1-8b"),
        ("mistral-large-latest", "mistral-large-latest"),
        ("anthropic.", "anthropic."),
        ("us.gpt-4o", "us.gpt-4o"),
        ("llama-3.1.anthropic.x", "llama-3.1.anthropic.x"),
        ("openai/", ""),
        ("openai/ gpt-4o ", "gpt-4o"),
        ("", ""),
    ],
)
def test_canonical_model(model: str, canonical: str) -> None:
    assert canonical_model(model) == canonical


@given(st.text())
def test_canonical_model_is_a_bare_lower_case_id(model: str) -> None:
    canonical = canonical_model(model)
    assert "/" not in canonical
    assert canonical == canonical.strip()
    assert canonical == canonical.lower()
    assert canonical_model(f" Provider/{model}") == canonical_model(model.rpartition("/")[2])


@pytest.mark.parametrize(
    ("model", "tier"),
    [
        ("gpt-4o", "premium"),
        ("gpt-4o-2024-08-06", "premium"),
        ("gpt-4o-mini", "standard"),
        ("openai/gpt-4o-mini-2024-07-18", "standard"),
        ("claude-3-5-sonnet-latest", "premium"),
        ("anthropic/claude-3-5-haiku-20241022", "standard"),
        ("hosted_vllm/llama-3.1-70b", "economy"),
        ("o1-preview", "premium"),
        ("us.anthropic.claude-3-opus-20240229-v1:0", "premium"),
        ("vertex_ai/gemini-1.5-flash-002", "standard"),
        ("Qwen/Qwen2.5-72B-Instruct", "economy"),
        ("some-new-model", UNCLASSIFIED),
        ("gpt-4o-audio-preview", UNCLASSIFIED),
        ("", UNCLASSIFIED),
        ("   ", UNCLASSIFIED),
    ],
)
def test_design_tiers(model: str, tier: str) -> None:
    assert TIERS.tier_of(model) == tier


def test_first_tier_in_order_wins() -> None:
    tiers = TierMap.from_mapping({"cheap": ["gpt-*"], "premium": ["gpt-4o"]})
    assert tiers.tier_of("gpt-4o") == "cheap"
    swapped = TierMap.from_mapping({"premium": ["gpt-4o"], "cheap": ["gpt-*"]})
    assert swapped.tier_of("gpt-4o") == "premium"


def test_patterns_match_case_insensitively() -> None:
    tiers = TierMap.from_mapping({"premium": ["Claude-*-Sonnet*"]})
    assert tiers.tier_of("CLAUDE-3-5-sonnet-latest") == "premium"


def test_tier_names_and_patterns_keep_order() -> None:
    assert TIERS.tier_names == ("premium", "standard", "economy")
    assert TIERS.patterns[1] == ("standard", ("gpt-4o-mini*", "claude-*haiku*", "gemini-*flash*"))
    assert TierMap().tier_of("gpt-4o") == UNCLASSIFIED


def test_from_mapping_rejects_a_bare_string() -> None:
    with pytest.raises(TypeError, match="premium"):
        TierMap.from_mapping({"premium": "gpt-4o"})
