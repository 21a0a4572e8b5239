"""Where the job API's answers spent their time, from their `Server-Timing` headers.

`outside app` is what the client measured minus the app's own `app` time: the wait
before the app saw the request (accept queue, a busy event loop, thread start-up) and
the wire. Paced clients count from when a request was due, so it includes their own lag.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bench.latency.stack import percentile
from seology.api.timing import parse_header

OUTSIDE_APP = "outside app"


@dataclass
class PartTimes:
    """Seconds by part over many responses (thread-safe appends)."""

    parts: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, header: str | None, client_seconds: float) -> None:
        if not header:
            return
        parsed = parse_header(header)
        if "app" in parsed:
            parsed[OUTSIDE_APP] = max(0.0, client_seconds - parsed["app"])
        with self.lock:
            for name, seconds in parsed.items():
                self.parts.setdefault(name, []).append(seconds)

    def lines(self, indent: str = "  ") -> list[str]:
        """One line a part: p50 / p95 / p99 / max in milliseconds and how many answers."""
        out = []
        for name, values in self.parts.items():
            p50, p95, p99 = (percentile(values, p) * 1000 for p in (50, 95, 99))
            out.append(
                f"{indent}{name:<28} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                f"p99 {p99:7.1f} ms  max {max(values) * 1000:7.1f} ms  ({len(values)})"
            )
        return out
