"""``governance run`` as a real process for the tests: started with ``--port 0``, its log
(one logfmt line per event) read back to learn its address and role, its HTTP answers read."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

# How long a wait that is not itself under test may take. Generous: it costs time only when
# something is wrong, and a busy CI machine can be several times slower than a laptop.
PATIENCE = 90.0


class RunProcess:
    """One ``python -m governance run`` writing its log to ``log``."""

    command = "run"

    def __init__(self, log: Path, environ: dict[str, str], *args: str) -> None:
        self.log = log
        argv = [sys.executable, "-m", "governance", self.command, "--port", "0", "--threads", "2"]
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                [*argv, *args],
                env={**os.environ, **environ},
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        self._port: int | None = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float = PATIENCE, after: int = 0) -> re.Match[str]:
        """The first match of ``pattern`` in the log from character ``after``; the process
        must stay up meanwhile."""
        deadline = time.monotonic() + timeout
        while (found := re.compile(pattern).search(self.output(), after)) is None:
            self._alive()
            assert time.monotonic() < deadline, f"no {pattern!r} in the log:\n{self.output()}"
            time.sleep(0.05)
        return found

    def _alive(self) -> None:
        code = self.process.poll()
        assert code is None, f"exited {code}:\n{self.output()}"

    @property
    def port(self) -> int:
        if self._port is None:
            self._port = int(self.wait_for(r"serving on http://127\.0\.0\.1:(\d+)")[1])
        return self._port

    def get(self, path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def health(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.get("/healthz")[1])
        return document

    def until(self, check: Any, timeout: float = PATIENCE, every: float = 0.05) -> Any:
        """Poll ``check()`` until it returns something true; that value."""
        deadline = time.monotonic() + timeout
        while not (value := check()):
            self._alive()
            assert time.monotonic() < deadline, f"timed out:\n{self.output()}"
            time.sleep(every)
        return value

    def send(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 30.0) -> int:
        return self.process.wait(timeout=timeout)

    def __enter__(self) -> RunProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def governance(environ: dict[str, str], *args: str) -> str:
    """Run one ``python -m governance`` command (a CLI verb) to completion; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "governance", *args],
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{' '.join(args)}: exit {done.returncode}\n{done.stderr}"
    return done.stdout
