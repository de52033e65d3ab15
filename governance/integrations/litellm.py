"""LiteLLM proxy callbacks: route each request by the published policy, and log what it cost.

``GovernanceRouting`` is a pre-call hook: it gives the request the category the ledger will
give it (from the virtual key's alias and team, else the request's tags, ``metadata`` and
``user``), lets ``DirectivesClient.choose()`` pick the model, offers only fallbacks that no
directive has routed away, and records the decision in ``spend_logs_metadata["governance"]``,
which reaches the logs. ``PayloadLogger`` appends every ``StandardLoggingPayload`` to a daily
JSON Lines file that a ``[[sources]]`` entry of format ``litellm`` reads: a proxy without a
database writes no spend logs of its own. One ``GovernanceRouting`` does both when it is given
a logger (the proxy loads a callbacks file once per callback it names).

LiteLLM is not a dependency of spend-governance: the classes subclass LiteLLM's
``CustomLogger`` when it is importable (inside a proxy) and plain ``object`` otherwise; this
module needs only the standard library and ``governance``'s own standard-library modules.
In the proxy's directory, ``custom_callbacks.py``::

    from governance.integrations.litellm import GovernanceRouting

    # $GOVERNANCE_URL, $GOVERNANCE_ROUTER_TOKEN; payloads to $GOVERNANCE_PAYLOAD_DIR if set
    governance = GovernanceRouting.from_environment()
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.client import DirectivesClient
from governance.domain.categorise import tags_from
from governance.sources.redact import redact_value

if TYPE_CHECKING:
    _Base = object
else:
    try:
        from litellm.integrations.custom_logger import CustomLogger as _Base
    except ImportError:  # outside a LiteLLM proxy: for tests and tools
        _Base = object

log = logging.getLogger(__name__)

# What the payload logger leaves out: prompts and completions never leave the proxy, nor do
# the caller's headers (LiteLLM copies them into requester_metadata).
PRIVATE_FIELDS = ("messages", "response")
PRIVATE_METADATA = ("requester_metadata", "requester_custom_headers")
GOVERNANCE_KEY = "governance"  # in spend_logs_metadata; not a tag of the ledger row


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def request_tags(data: Mapping[str, Any]) -> list[str]:
    """The tags LiteLLM will log for the request: its own, then the user-agent's."""
    metadata = _dict(data.get("metadata"))
    tags = metadata.get("tags") or data.get("tags") or []
    found = [str(tag) for tag in tags] if isinstance(tags, list) else []
    headers = _dict(_dict(data.get("proxy_server_request")).get("headers"))
    agent = headers.get("user-agent")
    if isinstance(agent, str) and agent:
        # As LiteLLM adds them (unless disable_add_user_agent_to_request_tags is set).
        if "/" in agent:
            found.append("User-Agent: " + agent.split("/")[0])
        found.append("User-Agent: " + agent)
    return found


def prompt_text(data: Mapping[str, Any]) -> str:
    """The request's text (messages or prompt), to be classified here and then forgotten."""
    parts: list[str] = []
    for message in data.get("messages") or []:
        content = _dict(message).get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [str(p.get("text", "")) for p in content if isinstance(p, dict)]
    prompt = data.get("prompt")
    if isinstance(prompt, str):
        parts.append(prompt)
    elif isinstance(prompt, list):
        parts += [p for p in prompt if isinstance(p, str)]
    return "\n".join(parts)


class GovernanceRouting(_Base):
    """The pre-call hook: categorise, choose, record. Fails open: on any error the request
    goes as asked."""

    def __init__(self, client: DirectivesClient, payloads: PayloadLogger | None = None) -> None:
        super().__init__()
        self.client = client
        self.payloads = payloads

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> GovernanceRouting:
        """A hook on ``$GOVERNANCE_URL`` (default ``http://127.0.0.1:8050``) with the token
        in ``$GOVERNANCE_ROUTER_TOKEN``, its directives polled in a background thread; it logs
        payloads into ``$GOVERNANCE_PAYLOAD_DIR`` when that is set."""
        client = DirectivesClient(
            environ.get("GOVERNANCE_URL", "http://127.0.0.1:8050"),
            token=environ.get("GOVERNANCE_ROUTER_TOKEN") or None,
        )
        # The first poll runs in the thread too: the proxy's start never waits on governance.
        threading.Thread(target=client.start, name="governance-start", daemon=True).start()
        directory = environ.get("GOVERNANCE_PAYLOAD_DIR")
        return cls(client, PayloadLogger(Path(directory)) if directory else None)

    async def async_log_success_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        if self.payloads is not None:
            self.payloads.write(_dict(kwargs).get("standard_logging_object"))

    async def async_log_failure_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        if self.payloads is not None:
            self.payloads.write(_dict(kwargs).get("standard_logging_object"))

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: Any
    ) -> dict[str, Any]:
        try:
            self.decide(user_api_key_dict, data)
        except Exception:  # a router must never fail a request over governance
            log.exception("governance: routing failed; the request goes as asked")
        return data

    def decide(self, key: Any, data: dict[str, Any]) -> None:
        """Route ``data`` (the request body, changed in place) for the caller ``key``."""
        model = data.get("model")
        if not isinstance(model, str) or not model:
            return
        metadata = data.setdefault("metadata", {})
        if not isinstance(metadata, dict):
            return
        labels = _dict(metadata.get("spend_logs_metadata"))
        key_team = _text(getattr(key, "team_alias", None)) or _text(getattr(key, "team_id", None))
        team = key_team or _text(metadata.get("team")) or _text(data.get("user"))
        if team and not key_team:
            labels.setdefault("team", team)  # the ledger reads it there when no key says it
        project = _text(labels.get("project")) or _text(metadata.get("project"))
        if project:
            labels.setdefault("project", project)
        api_key = _text(getattr(key, "key_alias", None)) or _text(getattr(key, "api_key", None))
        tags = request_tags(data) + _label_tags(labels)
        category = self.client.category_of(team, tags, api_key, project, model)
        task = _text(metadata.get("task")) or _tagged_task(tags)
        choice = self.client.choose(category, model, task=task, prompt=prompt_text(data))
        data["model"] = choice.model
        fallbacks = self.client.fallbacks(category, choice.model)
        if fallbacks or self.client.routes(category):
            # Set even when empty: the proxy's own fallbacks must not get round a directive.
            data["fallbacks"] = fallbacks
        labels[GOVERNANCE_KEY] = {
            "category": category,
            "requested": model,
            "model": choice.model,
            "tier": choice.tier,
            "reasons": list(choice.reasons),
            "version": self.client.version,
        }
        metadata["spend_logs_metadata"] = labels


def _label_tags(labels: Mapping[str, Any]) -> list[str]:
    # As the ledger's reader makes tags of them, the governance record aside.
    return list(tags_from({k: v for k, v in labels.items() if k != GOVERNANCE_KEY}))


def _tagged_task(tags: list[str]) -> str | None:
    return next((tag[5:] for tag in tags if tag.startswith("task:") and tag[5:]), None)


def private_removed(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``payload`` without prompts, completions, the caller's headers or anything shaped like
    a secret; LiteLLM's hash of the virtual key stays (the ledger hashes it again)."""
    kept = {k: v for k, v in payload.items() if k not in PRIVATE_FIELDS}
    metadata = {k: v for k, v in _dict(kept.get("metadata")).items() if k not in PRIVATE_METADATA}
    # LiteLLM's own values, whose names only sound secret: the key's hash, the price map entry.
    key_hash = metadata.pop("user_api_key_hash", None)
    priced = _dict(kept.pop("model_map_information", None)).get("model_map_key")
    kept["metadata"] = metadata
    clean: dict[str, Any] = redact_value(kept)
    if key_hash is not None:
        clean["metadata"]["user_api_key_hash"] = key_hash
    clean["model_map_information"] = {"model_map_key": priced}
    return clean


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PayloadLogger(_Base):
    """Appends each ``StandardLoggingPayload`` (prompts and completions left out) to
    ``DIRECTORY/litellm-YYYY-MM-DD.jsonl``, the UTC day of the request's start."""

    def __init__(self, directory: Path, clock: Callable[[], datetime] = _utc_now) -> None:
        super().__init__()
        self.directory = directory
        self.clock = clock
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> PayloadLogger:
        """A logger writing into ``$GOVERNANCE_PAYLOAD_DIR`` (default ``./litellm-payloads``)."""
        return cls(Path(environ.get("GOVERNANCE_PAYLOAD_DIR", "litellm-payloads")))

    async def async_log_success_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.write(_dict(kwargs).get("standard_logging_object"))

    async def async_log_failure_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.write(_dict(kwargs).get("standard_logging_object"))

    def write(self, payload: object) -> Path | None:
        """Append ``payload`` as one line; the file it went to (None if not a payload)."""
        if not isinstance(payload, dict):
            return None
        line = json.dumps(private_removed(payload), default=str, ensure_ascii=False) + "\n"
        started = payload.get("startTime")
        when = (
            datetime.fromtimestamp(started, UTC)
            if isinstance(started, int | float)
            else self.clock()
        )
        path = self.directory / f"litellm-{when.date().isoformat()}.jsonl"
        try:
            with self._lock:
                self.directory.mkdir(parents=True, exist_ok=True)
                # One write per whole line, appended: a reader never sees half of one.
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    os.write(fd, line.encode("utf-8"))
                finally:
                    os.close(fd)
        except OSError as exc:
            log.warning("governance: cannot append to %s: %s", path, exc)
            return None
        return path
