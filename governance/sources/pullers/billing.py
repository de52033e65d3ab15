"""The billing APIs' pull: one window of time buckets, paged, from the last open bucket on.

Billing buckets stay open until their day closes and providers revise them after that, so the
cursor is not "the last bucket seen" but ``open_since``: the start of the earliest bucket that
was still open at the last pull. Each pull asks from there, less ``options.lookback_days``
(late revisions), to now; the ledger replaces a revised bucket (same key, new values). The
first pull starts at ``options.start`` or at the start of the current budget period.

The new cursor is committed only with the batch holding the last page: a pull that fails
half-way leaves the old one, and the next pull asks again for the same window.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from governance.exceptions import UsageError
from governance.sources import fields
from governance.sources.containers import Decoded, Item
from governance.sources.pullers.base import (
    PullContext,
    option_int,
    option_list,
    option_start,
    option_text,
    required_secret,
)
from governance.sources.pullers.http import HttpClient, RetryPolicy, pages

WIDTHS = {"1m": timedelta(minutes=1), "1h": timedelta(hours=1), "1d": timedelta(days=1)}
# Buckets per page: the most both providers allow for each width.
PAGE_LIMITS = {"1m": 1440, "1h": 168, "1d": 31}
Window = Callable[[datetime, datetime], list[tuple[str, str]]]


@dataclass(frozen=True)
class BillingApi:
    """What differs between the OpenAI and Anthropic billing endpoints."""

    headers: Callable[[str], dict[str, str]]  # the admin key -> auth headers
    window: Window  # (start, end) -> their query parameters
    group_param: str  # "group_by" or "group_by[]"
    bucket_times: tuple[str, str]  # a bucket's start and end fields
    group_by: tuple[str, ...]  # the default grouping of this endpoint


def floor_to(instant: datetime, width: timedelta) -> datetime:
    """The start of the UTC-aligned bucket of ``width`` holding ``instant``."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + (instant - epoch) // width * width


class BillingPuller:
    """Pages of one billing endpoint, each one ``Item``, and the ``open_since`` cursor."""

    def __init__(self, context: PullContext, api: BillingApi) -> None:
        source = context.source
        if source.url is None:
            raise UsageError(f"source {source.name!r} has no url to pull")
        self.stream, self.api, self.now = source.url, api, context.now
        self.width_name = option_text(source, "bucket_width", "1d")
        if self.width_name not in WIDTHS:
            raise UsageError(
                f"source {source.name!r}: options.bucket_width must be one of "
                f"{', '.join(WIDTHS)}, not {self.width_name!r}"
            )
        self.width = WIDTHS[self.width_name]
        self.lookback = timedelta(days=option_int(source, "lookback_days", 1))
        self.limit = option_int(source, "limit", PAGE_LIMITS[self.width_name], minimum=1)
        self.group_by = option_list(source, "group_by", api.group_by)
        self.first_start = option_start(source, context.period_start)
        key = required_secret(source, context.environ)
        policy = RetryPolicy(attempts=option_int(source, "attempts", 5, minimum=1))
        timeout = option_int(source, "timeout_seconds", 30, minimum=1)
        self.client = HttpClient(api.headers(key), key, context.sleep, policy, timeout)
        self._saved: dict[str, Any] = {}
        self._last_page: int | None = None
        self._open_since: datetime | None = None

    def start(self, cursor: Mapping[str, Any] | None) -> datetime:
        """Where this pull's window begins."""
        since = (cursor or {}).get("open_since")
        start = datetime.fromisoformat(since) - self.lookback if since else self.first_start
        return floor_to(min(start, self.now), self.width)

    def items(self, cursor: Mapping[str, Any] | None) -> Generator[Item, None, None]:
        """Every page of the window, in order; the last page's item carries the new cursor."""
        self._saved = dict(cursor or {})
        params = [
            *self.api.window(self.start(cursor), self.now),
            ("bucket_width", self.width_name),
            *((self.api.group_param, name) for name in self.group_by),
            ("limit", str(self.limit)),
        ]
        open_since = floor_to(self.now, self.width)
        for number, page, last in pages(self.client, self.stream, params):
            open_since = min([open_since, *self._open_starts(page)])
            if last:
                self._last_page, self._open_since = number, open_since
            yield Item(f"{self.stream} page {number}", page, number, number)

    def position(self, item: Decoded | None) -> dict[str, Any]:
        """The new cursor with the last page; before it, the cursor this pull started from."""
        if item is not None and item.line == self._last_page and self._open_since is not None:
            return {"open_since": self._open_since.isoformat()}
        return self._saved

    def _open_starts(self, page: Any) -> list[datetime]:
        data = page.get("data") if isinstance(page, dict) else None
        starts = []
        for bucket in data if isinstance(data, list) else ():
            if not isinstance(bucket, dict):
                continue
            try:
                start, end = (
                    fields.timestamp(bucket.get(name), name) for name in self.api.bucket_times
                )
            except fields.BadRecord:
                continue  # the reader quarantines the bucket; it cannot move the cursor
            if end > self.now:
                starts.append(start)
        return starts
