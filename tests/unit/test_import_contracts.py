"""The import contracts in pyproject.toml hold today and fail when one of the imports that the
layout work removed is put back: checked by lint-imports on a copy of the code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")

# Imports the old layout had, each against one contract.
PUT_BACK = {
    # storage reaching into HTTP for the staleness rule
    "governance/ledger/read_models/sources.py": "import governance.api.health",
    # an adapter taking the context from the composition root
    "dashboard/context.py": "import governance.bootstrap",
    # the alerts and the evaluation importing each other
    "governance/alerts/enqueue.py": "import governance.services.evaluate",
    # the domain reaching for the ledger
    "governance/domain/money.py": "import governance.ledger.tables",
}
BROKEN = [
    "Storage never imports HTTP, the dashboard, the CLI, the daemon or the readers BROKEN",
    "Nothing imports the composition root but the entry points BROKEN",
    "No import cycle between the siblings of any package BROKEN",
    "The domain imports nothing of the project BROKEN",
]


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree, env=environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_contracts_hold_and_fail_when_an_old_import_is_put_back(tmp_path: Path) -> None:
    for name in ("governance", "dashboard"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    kept = _lint(tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    for path, line in PUT_BACK.items():
        with (tmp_path / path).open("a", encoding="utf-8") as code:
            code.write(f"\n{line}  # noqa\n")
    broken = _lint(tmp_path)
    assert broken.returncode != 0
    flat = " ".join(broken.stdout.split())
    for contract in BROKEN:
        assert contract in flat, broken.stdout
