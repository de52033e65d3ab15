"""The config refuses what no real setup means: a "downgrade" up the tier order, a price no
model has, values nested so deep that reading them overflows the stack; each one line, at its
key path."""

from __future__ import annotations

import pytest

from governance.config import parse_config, starter_config_text
from governance.exceptions import ConfigError

STANDARD_TO_ECONOMY = '{ at = 100, from = "standard", to = "economy" }'


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        parse_config(text)
    return [str(problem) for problem in refused.value.problems]


def test_a_downgrade_to_a_higher_tier_is_refused_at_its_key_path() -> None:
    text = starter_config_text()
    assert STANDARD_TO_ECONOMY in text
    upward = text.replace(STANDARD_TO_ECONOMY, STANDARD_TO_ECONOMY.replace("economy", "premium"))
    assert problems(upward) == [
        "categories.batch.downgrade[1].to: 'premium' is above 'standard': a downgrade goes to"
        " a lower tier (premium > standard > economy)"
    ]


def test_custom_tiers_are_not_ranked() -> None:
    text = starter_config_text().replace(
        STANDARD_TO_ECONOMY, '{ at = 100, from = "standard", to = "local" }'
    )
    text = text.replace("[tiers]", '[tiers]\nlocal = ["my-*"]')
    assert parse_config(text).categories["batch"].downgrade[1].to == "local"


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("input", '"1e300"', "1E+300"),
        ("output", '"10000.01"', "10000.01"),
        ("cache_read", '"20000"', "20000"),
    ],
)
def test_a_price_beyond_any_real_model_is_refused(key: str, value: str, shown: str) -> None:
    prices = {"input": '"2.50"', "output": '"10"', key: value}
    table = "\n".join(f"{name} = {price}" for name, price in prices.items())
    text = starter_config_text() + f'\n[prices."my-model"]\n{table}\n'
    assert problems(text) == [
        f"prices.my-model.{key}: {shown} per million tokens is over 10,000, beyond any real"
        " model's price (a misplaced decimal point?)"
    ]


def test_a_dear_but_real_price_is_accepted() -> None:
    text = starter_config_text() + '\n[prices."o1-pro"]\ninput = "150"\noutput = "10000"\n'
    assert parse_config(text).prices["o1-pro"].output == 10000


def test_values_nested_too_deep_are_one_problem() -> None:
    text = starter_config_text() + "\nx = " + "[" * 600 + "]" * 600 + "\n"
    assert problems(text) == [
        "not valid TOML: nested too deeply (arrays or tables hundreds of levels deep)"
    ]
