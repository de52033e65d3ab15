"""The load of bench/soak.py: a gateway appending LiteLLM SpendLogs rows to its log files at a
steady rate, and routers polling ``GET /directives`` at a steady rate. Each runs in a thread of
its own and counts what it did, for the sampler to read."""

from __future__ import annotations

import asyncio
import bisect
import random
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import msgspec

from governance.demo.catalogue import MODELS
from governance.demo.company import WORKLOADS
from governance.demo.litellm_out import spend_log
from governance.demo.scenario import Request

TICK = 0.1  # seconds between writes (and between pacing checks)
ROTATE = 60.0  # a new log file every minute, as a gateway's rotation would
TIMEOUT = 5.0  # a poll slower than this is an error


def request(i: int, rng: random.Random) -> Request:
    """Request ``i``, made now: the demo company's teams and models, a small cost."""
    workload = WORKLOADS[i % len(WORKLOADS)]
    use = workload.mix[(i // len(WORKLOADS)) % len(workload.mix)]
    spend = Decimal(rng.randrange(1, 10**6)) / 10**9
    tokens_in, tokens_out = rng.randrange(200, 8000), rng.randrange(20, 1200)
    return Request(f"soak-{i:010d}", datetime.now(UTC), 0.8, 0.2, workload, MODELS[use.model],
                   i % 7, tokens_in, 0, 0, tokens_out, 0, spend, spend)  # fmt: skip


class Gateway(threading.Thread):
    """Appends ``rate`` rows a second to ``folder/gateway-NNN.jsonl`` until ``stop``."""

    def __init__(self, folder: Path, rate: int) -> None:
        super().__init__(name="gateway", daemon=True)
        self.folder, self.rate = folder, rate
        self.written = 0
        self.stop = threading.Event()
        self._times: list[float] = []  # when each write ended (monotonic)
        self._counts: list[int] = []  # rows written by then

    def run(self) -> None:
        rng, encode = random.Random(1), msgspec.json.Encoder().encode
        started = time.monotonic()
        while not self.stop.wait(TICK):
            elapsed = time.monotonic() - started
            due = int(elapsed * self.rate) - self.written
            path = self.folder / f"gateway-{int(elapsed // ROTATE):03d}.jsonl"
            lines = [encode(spend_log(request(self.written + k, rng))) for k in range(due)]
            with path.open("ab") as log:
                log.write(b"".join(line + b"\n" for line in lines))
            self.written += due
            self._times.append(time.monotonic())
            self._counts.append(self.written)

    def waiting_since(self, ingested: int) -> float | None:
        """When the oldest row not yet in the ledger (row ``ingested + 1``) was written; None
        when every row written is in."""
        at = bisect.bisect_right(self._counts, ingested)
        return self._times[at] if at < len(self._times) else None


class Poller(threading.Thread):
    """Asks ``GET /directives`` ``rate`` times a second over a few keep-alive connections."""

    def __init__(self, host: str, port: int, rate: int, connections: int = 8) -> None:
        super().__init__(name="poller", daemon=True)
        self.host, self.port, self.rate, self.connections = host, port, rate, connections
        self.answered = 0
        self.errors: list[str] = []
        self.latencies: list[float] = []
        self.stop = threading.Event()
        self._next = 0

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        started = time.monotonic()
        await asyncio.gather(*(self._connection(started) for _ in range(self.connections)))

    async def _connection(self, started: float) -> None:
        request = f"GET /directives HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode()
        stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while not self.stop.is_set():
            slot, self._next = self._next, self._next + 1  # one event loop: no race
            await asyncio.sleep(max(0.0, started + slot / self.rate - time.monotonic()))
            began = time.monotonic()
            try:
                stream = stream or await asyncio.open_connection(self.host, self.port)
                await asyncio.wait_for(_exchange(*stream, request), TIMEOUT)
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                if stream is not None:
                    stream[1].close()
                stream = None
                continue
            self.answered += 1
            self.latencies.append(time.monotonic() - began)
        if stream is not None:
            stream[1].close()


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> None:
    """One request on a keep-alive connection; ValueError unless 200 or 304."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    length = next((line.split(b":", 1)[1] for line in head.lower().split(b"\r\n")
                   if line.startswith(b"content-length:")), b"0")  # fmt: skip
    await reader.readexactly(int(length))
    if status not in (b"200", b"304"):
        raise ValueError(f"HTTP {status.decode()}")
