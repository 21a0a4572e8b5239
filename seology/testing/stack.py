"""`seology up` in a subprocess, in a home of its own, on free ports: for e2e tests and benchmarks.

    with seology_up(home, env, "--workers", "2", kind=RunningStack,
                    start_timeout=180, stop_timeout=60) as stack:
        httpx.get(f"{stack.api_url}/api/health")

The e2e tests and the benchmarks both need the whole system as a user starts it, and both
must know when its job API answers (again, after a fault) and stop it cleanly afterwards.
Three copies of that code had begun to drift apart; this module is the one way, and each
caller keeps only what differs: its timeouts, its environment, its own methods on a
subclass of `RunningStack`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from seology.testing.servers import free_port

#: Settings the stack must not inherit from the calling process.
OWN_PREFIXES = ("PREFECT_", "SEOLOGY_", "CRON_SECRET", "JOB_")


class StackFailed(RuntimeError):
    """`seology up` exited, or its job API did not answer healthy in time."""


@dataclass(frozen=True, kw_only=True)
class RunningStack:
    """A `seology up` started by `seology_up`: where it lives and how to reach it."""

    home: Path
    api_url: str
    prefect_api_url: str
    #: The environment `seology up` runs with (for CLI commands against the same home).
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    #: Seconds from starting `seology up` to a healthy job API.
    ready_seconds: float
    #: The job API's own Prefect API server (started with `--redis` only).
    lane_api_url: str

    @property
    def log_path(self) -> Path:
        """Where `seology up` writes its output (stdout and stderr)."""
        return self.home / "up.log"

    def wait_healthy(self, timeout: float, *, request_timeout: float = 2.0) -> float:
        """Until the job API answers healthy again (after a fault); the seconds it took."""
        return _wait_healthy(
            self.process,
            self.api_url,
            self.log_path,
            timeout=timeout,
            request_timeout=request_timeout,
        )


StackT = TypeVar("StackT", bound=RunningStack)


def clean_environment() -> dict[str, str]:
    """This process's environment without any Prefect or Seology configuration."""
    return {key: value for key, value in os.environ.items() if not key.startswith(OWN_PREFIXES)}


@contextmanager
def seology_up(
    home: Path,
    env: dict[str, str],
    *options: str,
    kind: type[StackT],
    start_timeout: float,
    stop_timeout: float,
) -> Iterator[StackT]:
    """`seology up --home HOME OPTIONS…` with `env`, healthy, until the block ends.

    Yields a `kind`: `RunningStack`, or a subclass with the caller's own methods.
    The output goes to `HOME/up.log`. Raises `StackFailed` (with the log) if `seology up`
    exits or its job API is not healthy within `start_timeout` seconds. At the end:
    SIGTERM, `stop_timeout` seconds to stop, then SIGKILL.
    """
    api_port, prefect_port, lane_port = free_port(), free_port(), free_port()
    with (home / "up.log").open("w") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            [
                sys.executable, "-m", "seology.cli", "up", "--home", str(home),
                "--api-port", str(api_port), "--prefect-port", str(prefect_port),
                "--lane-port", str(lane_port), *options,
            ],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    api_url = f"http://127.0.0.1:{api_port}"
    try:
        _wait_healthy(process, api_url, home / "up.log", timeout=start_timeout)
        yield kind(
            home=home,
            api_url=api_url,
            prefect_api_url=f"http://127.0.0.1:{prefect_port}/api",
            lane_api_url=f"http://127.0.0.1:{lane_port}/api",
            # As `seology up` gives its children: a command run with it (a CLI call, a
            # worker of a test's own) keeps out of the user's ~/.prefect.
            env={"PREFECT_HOME": str(home / "prefect"), **env},
            process=process,
            ready_seconds=time.monotonic() - started,
        )
    finally:
        _stop(process, timeout=stop_timeout)


def drop_stack_databases(server_url: str, prefix: str) -> None:
    """Drop the two databases `seology up --postgres URL --postgres-prefix PREFIX` made."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        for suffix in ("prefect", "app"):
            connection.execute(f'DROP DATABASE IF EXISTS "{prefix}_{suffix}" WITH (FORCE)')


def flush_redis(url: str) -> None:
    """Empty the Redis database of `url` (a `seology up --redis` stack's streams)."""
    import redis

    with redis.Redis.from_url(url) as client:
        client.flushdb()


def _wait_healthy(
    process: subprocess.Popen[bytes],
    api_url: str,
    log: Path,
    *,
    timeout: float,
    request_timeout: float = 2.0,
) -> float:
    """Poll `GET /api/health` until 200; fail fast, with the log, if `process` exits."""
    started = time.monotonic()
    while time.monotonic() < started + timeout:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise StackFailed(f"seology up exited with {process.returncode}:\n{output}")
        try:
            response = httpx.get(f"{api_url}/api/health", timeout=request_timeout)
        except httpx.HTTPError:
            pass
        else:
            if response.status_code == 200:
                return time.monotonic() - started
        time.sleep(0.5)
    output = log.read_text(errors="replace")
    raise StackFailed(f"the stack was not healthy after {timeout:.0f}s:\n{output}")


def _stop(process: subprocess.Popen[bytes], *, timeout: float) -> None:
    """SIGTERM, `timeout` seconds to stop, then SIGKILL."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
