"""Slack through slack-sdk: a bot token with ``chat.postMessage`` (a channel per category), or
an incoming webhook (its one channel).

slack-sdk's own retries are off: the outbox schedules every retry, and a retry inside the
client would hide ``Retry-After`` from it. slack-sdk gets a logger that says nothing, so that
no URL (a webhook's is its secret) or request reaches the logs; we log our own, redacted.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
from collections.abc import Mapping

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from governance.alerts.base import Channel, DeliveryError
from governance.alerts.messages import Message
from governance.alerts.slack.blocks import fallback_text, to_blocks
from governance.alerts.slack.errors import classify, unreachable
from governance.config import SlackConfig
from governance.config.secrets import read_secret

TIMEOUT_SECONDS = 10  # the outbox's claim lease must outlast one call


def _silent_logger() -> logging.Logger:
    # Not registered with logging's manager, so no configuration can turn it back on.
    logger = logging.Logger("governance.alerts.slack.sdk", level=logging.CRITICAL + 1)
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


class SlackChannel(Channel):
    """``[alerts.slack]`` with its secret read from the environment."""

    name = "slack"

    def __init__(
        self, config: SlackConfig, token: str | None, webhook_url: str | None, timeout: int
    ) -> None:
        self.config = config
        self.dashboard_url = config.dashboard_url
        self._token = token
        self._webhook_url = webhook_url
        self._timeout = timeout
        self._web: WebClient | None = None
        self._hook: WebhookClient | None = None

    def __repr__(self) -> str:  # never the secret
        return f"SlackChannel({'token' if self.uses_token else 'webhook'}, {self.config.channel})"

    @property
    def uses_token(self) -> bool:
        return self.config.token_env is not None

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self._token, self._webhook_url) if s]

    @property
    def fingerprint(self) -> str:
        # The secret's own hash is part of it: a rotated token re-enables a revoked one.
        secret = hashlib.sha256("\0".join(self.secrets).encode()).hexdigest()
        document = {"config": self.config.model_dump(mode="json"), "secret": secret}
        return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()

    def destination(self, category: str | None) -> str:
        if not self.uses_token:
            return "webhook"  # an incoming webhook posts to the channel it was made for
        return self.config.channels.get(category or "", self.config.channel)

    def send(self, message: Message, destination: str, alert_id: int) -> None:
        text, blocks = fallback_text(message), to_blocks(message)
        try:
            if self.uses_token:
                self._post(destination, text, blocks, alert_id)
            else:
                self._post_webhook(text, blocks)
        except SlackApiError as exc:
            response = exc.response
            data = response.data if isinstance(response.data, dict) else {}
            code = str(data.get("error") or "")
            raise classify(response.status_code, code, response.headers, self.secrets) from None
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out
            raise unreachable(exc, self.secrets) from None
        except SlackClientError as exc:
            raise DeliveryError(
                f"slack-sdk refused the request: {type(exc).__name__}",
                permanent=True,
                scope="channel",
            ) from None

    def _post(
        self, channel: str, text: str, blocks: list[dict[str, object]], alert_id: int
    ) -> None:
        if self._token is None:
            raise DeliveryError(
                f"${self.config.token_env} is not set", permanent=True, scope="channel"
            )
        if self._web is None:
            self._web = WebClient(
                token=self._token,
                base_url=self.config.api_url,
                timeout=self._timeout,
                retry_handlers=[],
                logger=_silent_logger(),
            )
        # The metadata names the alert, so that a later check could find a message that was
        # posted but not marked sent (the one window where a duplicate is possible).
        metadata = {"event_type": "spend_governance_alert", "event_payload": {"alert": alert_id}}
        self._web.chat_postMessage(
            channel=channel, text=text, blocks=blocks, metadata=metadata, unfurl_links=False
        )

    def _post_webhook(self, text: str, blocks: list[dict[str, object]]) -> None:
        if self._webhook_url is None:
            raise DeliveryError(
                f"${self.config.webhook_url_env} is not set", permanent=True, scope="channel"
            )
        if self._hook is None:
            self._hook = WebhookClient(
                self._webhook_url,
                timeout=self._timeout,
                retry_handlers=[],
                logger=_silent_logger(),
            )
        response = self._hook.send(text=text, blocks=blocks, unfurl_links=False)
        if response.status_code != 200:
            raise classify(response.status_code, response.body, response.headers, self.secrets)


def slack_channel(
    config: SlackConfig, environ: Mapping[str, str], timeout: int = TIMEOUT_SECONDS
) -> SlackChannel:
    """The channel of ``[alerts.slack]``; a missing secret shows when it first sends."""
    token = read_secret(config.token_env, environ) if config.token_env else None
    webhook = None
    if not config.token_env and config.webhook_url_env:
        webhook = read_secret(config.webhook_url_env, environ)
    return SlackChannel(config, token, webhook, timeout)
