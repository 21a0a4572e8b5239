"""`seology up`: PostgreSQL, a Prefect server, the pool and deployments, a worker, the job API.

Start-up is a straight sequence, each step idempotent so that a second `seology up` on
the same home reuses what the first one made: the home's lock → the embedded PostgreSQL
server (the default; see database_choice.py) → Prefect server → app database
migrations → the `seology-db` block, work pool and queues → `prefect deploy --all` →
worker → webhook worker → job API (→ demo site, user and crawl). Everything runs until SIGINT or
SIGTERM, then stops in reverse order: PostgreSQL last.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from seology.local.database_choice import DatabaseChoice, DatabaseKind
from seology.local.databases import (
    DatabaseOptions,
    DatabaseUnavailable,
    choose_database_for,
    database_environment,
)
from seology.local.environment import (
    StackAddresses,
    ensure_admin_secret,
    stack_environment,
)
from seology.local.lock import HomeInUse, HomeLock
from seology.local.processes import (
    ManagedProcess,
    ProcessFailed,
    build_route_table,
    wait_until_healthy,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from seology.core.settings import Settings
    from seology.local.demo import DemoInfo

SERVER_READY_TIMEOUT = 90.0
API_READY_TIMEOUT = 60.0
WORKER_NAME = "seology-local-worker"
#: The workers and their flows yield the CPU to the job API, the lane and the Prefect
#: server on one machine: a flow takes seconds of CPU, an enqueue waits on every slice
#: of it (docs/internals/enqueue-lane.md, "Priorities").
WORKER_NICE = 10
#: With a lane the main Prefect server serves the workers, the flows and the UI, not the
#: job API: it yields to the lane too, still ahead of the flows it serves.
SERVER_NICE_WITH_LANE = 5


class StackError(RuntimeError):
    """`seology up` cannot start; the message says why and what to do."""


@dataclass(frozen=True, kw_only=True)
class StackOptions:
    home: Path
    addresses: StackAddresses = field(default_factory=StackAddresses)
    demo: bool = False
    #: Process workers for the pool; 0 starts none (the pool waits for remote workers).
    workers: int = 1
    #: Job API processes (uvicorn workers): one per core serves status polls on both.
    api_workers: int = 1
    #: A PostgreSQL server URL: Prefect and the app database go there instead of SQLite.
    postgres_url: str | None = None
    postgres_prefix: str = "seology"
    #: Today's SQLite stack instead of the embedded PostgreSQL server.
    sqlite: bool = False
    #: A Redis URL: Prefect's events go through it and the job API gets its own Prefect
    #: API server, the lane (PostgreSQL only, embedded or not; see seology/local/redis.py).
    redis_url: str | None = None
    #: CPU niceness of the workers and the flow runs they start (see `WORKER_NICE`).
    worker_nice: int = WORKER_NICE
    #: CPU niceness of the main Prefect server; None: `SERVER_NICE_WITH_LANE` with a
    #: lane, else 0 (then it serves the job API's enqueues itself).
    server_nice: int | None = None

    @property
    def effective_server_nice(self) -> int:
        if self.server_nice is not None:
            return self.server_nice
        return SERVER_NICE_WITH_LANE if self.redis_url else 0


@dataclass
class LocalStack:
    """The running stack; `start()` brings it up, `stop()` takes it down."""

    options: StackOptions
    say: Callable[[str], None]
    children: list[ManagedProcess] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    demo: DemoInfo | None = None
    database: DatabaseChoice | None = None
    _demo_server: object | None = None
    _lock: HomeLock | None = None

    @property
    def home(self) -> Path:
        return self.options.home

    @property
    def addresses(self) -> StackAddresses:
        return self.options.addresses

    def start(self) -> None:
        started = time.monotonic()
        self._prepare()
        self._start_server()
        if self.options.redis_url:
            self._start_lane()
        settings = self._adopt_environment()
        self._apply_server_objects(settings)
        if self.options.workers:
            self._start_workers()
        self._start_webhooks()
        self._start_api()
        if self.options.demo:
            self._start_demo()
        self.say(f"Ready in {time.monotonic() - started:.1f}s.")

    def _prepare(self) -> None:
        self.database = self._choose_database()
        self._check_redis()
        self.home.mkdir(parents=True, exist_ok=True)
        self._lock_home()
        ports = [self.addresses.prefect_port, self.addresses.api_port]
        if self.options.redis_url:
            ports.append(self.addresses.lane_port)
        for port in ports:
            _require_free_port(self.addresses.host, port)
        ensure_admin_secret(self.home)
        from seology.core.settings import load_settings

        retention = load_settings().job_retention_days
        self.env = stack_environment(
            self.home, self.addresses, retention_days=retention, databases=self._databases()
        )
        if self.options.redis_url:
            from seology.local.redis import redis_messaging_settings

            self.env.update(redis_messaging_settings(self.options.redis_url))

    def _lock_home(self) -> None:
        lock = HomeLock(self.home)
        try:
            lock.acquire()
        except HomeInUse as exc:
            raise StackError(str(exc)) from None
        self._lock = lock

    def _choose_database(self) -> DatabaseChoice:
        choice = choose_database_for(self._database_options())
        if choice.note:
            self.say(choice.note)
        return choice

    def _database_options(self) -> DatabaseOptions:
        return DatabaseOptions(
            home=self.home,
            postgres_url=self.options.postgres_url,
            postgres_prefix=self.options.postgres_prefix,
            sqlite=self.options.sqlite,
        )

    def _check_redis(self) -> None:
        if self.options.redis_url is None:
            return
        assert self.database is not None
        if self.database.kind not in {DatabaseKind.EXTERNAL, DatabaseKind.EMBEDDED}:
            msg = (
                "--redis gives the job API a Prefect API server of its own, and two Prefect "
                "servers need their database on PostgreSQL: drop --sqlite, or add "
                "--postgres URL."
            )
            raise StackError(msg)
        from seology.local.redis import check_redis

        check_redis(self.options.redis_url)

    def _databases(self) -> dict[str, str]:
        """The two database URLs (after starting their server and making them), or none."""
        assert self.database is not None
        try:
            return database_environment(
                self._database_options(), self.database, self.say, self.children
            )
        except DatabaseUnavailable as exc:
            raise StackError(str(exc)) from None

    def _start_server(self) -> None:
        self.say(f"Starting the Prefect server on {self.addresses.prefect_url} ...")
        server = self._spawn(
            "prefect-server",
            [sys.executable, "-m", "prefect", "server", "start", "--no-background"],
            nice=self.options.effective_server_nice,
        )
        health = f"{self.addresses.prefect_api_url}/health"
        wait_until_healthy(server, health, timeout=SERVER_READY_TIMEOUT)
        build_route_table(self.addresses.prefect_api_url)

    def _start_lane(self) -> None:
        """The job API's own Prefect API server: same database and Redis, no services, no UI."""
        self.say(f"Starting the job API's Prefect API server on {self.addresses.lane_api_url} ...")
        lane = self._spawn(
            "prefect-lane",
            [
                sys.executable, "-m", "prefect", "server", "start",
                "--no-background", "--no-services",
            ],
            env=self._lane_environment(),
        )  # fmt: skip
        health = f"{self.addresses.lane_api_url}/health"
        wait_until_healthy(lane, health, timeout=SERVER_READY_TIMEOUT)
        build_route_table(self.addresses.lane_api_url)

    def _lane_environment(self) -> dict[str, str]:
        return {
            **self.env,
            "PREFECT_SERVER_API_PORT": str(self.addresses.lane_port),
            "PREFECT_API_URL": self.addresses.lane_api_url,
            # The main server migrated the database before it answered healthy.
            "PREFECT_API_DATABASE_MIGRATE_ON_START": "false",
            "PREFECT_UI_ENABLED": "false",
        }

    def _adopt_environment(self) -> Settings:
        """This process talks to the same server and database as its children."""
        os.environ.update(self.env)
        if "prefect.context" in sys.modules:  # Prefect reads its settings once, on import
            from prefect.context import refresh_global_settings_context

            refresh_global_settings_context()
        from seology.core.settings import get_settings

        get_settings.cache_clear()
        return get_settings()

    def _apply_server_objects(self, settings: Settings) -> None:
        from deployments.apply import apply_recovery, apply_server_objects, deploy_keeping_pauses
        from seology.store.engine import app_engine
        from seology.store.migrate import upgrade

        self.say("Migrating the app database ...")
        upgrade(app_engine())
        self.say("Applying the work pool, its queues and the database block ...")
        asyncio.run(apply_server_objects(settings))
        self.say("Deploying prefect.yaml (prefect deploy --all) ...")
        deploy_keeping_pauses(settings, self.env)
        self.say("Applying the recovery automations ...")
        asyncio.run(apply_recovery())

    def _start_workers(self) -> None:
        count = self.options.workers
        self.say(f"Starting {count} worker(s) for pool 'seology' ...")
        for number in range(1, count + 1):
            name = f"{WORKER_NAME}-{number}"
            self._spawn(
                "worker" if count == 1 else f"worker-{number}",
                [
                    sys.executable, "-m", "seology.cli", "worker",
                    "--pool", "seology", "--name", name,
                ],
                nice=self.options.worker_nice,
            )  # fmt: skip

    def _start_webhooks(self) -> None:
        """The webhook worker: job ends from Prefect's events, deliveries from the outbox.

        Not niced: a delivery is a moment of CPU that a receiver is waiting on.
        """
        self.say("Starting the webhook worker ...")
        # Each attempt is a task run outside any flow run: Prefect would warn, per log
        # line, that it cannot send such lines to its API.
        env = {"PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore", **self.env}
        self._spawn("webhooks", [sys.executable, "-m", "seology.cli", "webhooks", "serve"], env=env)

    def _start_api(self) -> None:
        self.say(f"Starting the job API on {self.addresses.api_url} ...")
        env = self.env
        if self.options.redis_url:
            env = {**self.env, "PREFECT_API_URL": self.addresses.lane_api_url}
        api = self._spawn(
            "job-api",
            [
                sys.executable, "-m", "uvicorn", "seology.api.app:create_app", "--factory",
                "--host", self.addresses.host, "--port", str(self.addresses.api_port),
                "--log-level", "warning", "--workers", str(self.options.api_workers),
            ],
            env=env,
        )  # fmt: skip
        wait_until_healthy(api, f"{self.addresses.api_url}/api/health", timeout=API_READY_TIMEOUT)

    def _start_demo(self) -> None:
        from seology.local.demo import start_demo

        self.say("Serving the demo site and enqueueing its crawl ...")
        self._demo_server, self.demo = start_demo(self.home)

    def _spawn(
        self, name: str, command: list[str], *, env: dict[str, str] | None = None, nice: int = 0
    ) -> ManagedProcess:
        child = ManagedProcess(
            name=name,
            command=command,
            env=self.env if env is None else env,
            log_path=self.home / "logs" / f"{name}.log",
            nice=nice,
        )
        child.start()
        self.children.append(child)
        return child

    def supervise(self) -> None:
        """Restart a child that exited on its own; give up on one that keeps dying.

        A worker killed mid-job comes back at once, so the stack keeps serving while
        the lost run is recovered; a server or API that crashes comes back too.
        """
        for child in self.children:
            if child.exit_code is None:
                continue
            if not child.may_restart():
                msg = f"{child.name} keeps exiting (code {child.exit_code}):\n{child.log_tail()}"
                raise ProcessFailed(msg)
            self.say(f"{child.name} exited with code {child.exit_code}; restarting it.")
            child.restart()

    def stop(self) -> None:
        """Stop everything started, newest first."""
        if self._demo_server is not None:
            self._demo_server.stop()  # type: ignore[attr-defined]
            self._demo_server = None
        for child in reversed(self.children):
            self.say(f"Stopping {child.name} ...")
            child.stop()
        self.children.clear()
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _require_free_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers themselves do: a port in TIME_WAIT after a restart is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            msg = (
                f"Port {port} on {host} is in use: is another `seology up` running? "
                f"Stop it, or choose other ports with --api-port / --prefect-port."
            )
            raise StackError(msg) from exc


__all__ = ["LocalStack", "ProcessFailed", "StackError", "StackOptions"]
