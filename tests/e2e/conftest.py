"""One real stack per test session: `seology up` in a subprocess, on free ports, in a tmp home.

The e2e tests drive it the way a user does: the CLI for users, HTTP for everything else.
The stack's worker talks to a fake Messages API of this session (`anthropic_server`)
with a dummy key, so analyses run on the Claude engine without a network.
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

import httpx
import pytest

from seology.testing.anthropic_server import AnthropicServer
from seology.testing.servers import free_port

STACK_START_TIMEOUT = 180.0
#: The model the stack's analyses ask for (asserted on the fake server's requests).
E2E_ANTHROPIC_MODEL = "claude-sonnet-4-5"


@dataclass(frozen=True)
class Stack:
    home: Path
    api_url: str
    prefect_api_url: str
    env: dict[str, str]
    process: subprocess.Popen[str]

    @property
    def admin_secret(self) -> str:
        for line in (self.home / ".env").read_text().splitlines():
            if line.startswith("CRON_SECRET="):
                return line.split("=", 1)[1]
        raise AssertionError("no CRON_SECRET in the home .env")

    def seology(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the `seology` CLI against this stack's home."""
        return subprocess.run(
            [sys.executable, "-m", "seology.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def new_user(self, name: str) -> str:
        """Create a user with the CLI and return its token (the last line of stdout)."""
        result = self.seology("users", "create", name)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.api_url, headers=headers, timeout=30)


def _wait_for_api(process: subprocess.Popen[str], api_url: str, log: Path) -> None:
    deadline = time.monotonic() + STACK_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"seology up exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{api_url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the stack was not healthy after {STACK_START_TIMEOUT}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def anthropic_server() -> Iterator[AnthropicServer]:
    """The fake Messages API the stack's worker calls; tests script it from here."""
    with AnthropicServer() as server:
        yield server


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, anthropic_server: AnthropicServer
) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("seology-home")
    env = clean_environment()
    env.update({"SEOLOGY_HOME": str(home), "JOB_MAX_ATTEMPTS": "2"})
    env.update({
        "ANTHROPIC_API_KEY": "test-key",
        "ANTHROPIC_BASE_URL": anthropic_server.base_url,
        "ANTHROPIC_MODEL": E2E_ANTHROPIC_MODEL,
        "SEOLOGY_ANALYSIS_ENGINE": "auto",
    })  # fmt: skip
    with running_stack(home, env) as started:
        yield started


def clean_environment() -> dict[str, str]:
    """The test process's environment without any Prefect or Seology configuration."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "SEOLOGY_", "CRON_SECRET", "JOB_"))
    }


@contextmanager
def running_stack(home: Path, env: dict[str, str], *options: str) -> Iterator[Stack]:
    """`seology up --home HOME OPTIONS…` on free ports until the block ends (then SIGTERM)."""
    api_port, prefect_port = free_port(), free_port()
    log = home / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "seology.cli", "up", "--home", str(home),
                "--api-port", str(api_port), "--prefect-port", str(prefect_port), *options,
            ],
            env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    api_url = f"http://127.0.0.1:{api_port}"
    try:
        _wait_for_api(process, api_url, log)
        yield Stack(
            home=home,
            api_url=api_url,
            prefect_api_url=f"http://127.0.0.1:{prefect_port}/api",
            env=env,
            process=process,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 150.0) -> dict:
    """Poll the job's status until it ends; return the last job body."""
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        response = client.get(f"/api/jobs/{job_id}/status")
        assert response.status_code == 200, response.text
        job = response.json()["job"]
        if job["status"] in {"COMPLETED", "FAILED", "CANCELLED"}:
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not end within {timeout}s; last: {job}")
