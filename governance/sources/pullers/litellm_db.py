"""LiteLLM's PostgreSQL database: new ``LiteLLM_SpendLogs`` rows, read incrementally.

Rows are read in ``("startTime", request_id)`` order with keyset pagination (LiteLLM indexes
exactly that pair), a page being the ingestor's batch size. LiteLLM writes spend logs in
batches, so a row can appear after later-starting rows were read: each pull starts again from
the cursor's ``startTime`` less ``options.overlap_seconds`` (default 300), and the ledger's unique
``(source, request_id)`` drops what it already holds. The first pull starts at ``options.start``
or at the current budget period's start.

``spend`` is float8 in LiteLLM's schema; it is selected as text, which PostgreSQL writes as the
shortest exact form of the double, and read with Decimal: never through a Python float. JSON
columns are read as text too and decoded with Decimal numbers. Prompts and answers
(``messages``, ``response``, ``proxy_server_request``) are never read.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, RowMapping
from sqlalchemy.exc import DBAPIError, OperationalError

from governance.exceptions import SourceUnavailable, UsageError
from governance.ledger.engine import make_engine, normalise_url
from governance.sources.containers import Decoded, Item, decode_json
from governance.sources.pullers.base import PullContext, option_int, option_start, required_secret

TABLE = "LiteLLM_SpendLogs"
_REQUIRED = ("request_id", "spend", "startTime")
# What the litellm reader uses, plus cheap context for the quarantine; absent ones are skipped
# (older LiteLLM versions lack some of them).
_OPTIONAL = (
    *("call_type", "api_key", "total_tokens", "prompt_tokens", "completion_tokens"),
    *("endTime", "completionStartTime", "model", "model_id", "model_group"),
    *("custom_llm_provider", "api_base", "user", "metadata", "cache_hit", "cache_key"),
    *("request_tags", "team_id", "organization_id", "end_user", "session_id", "status"),
)
_AS_TEXT = frozenset({"spend", "metadata", "request_tags"})
_JSON = frozenset({"metadata", "request_tags"})
_CONNECT_TIMEOUT_SECONDS = "10"


def _naive_utc(instant: datetime) -> datetime:
    # LiteLLM stores UTC in TIMESTAMP(3) columns without a time zone.
    return instant.astimezone(UTC).replace(tzinfo=None)


class LiteLLMDbPuller:
    """Spend log rows of one LiteLLM database, each one ``Item``."""

    def __init__(self, context: PullContext) -> None:
        source = context.source
        url = normalise_url(source.url or "")
        if url.get_backend_name() != "postgresql":
            raise UsageError(f"source {source.name!r}: litellm-db reads a postgresql:// url")
        if source.api_key_env:  # the password, kept out of the config file
            url = url.set(password=required_secret(source, context.environ))
        self.stream = url.render_as_string(hide_password=True)
        if "connect_timeout" not in url.query:
            url = url.update_query_dict({"connect_timeout": _CONNECT_TIMEOUT_SECONDS})
        self._url = url.render_as_string(hide_password=False)
        self.overlap = timedelta(seconds=option_int(source, "overlap_seconds", 300))
        self.first_start = option_start(source, context.period_start)
        self.page_size = context.batch_size
        self._saved: dict[str, Any] = {}

    def items(self, cursor: Mapping[str, Any] | None) -> Generator[Item, None, None]:
        """Rows from the cursor's ``startTime`` less the overlap on, in key order."""
        self._saved = dict(cursor or {})
        since = self._saved.get("start_time")
        start = (
            datetime.fromisoformat(since) - self.overlap if since else _naive_utc(self.first_start)
        )
        engine = make_engine(self._url)
        try:
            columns = self._columns(engine)
            after: tuple[datetime, str] | None = None
            while True:
                rows = self._page(engine, columns, start, after)
                for row in rows:
                    yield self._item(row)
                if len(rows) < self.page_size:
                    return
                after = (rows[-1]["startTime"], rows[-1]["request_id"])
        finally:
            engine.dispose()

    def position(self, item: Decoded | None) -> dict[str, Any]:
        """The last row written, never behind the saved cursor (overlapping rows come first)."""
        if not isinstance(item, Item):
            return self._saved
        mine = (datetime.fromisoformat(item.value["startTime"]), str(item.value["request_id"]))
        if "start_time" in self._saved:
            saved = (datetime.fromisoformat(self._saved["start_time"]), self._saved["request_id"])
            mine = max(mine, saved)
        return {"start_time": mine[0].isoformat(), "request_id": mine[1]}

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise SourceUnavailable(f"cannot read {self.stream}: {reason}") from exc
        except DBAPIError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise UsageError(f"cannot read {TABLE} at {self.stream}: {reason}") from exc

    def _columns(self, engine: Engine) -> list[str]:
        query = text(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = :table AND table_schema = ANY(current_schemas(false))"
        )
        with self._reading(), engine.connect() as conn:
            present = set(conn.execute(query, {"table": TABLE}).scalars())
        missing = [name for name in _REQUIRED if name not in present]
        if missing:
            what = f"no {TABLE} table" if not present else f"{TABLE} lacks {', '.join(missing)}"
            raise UsageError(f"{self.stream} has {what}")
        return [*_REQUIRED, *(name for name in _OPTIONAL if name in present)]

    def _page(
        self,
        engine: Engine,
        columns: list[str],
        start: datetime,
        after: tuple[datetime, str] | None,
    ) -> list[RowMapping]:
        # Identifiers come from the fixed lists above, never from input.
        selected = ", ".join(
            f'"{name}"::text AS "{name}"' if name in _AS_TEXT else f'"{name}"' for name in columns
        )
        keyset = ' AND ("startTime", request_id) > (:after_time, :after_id)' if after else ""
        query = text(
            f'SELECT {selected} FROM "{TABLE}" WHERE "startTime" >= :start{keyset}'
            ' ORDER BY "startTime", request_id LIMIT :limit'
        )
        params: dict[str, Any] = {"start": start, "limit": self.page_size}
        if after:
            params.update(after_time=after[0], after_id=after[1])
        with self._reading(), engine.connect() as conn:
            # Any value above 0 makes float8's text its shortest exact form (PostgreSQL 12+);
            # a server configured with 0 or less would round it to 15 digits.
            conn.execute(text("SET extra_float_digits = 1"))
            return list(conn.execute(query, params).mappings())

    def _item(self, row: RowMapping) -> Item:
        value: dict[str, Any] = {}
        for name, cell in row.items():
            if isinstance(cell, datetime):
                cell = cell.isoformat()  # naive: the litellm reader takes it as UTC
            elif name in _JSON and isinstance(cell, str):
                with suppress(ValueError):  # else kept as text; the reader copes with either
                    cell = decode_json(cell)
            value[name] = cell
        return Item(f"{self.stream} {TABLE} request_id={row['request_id']}", value, 0, 0)
