"""An application wired to the ledger of the current parametrisation (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from governance.config import parse_config, starter_config_text
from governance.context import Governance

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
AppFactory = Callable[..., Governance]


@pytest.fixture
def make_app(ledger_engine: Engine, tmp_path: Path) -> AppFactory:
    """``make_app(extra_toml="")``: the starter config plus ``extra_toml``, on this ledger."""

    def build(extra_toml: str = "", replace: tuple[str, str] | None = None) -> Governance:
        text = starter_config_text()
        if replace is not None:
            text = text.replace(*replace)
        config = parse_config(text + "\n" + extra_toml, "test.toml", tmp_path)
        return Governance(config, tmp_path / "governance.toml", {}, lambda: NOW, ledger_engine)

    return build
