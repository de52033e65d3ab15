"""What a puller is given and what it provides, and the reading of a source's ``options``.

A puller turns one configured source (an API or a database) into ``Item``s for the ingestor,
and tells it the cursor to save after each batch: ``position(last item of the batch)``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from governance.config import SourceConfig
from governance.config.secrets import read_secret
from governance.exceptions import UsageError
from governance.sources.containers import Decoded, Item


@dataclass(frozen=True)
class PullContext:
    """One pull of one source: its config, the environment and one reading of the clock."""

    source: SourceConfig
    environ: Mapping[str, str]
    now: datetime  # aware UTC
    period_start: datetime  # where a first pull starts unless ``options.start`` says otherwise
    batch_size: int
    sleep: Callable[[float], None]


class Puller(Protocol):
    """Items of one source from its saved cursor on, and the cursor each batch commits."""

    @property
    def stream(self) -> str:
        """What the cursor is saved under: the API's url, or the database url sans password."""
        ...

    def items(self, cursor: Mapping[str, Any] | None) -> Generator[Item, None, None]:
        """The items from ``cursor`` on (a generator, closed if the pull stops early)."""
        ...

    def position(self, item: Decoded | None) -> dict[str, Any]: ...


PullerFactory = Callable[[PullContext], Puller]


def _where(source: SourceConfig, name: str) -> str:
    return f"source {source.name!r}: options.{name}"


def option_int(source: SourceConfig, name: str, default: int, minimum: int = 0) -> int:
    """``options[name]`` as a whole number of at least ``minimum``."""
    value = source.options.get(name, default)
    try:
        number = int(value) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise UsageError(f"{_where(source, name)} must be a whole number >= {minimum}: {value!r}")
    return number


def option_text(source: SourceConfig, name: str, default: str) -> str:
    value = source.options.get(name, default)
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{_where(source, name)} must be a non-empty string: {value!r}")
    return value.strip()


def option_list(source: SourceConfig, name: str, default: tuple[str, ...]) -> list[str]:
    """A comma-separated ``options[name]`` (options are scalars), or ``default``."""
    if name not in source.options:
        return list(default)
    return [part.strip() for part in option_text(source, name, "").split(",") if part.strip()]


def option_start(source: SourceConfig, default: datetime) -> datetime:
    """``options.start`` (an ISO date or time; naive means UTC), or ``default``."""
    if "start" not in source.options:
        return default
    text = option_text(source, "start", "")
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{_where(source, 'start')} is not an ISO date: {text!r}") from None
    return start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)


def required_secret(source: SourceConfig, environ: Mapping[str, str]) -> str:
    """The secret named by the source's ``api_key_env``; the message names the variable only."""
    if not source.api_key_env:
        raise UsageError(f"source {source.name!r} needs api_key_env (the variable with its key)")
    secret = read_secret(source.api_key_env, environ)
    if secret is None:
        raise UsageError(
            f"source {source.name!r}: set {source.api_key_env} (or {source.api_key_env}_FILE)"
        )
    return secret
