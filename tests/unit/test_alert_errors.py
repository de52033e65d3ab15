"""Slack's answers translated into delivery errors, and the retry schedule: pure rules."""

from __future__ import annotations

import pytest

from governance.alerts.delivery import BACKOFF_CAP, backoff
from governance.alerts.slack.errors import classify, retry_after

TOKEN = "xoxb-secret-token"


@pytest.mark.parametrize(
    ("status", "code", "permanent", "scope"),
    [
        (200, "invalid_auth", True, "channel"),
        (200, "token_revoked", True, "channel"),
        (403, "invalid_token", True, "channel"),  # a webhook's answer
        (200, "channel_not_found", True, "destination"),
        (410, "channel_is_archived", True, "destination"),
        (200, "invalid_blocks", True, "message"),
        (200, "some_new_code", True, "message"),
        (404, "", True, "channel"),  # a wrong api_url
        (500, "", False, "message"),
        (503, "service_unavailable", False, "message"),
        (200, "fatal_error", False, "message"),
        (408, "", False, "message"),
    ],
)
def test_codes_say_whether_retrying_helps(
    status: int, code: str, permanent: bool, scope: str
) -> None:
    error = classify(status, code, {}, [TOKEN])
    assert (error.permanent, error.scope) == (permanent, scope)
    assert str(status) in error.reason


def test_a_rate_limit_carries_its_retry_after() -> None:
    error = classify(429, "ratelimited", {"Retry-After": "7"}, [])
    assert not error.permanent and error.retry_after == 7.0
    assert retry_after({"retry-after": ["3"]}) == 3.0
    assert retry_after({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}) is None
    assert retry_after({}) is None


def test_only_slack_codes_are_quoted_from_an_answer() -> None:
    error = classify(502, f"<html>proxy says {TOKEN}</html>", {}, [TOKEN])
    assert str(error) == "Slack refused the message: no error code (HTTP 502)"


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    assert [backoff(n, lambda: 1.0) for n in (1, 2, 3)] == [30.0, 60.0, 120.0]
    assert [backoff(n, lambda: 0.0) for n in (1, 2, 3)] == [15.0, 30.0, 60.0]
    assert backoff(40, lambda: 1.0) == BACKOFF_CAP
