"""Apply everything a Prefect server needs to run Seology Jobs, idempotently.

`seology up` and `seology deploy` call `apply_all`: the app database block, the work
pool with its queues, and the deployments of prefect.yaml through Prefect's own
`prefect deploy --all`, so that an operator running that command by hand against any
server gets exactly the same result.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from seology.errors import ConfigurationError
from seology.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
PREFECT_YAML = PROJECT_DIR / "prefect.yaml"
DEPLOY_TIMEOUT_SECONDS = 300


def deploy_environment(settings: Settings, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment `prefect deploy` needs: prefect.yaml reads the timezone from it."""
    env = dict(os.environ if base is None else base)
    env.setdefault("SEOLOGY_TIMEZONE", settings.timezone)
    return env


def run_prefect_deploy(settings: Settings, env: dict[str, str] | None = None) -> str:
    """Run `prefect --no-prompt deploy --all` in the project directory; return its output."""
    if not PREFECT_YAML.exists():
        msg = (
            f"{PREFECT_YAML} not found: run from a checkout of seology-jobs "
            "(pip install -e .), where prefect.yaml lives."
        )
        raise ConfigurationError(msg)
    command = [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"]
    completed = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=deploy_environment(settings, env),
        capture_output=True,
        text=True,
        timeout=DEPLOY_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr).strip()[-4000:]
        msg = f"`prefect deploy --all` failed (exit {completed.returncode}):\n{output}"
        raise ConfigurationError(msg)
    return completed.stdout


async def apply_server_objects(settings: Settings) -> None:
    """The `seology-db` block and the work pool with its queues."""
    from prefect.client.orchestration import get_client

    from deployments.pool import apply_work_pool
    from seology.db.engine import save_db_block

    async with get_client() as client:
        await apply_work_pool(client, concurrency_limit=settings.job_process_batch_size)
    save_db_block(settings.resolved_database_url)
