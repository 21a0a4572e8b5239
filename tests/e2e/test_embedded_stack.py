"""The default stack's embedded PostgreSQL server, as a user meets it.

On the package's shared stack (plain `seology up`, so the embedded server): where its
databases are, a second `seology up` on the same home, a backup moved to a real server,
and the server killed under load of status polls.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import psycopg
import pytest

from seology.testing.servers import free_port
from seology.testing.sites import SiteServer, generate_site
from seology.testing.stack import drop_stack_databases
from tests.e2e.conftest import Stack, wait_for_job

pytestmark = pytest.mark.e2e

POSTGRES_URL = os.environ.get("SEOLOGY_TEST_POSTGRES_URL")
RECOVERY_TIMEOUT = 120.0


def _postmaster_pid(stack: Stack) -> int:
    return int((stack.home / "postgres" / "data" / "postmaster.pid").read_text().split()[0])


def test_the_default_stack_runs_on_the_embedded_server(stack: Stack):
    """No option: a cluster in the home, both databases on it, the CLI pointed at it."""
    assert (stack.home / "postgres" / "data" / "PG_VERSION").is_file()
    env_file = (stack.home / ".env").read_text()
    assert "SEOLOGY_DATABASE_URL=postgresql+psycopg://postgres@/seology_app?host=" in env_file
    assert not (stack.home / "seology.db").exists()
    shell = subprocess.run(
        [sys.executable, "-m", "seology.cli", "db", "shell", "--prefect"],
        input="SELECT COUNT(*) > 0 AS deployed FROM deployment;\n",
        env=stack.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert shell.returncode == 0, shell.stderr
    assert " t\n" in shell.stdout


def test_a_second_seology_up_on_the_same_home_refuses(stack: Stack):
    """Other ports, same home: refused at once with a message, the first stack untouched."""
    result = subprocess.run(
        [
            sys.executable, "-m", "seology.cli", "up", "--home", str(stack.home),
            "--api-port", str(free_port()), "--prefect-port", str(free_port()),
        ],
        env=stack.env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "is in use by seology up" in " ".join(result.stderr.split())
    with stack.client() as client:
        assert client.get("/api/health").status_code == 200


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="SEOLOGY_TEST_POSTGRES_URL is not set")
def test_a_dump_of_the_running_stack_moves_to_a_real_server(stack: Stack, tmp_path):
    """`seology db dump` while the stack runs, `seology db restore --postgres URL`: the
    real server has the same users and flow runs (the move of docs/deploy.md)."""
    assert POSTGRES_URL is not None
    stack.new_user(f"mover-{uuid.uuid4().hex[:6]}")
    archive = tmp_path / "home.tar"
    dumped = stack.seology("db", "dump", str(archive))
    assert dumped.returncode == 0, dumped.stderr
    prefix = f"seo_move_{uuid.uuid4().hex[:8]}"
    try:
        restored = stack.seology(
            "db", "restore", str(archive), "--postgres", POSTGRES_URL, "--prefix", prefix
        )
        assert restored.returncode == 0, restored.stderr
        embedded_app = psycopg.connect(
            (stack.home / ".env").read_text().split("SEOLOGY_DATABASE_URL=")[1].split()[0]
            .replace("postgresql+psycopg://", "postgresql://", 1)
        )  # fmt: skip
        with embedded_app:
            users = embedded_app.execute("SELECT name FROM users ORDER BY id").fetchall()
        base = POSTGRES_URL.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/{prefix}_app") as moved:
            assert moved.execute("SELECT name FROM users ORDER BY id").fetchall() == users
        with psycopg.connect(f"{base}/{prefix}_prefect") as moved:
            (deployments,) = moved.execute("SELECT COUNT(*) FROM deployment").fetchone()
        assert deployments > 0
    finally:
        drop_stack_databases(POSTGRES_URL, prefix)


def test_a_killed_postgres_is_restarted_and_the_api_answers_503_meanwhile(stack: Stack):
    """SIGKILL the postmaster: `seology up` starts it again; until then every answer of
    the job API is 200 or 503, never a 500; afterwards a crawl completes."""
    token = stack.new_user(f"pg-kill-{uuid.uuid4().hex[:6]}")
    old = _postmaster_pid(stack)
    statuses: Counter[int] = Counter()
    with stack.client(token) as client:
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + RECOVERY_TIMEOUT
        while time.monotonic() < deadline:
            for path in ("/api/health", "/api/jobs/stats"):
                statuses[client.get(path).status_code] += 1
            if _restarted(stack, old) and client.get("/api/health").status_code == 200:
                break
            time.sleep(0.2)
        assert set(statuses) <= {200, 503}, statuses
        assert _restarted(stack, old)
        with SiteServer(generate_site(pages=3, seed=5)) as site:
            site_id = client.post("/api/sites", json={"url": site.base_url}).json()["id"]
            job_id = client.post("/api/jobs/crawl", json={"siteId": site_id}).json()["jobId"]
            # The first run of a fresh stack waits for its worker's warm process (nice 10).
            job = wait_for_job(client, job_id, timeout=300)
    assert job["status"] == "COMPLETED", job
    assert "postgres exited with code -9; restarting it." in stack.log_path.read_text()


def _restarted(stack: Stack, old: int) -> bool:
    try:
        return _postmaster_pid(stack) != old
    except (OSError, ValueError, IndexError):
        return False
