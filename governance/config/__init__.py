"""The typed config (``governance.toml``), loaded and validated once: its sections (``model``),
the checks across sections (``checks``), the problems in words with their key paths
(``errors``), the value types (``values``), ``[routing]`` (``routing``), the secrets it names
(``secrets``), and the commented starter that ``governance init`` writes (``starter.toml``)."""

from governance.config.model import (
    AlertsConfig,
    BudgetConfig,
    CategoryConfig,
    Config,
    DatabaseConfig,
    DowngradeStep,
    PriceConfig,
    ServerConfig,
    SlackConfig,
    SourceConfig,
    find_config_path,
    load_config,
    parse_config,
    starter_config_text,
)

__all__ = [
    "AlertsConfig",
    "BudgetConfig",
    "CategoryConfig",
    "Config",
    "DatabaseConfig",
    "DowngradeStep",
    "PriceConfig",
    "ServerConfig",
    "SlackConfig",
    "SourceConfig",
    "find_config_path",
    "load_config",
    "parse_config",
    "starter_config_text",
]
