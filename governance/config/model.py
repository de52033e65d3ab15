"""The typed config (`governance.toml`, DESIGN section 5), loaded and validated once.

``load_config`` either returns a ``Config`` or raises ``ConfigError`` listing every problem of the
file, each at its key path: pydantic checks each section's shape and values, and
``config_checks`` the names that one section takes from another.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from governance.config.checks import cross_section_problems
from governance.config.errors import ConfigConflicts, problems_from
from governance.config.routing import RoutingConfig
from governance.config.values import (
    DEFAULT_THRESHOLDS,
    DEFAULT_TIERS,
    Currency,
    Duration,
    Globs,
    Level,
    Money,
    OptionValue,
    PositiveMoney,
    Rate,
    Share,
    TimeZoneName,
    resolve_sqlite_url,
)
from governance.domain import routing as routing_policy
from governance.domain.budget import allocation
from governance.domain.categorise import Match, Rule
from governance.domain.formats import FORMAT_NAMES
from governance.domain.tiers import TierMap
from governance.exceptions import ConfigError, Problem

DATABASE_URL_VARIABLE = "GOVERNANCE_DATABASE_URL"
CONFIG_PATH_VARIABLE = "GOVERNANCE_CONFIG"
CONFIG_FILE_NAME = "governance.toml"

# Formats that have no fixed schema: their columns are named in the source's `mapping`.
MAPPED_FORMATS = frozenset({"csv", "jsonl"})


class _Section(BaseModel):
    # strict: TOML's types are exact, so "8050" for a port is a mistake to report, not coerce.
    # extra="forbid": a misspelt key is reported rather than silently ignored.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class DatabaseConfig(_Section):
    """``[database]``: where the ledger lives."""

    url: str = "sqlite:///governance.db"


class BudgetConfig(_Section):
    """``[budget]``: the amount per period, its currency and time zone, and alert levels."""

    currency: Currency = "USD"
    amount: PositiveMoney
    timezone: TimeZoneName = "UTC"
    thresholds: list[Level] = Field(default_factory=lambda: list(DEFAULT_THRESHOLDS), min_length=1)

    @field_validator("thresholds")
    @classmethod
    def _increasing(cls, thresholds: list[int]) -> list[int]:
        if any(later <= earlier for earlier, later in pairwise(thresholds)):
            raise ValueError(f"must be strictly increasing, e.g. [70, 90, 100], not {thresholds}")
        return thresholds


class DowngradeStep(_Section):
    """One downgrade of a category: at ``at`` percent (on ``basis``), route ``from_`` to ``to``."""

    at: int
    basis: Literal["actual", "forecast"] = "actual"
    from_: str = Field(alias="from")
    to: str

    @field_validator("to")
    @classmethod
    def _differs(cls, to: str, info: ValidationInfo) -> str:
        if info.data.get("from_") == to:
            raise ValueError(f"is the same tier as from: '{to}'")
        return to


class CategoryConfig(_Section):
    """``[categories.NAME]``: a share of the budget and its downgrade steps."""

    share: Share
    downgrade: list[DowngradeStep] = []


class MatchConfig(_Section):
    """The conditions of a rule: each a glob or a list of globs; all given must match."""

    tag: Globs = ()
    team: Globs = ()
    project: Globs = ()
    api_key: Globs = ()
    model: Globs = ()


class RuleConfig(_Section):
    """``[[rules]]``: rows matching ``match`` belong to ``category``; the first match wins."""

    category: str
    match: MatchConfig = Field(default_factory=MatchConfig)


class PriceConfig(_Section):
    """``[prices.MODEL]``: budget currency per million tokens, for models genai-prices lacks."""

    input: Money
    output: Money
    cache_read: Money | None = None
    cache_write: Money | None = None


class SourceConfig(_Section):
    """``[[sources]]``: a file glob (``path``) or an API (``url``) read every ``every``."""

    name: str = Field(min_length=1)
    format: str
    path: str | None = None
    url: str | None = None
    api_key_env: str | None = None
    every: Duration = timedelta(minutes=5)
    mapping: dict[str, str] = Field(default_factory=dict, validate_default=True)
    options: dict[str, OptionValue] = {}

    @field_validator("format")
    @classmethod
    def _known_format(cls, name: str) -> str:
        if name not in FORMAT_NAMES:
            raise ValueError(f"unknown format '{name}' (known: {', '.join(FORMAT_NAMES)})")
        return name

    @field_validator("mapping")
    @classmethod
    def _mapped(cls, mapping: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        format_name = info.data.get("format")
        if format_name in MAPPED_FORMATS and not mapping:
            raise ValueError(f"a {format_name} source needs a mapping of its columns")
        return mapping

    @model_validator(mode="after")
    def _path_or_url(self) -> Self:
        if self.path is None and self.url is None:
            raise ValueError("needs a path or a url")
        if self.path is not None and self.url is not None:
            raise ValueError("has both a path and a url; give one")
        return self


class SlackConfig(_Section):
    """``[alerts.slack]``: where alerts go; credentials are named, never written here."""

    token_env: str | None = None
    webhook_url_env: str | None = None
    channel: str = "#llm-spend"
    channels: dict[str, str] = {}
    dashboard_url: str = "http://127.0.0.1:8050"
    api_url: str = "https://slack.com/api/"

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        if not self.token_env and not self.webhook_url_env:
            raise ValueError("needs token_env or webhook_url_env (the variable with the secret)")
        return self


class AlertsConfig(_Section):
    """``[alerts]``: the alert channels; none configured means no alerts are sent."""

    slack: SlackConfig | None = None


class ServerConfig(_Section):
    """``[server]``: the HTTP address of the dashboard and API."""

    host: str = "127.0.0.1"
    port: int = Field(default=8050, ge=1, le=65535)
    router_tokens_env: str = "GOVERNANCE_ROUTER_TOKENS"
    poll_seconds: int = Field(default=60, ge=1, le=3600)  # what /directives tells routers
    # Basic auth for the dashboard and the read API, when both variables are set.
    dashboard_user_env: str = "GOVERNANCE_DASHBOARD_USER"
    dashboard_password_hash_env: str = "GOVERNANCE_DASHBOARD_PASSWORD_HASH"


class Config(_Section):
    """The whole ``governance.toml``."""

    database: DatabaseConfig = Field(default_factory=DatabaseConfig, validate_default=True)
    budget: BudgetConfig
    categories: dict[str, CategoryConfig] = Field(min_length=1)
    tiers: dict[str, list[str]] = Field(
        default_factory=lambda: {name: list(globs) for name, globs in DEFAULT_TIERS.items()}
    )
    substitutes: dict[str, str] = {}
    rules: list[RuleConfig] = []
    prices: dict[str, PriceConfig] = {}
    fx: dict[Currency, Rate] = {}
    sources: list[SourceConfig] = []
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)

    @field_validator("database")
    @classmethod
    def _resolve_database(cls, database: DatabaseConfig, info: ValidationInfo) -> DatabaseConfig:
        # A relative SQLite path means "next to the config file", whatever the cwd.
        base_dir = (info.context or {}).get("base_dir")
        if base_dir is None:
            return database
        return database.model_copy(update={"url": resolve_sqlite_url(database.url, base_dir)})

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = cross_section_problems(self.model_dump(by_alias=True))
        if problems:
            raise ConfigConflicts(problems)
        return self

    def source_intervals(self) -> dict[str, timedelta]:
        """How often each configured source is read, by name (for the staleness rule)."""
        return {source.name: source.every for source in self.sources}

    def tier_map(self) -> TierMap:
        """The model-to-tier classifier of ``[tiers]``."""
        return TierMap.from_mapping(self.tiers)

    def category_rules(self) -> list[Rule]:
        """The ``[[rules]]`` as domain rules, in order."""
        return [
            Rule(
                category=rule.category,
                match=Match(
                    tag=rule.match.tag,
                    team=rule.match.team,
                    project=rule.match.project,
                    api_key=rule.match.api_key,
                    model=rule.match.model,
                ),
            )
            for rule in self.rules
        ]

    def policy(self) -> dict[str, Any]:
        """The routing policy routers get with the directives (``policy`` of /directives)."""
        return routing_policy.policy_json(
            self.category_rules(),
            self.tiers,
            self.substitutes,
            self.routing.heuristics("", route_down=False),
            {
                name: self.routing.heuristics(name, route_down=bool(category.downgrade))
                for name, category in self.categories.items()
            },
            self.routing.fallbacks,
        )

    def allocations(self) -> dict[str, Decimal]:
        """Each category's allocation per period, in the budget currency."""
        return {
            name: allocation(self.budget.amount, category.share)
            for name, category in self.categories.items()
        }

    def config_hash(self) -> str:
        """A sha256 (hex) of the rules evaluation depends on; the same whatever the key order.

        Where the ledger lives is not one of them, so ``[database]`` is left out.
        """
        document = self.model_dump(mode="json", by_alias=True, exclude={"database"})
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def database_url(self, environ: Mapping[str, str]) -> str:
        """The ledger's URL: ``$GOVERNANCE_DATABASE_URL`` if set, else ``[database] url``."""
        return environ.get(DATABASE_URL_VARIABLE) or self.database.url


def find_config_path(explicit: str | None, environ: Mapping[str, str], cwd: Path) -> Path:
    """The config file to use: ``--config``, else ``$GOVERNANCE_CONFIG``, else ./governance.toml.

    The path is returned whether or not the file exists; ``load_config`` reports a missing one.
    """
    chosen = explicit or environ.get(CONFIG_PATH_VARIABLE) or CONFIG_FILE_NAME
    return cwd / chosen


def load_config(path: Path) -> Config:
    """Read and validate the config at ``path``; raise ConfigError listing every problem."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problem = Problem("", f"no config at {path}; run `governance init` to write one")
        raise ConfigError(source, [problem]) from None
    except OSError as exc:
        raise ConfigError(source, [Problem("", f"cannot read {path}: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [Problem("", f"{path} is not UTF-8 text")]) from exc
    return parse_config(text, source=source, base_dir=path.parent)


NESTED_TOO_DEEP = "nested too deeply (arrays or tables hundreds of levels deep)"


def parse_config(text: str, source: str = "<string>", base_dir: Path | None = None) -> Config:
    """Validate the TOML ``text``; relative SQLite paths resolve against ``base_dir`` if given.

    Raises ConfigError naming ``source`` with every problem found.
    """
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message ends "(at line L, column C)".
        raise ConfigError(source, [Problem("", f"not valid TOML: {exc}")]) from exc
    except RecursionError as exc:  # tomllib recurses per level: arrays nested ~500 deep
        raise ConfigError(source, [Problem("", f"not valid TOML: {NESTED_TOO_DEEP}")]) from exc
    try:
        return Config.model_validate(document, context={"base_dir": base_dir})
    except RecursionError as exc:
        raise ConfigError(source, [Problem("", NESTED_TOO_DEEP)]) from exc
    except ValidationError as exc:
        problems = problems_from(exc, Config)
        # The cross-section checks ran inside validation only if every section was well formed;
        # otherwise run them on the document, so that the report is complete in one go.
        if not _has_conflicts(exc):
            problems += cross_section_problems(document)
        raise ConfigError(source, problems) from exc


def _has_conflicts(error: ValidationError) -> bool:
    return any(
        isinstance((detail.get("ctx") or {}).get("error"), ConfigConflicts)
        for detail in error.errors()
    )


def starter_config_text() -> str:
    """The commented starter ``governance.toml`` that ``governance init`` writes."""
    return resources.files("governance.config").joinpath("starter.toml").read_text(encoding="utf-8")
