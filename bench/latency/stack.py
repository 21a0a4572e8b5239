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
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from seology.testing.stack import (
    RunningStack,
    StackFailed,
    clean_environment,
    drop_stack_databases,
    flush_redis,
    seology_up,
)

START_TIMEOUT = 240.0
STOP_TIMEOUT = 90.0
#: Where `postgres_stack` creates its databases, unless told another server.
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


class BenchStack(RunningStack):
    """The benchmark's stack: users from the CLI, HTTP clients with the benchmark's options."""

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
    environ = clean_environment()
    environ.update({"SEOLOGY_HOME": str(home), **(env or {})})
    try:
        with seology_up(
            home,
            environ,
            *options,
            kind=BenchStack,
            start_timeout=START_TIMEOUT,
            stop_timeout=STOP_TIMEOUT,
        ) as stack:
            yield stack
    except StackFailed as exc:
        raise SystemExit(str(exc)) from exc
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def postgres_stack(
    server_url: str | None,
    name: str,
    *options: str,
    env: dict[str, str] | None = None,
    redis_url: str | None = None,
) -> Iterator[tuple[BenchStack, str]]:
    """`local_stack` on PostgreSQL databases of its own (`<name>_<random>_prefect` and
    `_app` on `server_url`, default `DEFAULT_POSTGRES`), dropped at the end. With
    `redis_url`, `--redis` too (the job API's own Prefect API server); that Redis
    database is emptied before and after.

    Yields the stack and the URL of its app database, for checks that read it directly.
    """
    server_url = server_url or DEFAULT_POSTGRES
    prefix = f"{name}_{uuid.uuid4().hex[:8]}"
    if redis_url:
        options = (*options, "--redis", redis_url)
        flush_redis(redis_url)
    try:
        with local_stack(
            "--postgres", server_url, "--postgres-prefix", prefix, *options, env=env
        ) as stack:
            yield stack, f"{server_url.rsplit('/', 1)[0]}/{prefix}_app"
    finally:
        drop_stack_databases(server_url, prefix)
        print(f"dropped {prefix}_prefect and {prefix}_app")
        if redis_url:
            flush_redis(redis_url)


def embedded_server_memory(home: Path) -> str:
    """The embedded PostgreSQL server's memory (its processes' PSS, shared memory split
    between them), or why there is none: `seology up --sqlite`, or not Linux."""
    data = (home / "postgres" / "data").resolve()
    total_kib, processes = 0, 0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if (entry / "cwd").readlink() != data:
                continue
            rollup = (entry / "smaps_rollup").read_text()
        except OSError:
            continue
        processes += 1
        total_kib += next(
            int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")
        )
    if not processes:
        return "no embedded PostgreSQL server"
    return f"embedded PostgreSQL: {total_kib / 1024:.0f} MiB PSS in {processes} processes"


def app_database_url(home: Path) -> str:
    """The app database of a `seology up` home (its `.env`, else SQLite in it)."""
    for line in (home / ".env").read_text().splitlines():
        if line.startswith("SEOLOGY_DATABASE_URL="):
            return line.split("=", 1)[1]
    return f"sqlite:///{home / 'seology.db'}"


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
