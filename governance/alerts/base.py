"""The alert channel port: send one message, or say why not and whether retrying can help.

Each channel (``governance.alerts.slack``) translates its client's errors into
``DeliveryError`` once, at its boundary; the outbox owns retries and their schedule.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from governance.alerts.messages import Message
from governance.exceptions import DeliveryError, DeliveryScope

__all__ = ["Channel", "DeliveryError", "DeliveryScope"]


class Channel(ABC):
    """One configured alert channel."""

    name: str = "channel"
    dashboard_url: str | None = None

    @property
    @abstractmethod
    def fingerprint(self) -> str:
        """A hash that changes whenever the channel's config or credentials change: a
        permanent error recorded under one fingerprint is retried under another."""

    @abstractmethod
    def destination(self, category: str | None) -> str:
        """Where an alert about ``category`` (None: not about one category) goes."""

    @abstractmethod
    def send(self, message: Message, destination: str, alert_id: int) -> None:
        """Post ``message`` to ``destination``; raise DeliveryError if it was not taken."""

    def targets(self, destination: str) -> tuple[str, str]:
        """The keys a permanent error blocks: the channel's and the destination's."""
        return self.name, f"{self.name}:{destination}"
