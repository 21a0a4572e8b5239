"""A throw-away `seology up` for benchmarks: temp home, free ports, clean environment.

The stack runs exactly as a user starts it (a subprocess of `python -m seology.cli up`),
so what the benchmarks measure includes every default of `seology.local.environment`.
Extra `KEY=VALUE` settings (`env=`) are passed in its environment, to compare tunings.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from seology.testing.servers import free_port

START_TIMEOUT = 240.0
#: The stack's own settings start from nothing: no Prefect or Seology variable leaks in.
OWN_PREFIXES = ("PREFECT_", "SEOLOGY_", "CRON_SECRET", "JOB_")


@dataclass(frozen=True)
class BenchStack:
    home: Path
    api_url: str
    prefect_api_url: str
    env: dict[str, str]
    #: Seconds from `seology up` to a healthy job API.
    ready_seconds: float

    def new_user(self, name: str) -> str:
        """A user's API token (the last line `seology users create` prints)."""
        result = subprocess.run(
            [sys.executable, "-m", "seology.cli", "users", "create", name],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return result.stdout.strip().splitlines()[-1]

    def client(self, token: str, **options: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=self.api_url, headers=headers, timeout=60, **options)  # type: ignore[arg-type]


@contextmanager
def local_stack(*options: str, env: dict[str, str] | None = None) -> Iterator[BenchStack]:
    """`seology up OPTIONS…` in a temp home until the block ends; the home is deleted."""
    home = Path(tempfile.mkdtemp(prefix="seology-bench-"))
    environ = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    environ.update({"SEOLOGY_HOME": str(home), **(env or {})})
    api_port, prefect_port = free_port(), free_port()
    log = (home / "up.log").open("w")
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "seology.cli", "up", "--home", str(home),
            "--api-port", str(api_port), "--prefect-port", str(prefect_port), *options,
        ],
        env=environ, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    api_url = f"http://127.0.0.1:{api_port}"
    try:
        _wait_healthy(process, api_url, home / "up.log")
        yield BenchStack(
            home=home,
            api_url=api_url,
            prefect_api_url=f"http://127.0.0.1:{prefect_port}/api",
            env=environ,
            ready_seconds=time.monotonic() - started,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def _wait_healthy(process: subprocess.Popen[bytes], api_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"seology up exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{api_url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the stack was not healthy after {START_TIMEOUT:.0f}s:\n{log.read_text()}")


def stop_on_sigterm() -> None:
    """SIGTERM (or `kill`) ends a benchmark like Ctrl-C: the stack stops, databases go.

    A benchmark started in the background ignores SIGINT, so this is how it is stopped.
    """

    def handler(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def parse_env(pairs: list[str]) -> dict[str, str]:
    """`["A=1", "B=x"]` → `{"A": "1", "B": "x"}` (the benchmarks' `--env` option)."""
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--env takes KEY=VALUE, got {pair!r}")
        parsed[key] = value
    return parsed


def percentile(values: list[float], p: float) -> float:
    """The `p`-th percentile (0–100), linear between the closest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min, {os.cpu_count()} CPUs)"
