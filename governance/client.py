"""A client for routers: polls ``GET /directives`` and says which model to call instead.

Standard library only (with ``governance.domain``, which is too), so that a router imports it
without spend-governance's dependencies::

    client = DirectivesClient("http://governance:8050", token=os.environ["GOVERNANCE_TOKEN"])
    client.start()                                   # polls every poll_seconds in a thread
    model = client.route("batch", "openai/gpt-4o")   # "openai/gpt-4o-mini" under a downgrade
    category = client.category_of(team="data-eng")   # "batch": as the ledger will decide
    choice = client.choose(category, "gpt-4o", task="classification")  # model, tier, reasons

Routers fail open (DESIGN section 7): when the server cannot be reached, the last directives
stay in force until each one's ``expires_at``; after that, nothing is rerouted.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any, NamedTuple

from governance.domain.routing import Policy

log = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 60.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Choice(NamedTuple):
    """The model ``choose()`` picked, its tier, and why, in words."""

    model: str
    tier: str
    reasons: tuple[str, ...]


class DirectivesClient:
    """The directives of one governance server, kept current by ``poll()`` or ``start()``."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = 5.0,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        base = url.rstrip("/")
        self.url = base if base.endswith("/directives") else base + "/directives"
        self.token = token
        self.timeout = timeout
        self.clock = clock
        self.last_error: str | None = None
        self._document: dict[str, Any] | None = None
        self._policy = Policy({})
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def version(self) -> str | None:
        """The version of the directives held, or None before the first successful poll."""
        document = self._document
        return None if document is None else str(document["version"])

    def poll(self) -> bool:
        """Fetch the directives unless unchanged (``If-None-Match``); True when new ones came.

        Never raises: on any error the directives held stay (``last_error`` says why)."""
        request = urllib.request.Request(self.url, headers={"Accept": "application/json"})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        current = self.version
        if current is not None:
            request.add_header("If-None-Match", f'"{current}"')
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                document = json.loads(response.read())
            if not isinstance(document, dict) or not isinstance(document.get("version"), str):
                raise ValueError("not a directives document")
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                self.last_error = None
                return False
            return self._failed(f"HTTP {exc.code} from {self.url}")
        except (OSError, ValueError) as exc:  # unreachable, timed out, or not JSON
            return self._failed(f"{type(exc).__name__}: {exc}")
        self.load(document)
        self.last_error = None
        return bool(document["version"] != current)

    def load(self, document: dict[str, Any]) -> None:
        """Hold ``document`` (a ``/directives`` body) as if polled: a copy a router saved."""
        policy = Policy(document.get("policy") or {})
        # Swapped one by one, the document last: a reader may pair the new policy with the old
        # directives for an instant, never a half-read policy.
        self._policy, self._document = policy, document

    def _failed(self, reason: str) -> bool:
        if reason != self.last_error:
            log.warning("directives: %s; keeping the last directives until they expire", reason)
        self.last_error = reason
        return False

    def directives(self, category: str | None = None) -> list[dict[str, Any]]:
        """The directives in force now (expired ones dropped), of ``category`` if given."""
        document = self._document
        if document is None:
            return []
        now = self.clock()
        return [
            d
            for d in document.get("directives", [])
            if (category is None or d.get("category") == category)
            and _instant(d["expires_at"]) > now
        ]

    def routes(self, category: str) -> dict[str, str]:
        """The category's tier routes (``{"premium": "economy"}``) of the directives in force."""
        document = self._document or {}
        every = [d for d in document.get("directives", []) if d.get("category") == category]
        in_force = self.directives(category)
        if len(in_force) == len(every):  # none expired: the server's composed routes
            return dict(document.get("routes", {}).get(category, {}))
        return _compose({d["from_tier"]: d["to_tier"] for d in in_force})

    def route(self, category: str, model: str) -> str:
        """The model to call instead of ``model`` for a request of ``category``.

        Follows the substitutes of the category's directives whose tier is routed down
        (``gpt-4o`` -> ``gpt-4o-mini`` -> ``llama-3.1-70b``) until none applies; a model with
        no substitute stays. Keys are globs on the model without its provider prefix; the
        prefix is kept unless the substitute names its own (``hosted_vllm/llama-3.1-70b``).
        """
        routed = self.routes(category)
        steps = [d for d in self.directives(category) if d.get("from_tier") in routed]
        prefix, _, name = model.rpartition("/")
        current, seen = name, {name.lower()}
        # A model already passed through is no way on ("gpt-4o*" also matches gpt-4o-mini):
        # skipping it guards cycles too.
        while (following := _substitute(current, steps, seen)) is not None:
            next_prefix, _, current = following.rpartition("/")
            prefix = next_prefix or prefix
            seen.add(current.lower())
        if current == name:
            return model
        return f"{prefix}/{current}" if prefix else current

    def category_of(
        self,
        team: str | None = None,
        tags: object = (),
        api_key: str | None = None,
        project: str | None = None,
        model: str | None = None,
    ) -> str:
        """The category the ledger will give this request: the published ``[[rules]]``
        (``uncategorised`` before the first poll). ``tags`` as a list, or a dict of labels."""
        return self._policy.category_of(team, tags, api_key, project, model)

    def choose(
        self,
        category: str,
        model: str,
        task: str | None = None,
        prompt: str | None = None,
        context_tokens: int | None = None,
    ) -> Choice:
        """The model to call for a request of ``category`` asking for ``model``: the routing
        policy's task, complexity and context heuristics, then the budget directives on top.

        ``prompt`` is only read here, for its complexity words and length; it is kept nowhere.
        """
        policy = self._policy
        moved = policy.heuristic(category, model, task, prompt, context_tokens)
        reasons = list(moved.reasons)
        routed = self.route(category, moved.model)
        if routed != moved.model:
            tier = policy.tiers.tier_of(moved.model)
            steps = {d["from_tier"]: d for d in self.directives(category)}
            held, at = [], tier
            while at in steps and steps[at]["id"] not in held:  # the steps the route took
                held.append(steps[at]["id"])
                at = steps[at]["to_tier"]
            where = self.routes(category).get(tier, tier)
            reasons.append(f"{category}: {tier} routed to {where} ({', '.join(held)})")
        tier = policy.tiers.tier_of(routed)
        return Choice(routed, tier, tuple(reasons) or (f"{model} as asked",))

    def fallbacks(self, category: str, model: str) -> list[str]:
        """The policy's fallback chain of ``model`` without any model of a tier that a
        directive of ``category`` in force routes away: a fallback never gets round a budget."""
        routed = self.routes(category)
        tiers = self._policy.tiers
        return [m for m in self._policy.fallbacks(model) if tiers.tier_of(m) not in routed]

    def start(self, interval: float | None = None) -> None:
        """Poll now, then in a background thread every ``interval`` seconds (default: the
        server's ``poll_seconds``)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self.poll()
        self._thread = threading.Thread(
            target=self._run, args=(interval,), name="directives-client", daemon=True
        )
        self._thread.start()

    def _run(self, interval: float | None) -> None:
        while not self._stop.wait(interval or self._server_interval()):
            try:
                self.poll()
            except Exception:  # a router's thread must never die of a bad answer
                log.exception("directives: poll failed")

    def _server_interval(self) -> float:
        document = self._document or {}
        seconds = document.get("poll_seconds")
        if isinstance(seconds, int | float) and seconds > 0:
            return float(seconds)
        return DEFAULT_POLL_SECONDS

    def stop(self) -> None:
        """Stop the background polling (the directives held stay)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None


def _substitute(name: str, steps: list[dict[str, Any]], seen: set[str]) -> str | None:
    """The first substitute of ``name`` in ``steps`` that leads somewhere not yet ``seen``."""
    lowered = name.lower()
    for directive in steps:
        for pattern, target in (directive.get("substitutes") or {}).items():
            leads_on = str(target).rpartition("/")[2].lower() not in seen
            if leads_on and fnmatchcase(lowered, pattern.lower()):
                return str(target)
    return None


def _compose(edges: dict[str, str]) -> dict[str, str]:
    # As the server composes them: premium->standard and standard->economy give
    # premium->economy; a cycle stops where it closes.
    routes = {}
    for start in edges:
        tier, seen = start, {start}
        while tier in edges and edges[tier] not in seen:
            tier = edges[tier]
            seen.add(tier)
        routes[start] = tier
    return routes
