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

from seology.core.errors import ConfigurationError
from seology.core.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
PREFECT_YAML = PROJECT_DIR / "prefect.yaml"
DEPLOY_TIMEOUT_SECONDS = 300
#: Prefect's own default for `PREFECT_FLOWS_HEARTBEAT_FREQUENCY`.
DEFAULT_HEARTBEAT_SECONDS = 180


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
    """The `seology-db` block, the work pool with its queues, the `anthropic` limit."""
    from prefect.client.orchestration import get_client

    from seology.analysis.claude import CONCURRENCY_LIMIT_NAME
    from seology.jobs.pool import apply_work_pool, ensure_concurrency_limit
    from seology.store.engine import save_db_block

    async with get_client() as client:
        await apply_work_pool(client, concurrency_limit=settings.job_process_batch_size)
        await ensure_concurrency_limit(
            client, name=CONCURRENCY_LIMIT_NAME, limit=settings.anthropic_concurrency
        )
    save_db_block(settings.resolved_database_url)


async def apply_recovery() -> None:
    """The automations that recover jobs whose worker died (after `prefect deploy`)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings

    from deployments.automations import apply_automations

    heartbeat = get_current_settings().flows.heartbeat_frequency or DEFAULT_HEARTBEAT_SECONDS
    async with get_client() as client:
        await apply_automations(client, heartbeat_seconds=heartbeat)


async def paused_deployments() -> set[str]:
    """Full names of our deployments paused right now (to keep them paused on re-deploy)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from seology.jobs.specs import DEPLOYMENTS

    paused = set()
    async with get_client() as client:
        for spec in DEPLOYMENTS:
            try:
                deployment = await client.read_deployment_by_name(spec.full_name)
            except ObjectNotFound:
                continue
            if deployment.paused:
                paused.add(spec.full_name)
    return paused


async def pause_again(full_names: set[str]) -> None:
    """`prefect deploy` resumes every deployment it applies: restore an operator's pause."""
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        for full_name in sorted(full_names):
            deployment = await client.read_deployment_by_name(full_name)
            await client.pause_deployment(deployment.id)


def deploy_keeping_pauses(settings: Settings, env: dict[str, str] | None = None) -> str:
    """`prefect deploy --all`, with the deployments that were paused paused again."""
    import asyncio

    paused = asyncio.run(paused_deployments())
    output = run_prefect_deploy(settings, env)
    asyncio.run(pause_again(paused))
    return output
