"""Config texts the config tests share: DESIGN section 5 verbatim, the smallest valid config,
and helpers that read the problems of a text."""

from __future__ import annotations

import pytest

from governance.config import parse_config
from governance.exceptions import ConfigError, Problem

# DESIGN section 5, verbatim.
DESIGN_EXAMPLE = """
[database]
url = "sqlite:///governance.db"     # $GOVERNANCE_DATABASE_URL overrides

[budget]
currency = "USD"
amount = "50000.00"                 # per period, a decimal string
timezone = "UTC"
thresholds = [70, 90, 100]

[categories.critical]
share = 40                          # percent of budget.amount; shares sum to at most 100
downgrade = []                      # never auto-downgraded
[categories.standard]
share = 35
downgrade = [{ at = 100, from = "premium", to = "standard" }]
[categories.batch]
share = 25
downgrade = [
  { at = 90, basis = "forecast", from = "premium", to = "standard" },
  { at = 100, from = "standard", to = "economy" },
]

[tiers]                             # glob patterns on the model id (provider prefix removed)
premium = ["o1*", "o3*", "gpt-4o", "gpt-4o-2*", "claude-*sonnet*", "claude-*opus*", "gemini-*pro*"]
standard = ["gpt-4o-mini*", "claude-*haiku*", "gemini-*flash*"]
economy = ["llama*", "mistral*", "mixtral*", "phi-*", "qwen*"]

[substitutes]                       # what a router should use instead, per model
"gpt-4o" = "gpt-4o-mini"
"claude-3-5-sonnet*" = "claude-3-5-haiku-latest"

[[rules]]                           # first match wins; the last rule is the default
category = "critical"
match = { tag = "category:critical" }
[[rules]]
category = "batch"
match = { team = ["data-eng", "ml-platform"] }
[[rules]]
category = "standard"
match = {}

[prices."llama-3.1-70b"]            # per million tokens, for models genai-prices lacks
input = "0.05"
output = "0.05"

[fx]                                # units of budget currency per unit
EUR = "1.08"

[[sources]]
name = "litellm-logs"
format = "litellm"
path = "/var/log/litellm/*.jsonl"   # glob; appended files are read from where the last run stopped
every = "5m"
[[sources]]
name = "openai-billing"
format = "openai-costs"
url = "https://api.openai.com/v1/organization/costs"
api_key_env = "OPENAI_ADMIN_KEY"
every = "1h"

[alerts.slack]
token_env = "SLACK_BOT_TOKEN"       # or webhook_url_env = "SLACK_WEBHOOK_URL"
channel = "#llm-spend"
channels = { batch = "#data-eng" }
dashboard_url = "http://127.0.0.1:8050"
api_url = "https://slack.com/api/"  # slack-sdk base_url: a proxy, or a stand-in in tests

[server]
host = "127.0.0.1"
port = 8050
router_tokens_env = "GOVERNANCE_ROUTER_TOKENS"   # when set, /directives needs a bearer token
"""

# The smallest valid config, to which each test adds one mistake.
MINIMAL = """
[budget]
amount = "1000"

[categories.critical]
share = 40
[categories.batch]
share = 25
downgrade = [{ at = 90, from = "premium", to = "standard" }]

[[rules]]
category = "critical"
match = { tag = "category:critical" }
[[rules]]
category = "batch"
"""


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    return caught.value.problems


def only_problem(text: str) -> Problem:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


# DESIGN section 5's batch step standard->economy has no economy substitute for the
# standard models its [substitutes] route to: the config refuses it (issue 17), naming them.
ECONOMY_SUBSTITUTES = (
    '"claude-3-5-sonnet*" = "claude-3-5-haiku-latest"\n',
    '"claude-3-5-sonnet*" = "claude-3-5-haiku-latest"\n'
    '"gpt-4o-mini" = "llama-3.1-70b"\n"claude-3-5-haiku*" = "llama-3.1-70b"\n',
)
