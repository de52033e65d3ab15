"""A virtual environment of its own with LiteLLM's proxy, for the real-proxy test.

Installed once per machine into ``.litellm-venv/`` (``$GOVERNANCE_LITELLM_VENV`` moves it) from
``litellm-requirements.txt`` with ``--require-hashes``, and reused while it holds the pinned
version installed from those same requirements. ``python -m tests.e2e.litellm_env`` installs
it ahead of the tests (CI does, to time it apart).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).with_name("litellm-requirements.txt")
VERSION = "1.82.6"  # never 1.82.7 or 1.82.8: malicious releases
INSTALL_TIMEOUT = 900


class Unavailable(Exception):
    """LiteLLM cannot be installed here; the message says why."""


def venv_dir() -> Path:
    return Path(os.environ.get("GOVERNANCE_LITELLM_VENV", ROOT / ".litellm-venv"))


def _stamp() -> str:
    # Reuse is keyed on the exact requirements: a regenerated file reinstalls.
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _installed(venv: Path) -> bool:
    stamp = venv / ".governance-requirements"
    if not _python(venv).exists() or not stamp.exists() or stamp.read_text() != _stamp():
        return False
    check = [
        str(_python(venv)),
        "-c",
        "import importlib.metadata as m; print(m.version('litellm'))",
    ]
    found = subprocess.run(check, capture_output=True, text=True, timeout=60)
    return found.returncode == 0 and found.stdout.strip() == VERSION


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"{command[0]} failed: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise Unavailable(f"{' '.join(command[:4])}… failed: {' / '.join(tail)}")


def _install(venv: Path) -> None:
    shutil.rmtree(venv, ignore_errors=True)
    _run([sys.executable, "-m", "venv", str(venv)])
    uv = ROOT / ".uv" / "bin" / "uv"
    if uv.exists():  # uv installs the same hashed set several times faster than pip
        _run([str(uv), "pip", "install", "--python", str(_python(venv)), "--require-hashes",
              "--no-deps", "-r", str(REQUIREMENTS)])  # fmt: skip
    else:
        _run([str(_python(venv)), "-m", "pip", "install", "--quiet", "--require-hashes",
              "--no-deps", "-r", str(REQUIREMENTS)])  # fmt: skip
    (venv / ".governance-requirements").write_text(_stamp())


def ensure() -> tuple[Path, float]:
    """The venv's python and the seconds spent installing (0 when reused); Unavailable if
    it cannot be installed. Concurrent callers wait for one install."""
    venv = venv_dir()
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / ".litellm-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed(venv):
            return _python(venv), 0.0
        started = time.monotonic()
        _install(venv)
        if not _installed(venv):
            raise Unavailable(f"litellm {VERSION} is not importable in {venv} after installing")
        return _python(venv), time.monotonic() - started


if __name__ == "__main__":
    python, seconds = ensure()
    print(f"litellm {VERSION} in {python.parent.parent} ({seconds:.1f} s installing)")
