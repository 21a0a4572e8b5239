"""Status polls against the job API from many concurrent pollers, on one event loop.

Two measurements, both printed by bench/load:

- paced: each poller sends a request every `1 / rate` seconds (open loop), so the API
  is offered `pollers × rate` requests/s whatever its speed. Latency is taken from the
  moment a request was due, not sent: a stalled API shows as latency instead of hiding
  behind pollers that slow down with it (coordinated omission).
- saturated: each poller sends its next request as soon as the last one answered
  (closed loop): the most the API serves. With N pollers, latency ≈ N / throughput.

Pollers are users reading their own jobs (bearer tokens, as the web app would), one
HTTP/1.1 keep-alive connection each, on one event loop with a minimal HTTP client:
threads with httpx cost the 2-core machine more CPU than the API they measure.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench.server_timing import PartTimes


@dataclass
class PollTally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    parts: PartTimes = field(default_factory=PartTimes)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


class _Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough for GET + JSON answers.

    A load generator must cost far less than what it loads: httpx spends ~1 ms of
    CPU per request in this process, on the same two cores as the API it measures.
    """

    def __init__(self, api_url: str, token: str) -> None:
        url = httpx.URL(api_url)
        self.host, self.port = url.host, url.port or 80
        self.head = f"Host: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> tuple[int, str | None]:
        """The status code and `Server-Timing` of GET `path`; the body is dropped."""
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(f"GET {path} HTTP/1.1\r\n{self.head}\r\n".encode())
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            timing = None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"server-timing":
                    timing = value.decode().strip()
            await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            self.close()
            raise
        return int(head.split(b" ", 2)[1]), timing

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def _poller(
    api_url: str,
    token: str,
    job_ids: list[str],
    tally: PollTally,
    stop: float,
    interval: float | None,
    seed: int,
) -> None:
    rng = random.Random(seed)  # which job to read; not crypto
    connection = _Connection(api_url, token)
    due = time.monotonic() + rng.random() * (interval or 0)  # spread the first ones
    try:
        while due < stop:
            if interval is not None:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            else:
                due = time.monotonic()
            timing = None
            try:
                status, timing = await asyncio.wait_for(
                    connection.get(f"/api/jobs/{rng.choice(job_ids)}/status"), timeout=30
                )
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                connection.close()
                status = 599  # no answer at all
            latency = time.monotonic() - due
            tally.latencies.append(latency)
            tally.parts.add(timing, latency)
            tally.statuses[status] += 1
            if interval is not None:
                due += interval
    finally:
        connection.close()


async def _poll(
    api_url: str,
    owners: list[tuple[str, list[str]]],
    pollers: int,
    seconds: float,
    interval: float | None,
) -> PollTally:
    tally = PollTally()
    started = time.monotonic()
    stop = started + seconds
    await asyncio.gather(
        *(
            _poller(api_url, *owners[n % len(owners)], tally, stop, interval, seed=n)
            for n in range(pollers)
        )
    )
    tally.seconds = time.monotonic() - started
    return tally


def paced(
    api_url: str,
    owners: list[tuple[str, list[str]]],
    *,
    pollers: int,
    rate: float,
    seconds: float,
) -> PollTally:
    """`pollers` users each reading one of their jobs `rate` times a second."""
    return asyncio.run(_poll(api_url, owners, pollers, seconds, 1.0 / rate))


def saturated(
    api_url: str, owners: list[tuple[str, list[str]]], *, pollers: int, seconds: float
) -> PollTally:
    """`pollers` users each reading one of their jobs again as soon as it answered."""
    return asyncio.run(_poll(api_url, owners, pollers, seconds, None))
