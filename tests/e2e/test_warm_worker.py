"""`seology worker` against the stack's Prefect server: runs fork from the warm process.

The worker takes a pool of its own (so the stack's worker does not take these runs)
and runs a probe flow that reports whether our flow modules were already imported
when it started: true only for a fork of the warm process. A deployment with pull
steps is started Prefect's way (a fresh `python -m prefect.engine`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

POOL = "seology-probe"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


async def _deploy(api_url: str, name: str, pull_steps: list[dict[str, Any]]) -> uuid.UUID:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    async with PrefectClient(api_url) as client:
        with contextlib.suppress(ObjectAlreadyExists):
            await client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
        flow_id = await client.create_flow_from_name("seology-worker-probe")
        return await client.create_deployment(
            flow_id=flow_id,
            name=name,
            entrypoint="tests.e2e.probe_flow.probe",
            work_pool_name=POOL,
            pull_steps=pull_steps,
            job_variables={"env": {"SEOLOGY_PROBE": name}},
        )


async def _run_and_wait(api_url: str, deployment_id: uuid.UUID, report: Path) -> Any:
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api_url) as client:
        run = await client.create_flow_run_from_deployment(
            deployment_id, parameters={"report": str(report)}
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            run = await client.read_flow_run(run.id)
            if run.state and run.state.type.value in FINAL:
                return run
            await asyncio.sleep(0.5)
    raise AssertionError(f"flow run {run.id} did not end: {run.state}")


async def _flow_run_logs(api_url: str, flow_run_id: uuid.UUID, containing: str) -> list[str]:
    """The run's log messages, once one contains `containing` (they are sent in batches)."""
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    log_filter = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
    async with PrefectClient(api_url) as client:
        deadline = time.monotonic() + 15
        while True:
            messages = [log.message for log in await client.read_logs(log_filter=log_filter)]
            if any(containing in message for message in messages):
                return messages
            if time.monotonic() > deadline:
                return messages
            await asyncio.sleep(0.5)


@pytest.fixture(scope="module")
def probe_worker(stack: Stack) -> Iterator[None]:
    env = {
        **stack.env,
        "PREFECT_API_URL": stack.prefect_api_url,
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    asyncio.run(_deploy(stack.prefect_api_url, "warm", []))  # the pool exists before the worker
    log = stack.home / "probe-worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "seology.cli", "worker", "--pool", POOL, "--name", "probe"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_run_forks_from_the_warm_process(stack: Stack, probe_worker: None, tmp_path: Path):
    deployment_id = asyncio.run(_deploy(stack.prefect_api_url, "warm", []))
    report = tmp_path / "warm.json"

    run = asyncio.run(_run_and_wait(stack.prefect_api_url, deployment_id, report))

    assert run.state.type.value == "COMPLETED", run.state
    probe = json.loads(report.read_text())
    assert probe["preloaded"] is True  # a fork of the warm process
    assert probe["flow_run_id"] == str(run.id)
    assert probe["probe_env"] == "warm"  # the deployment's job variables reach the run
    assert int(run.infrastructure_pid) == probe["pid"]
    logs = asyncio.run(_flow_run_logs(stack.prefect_api_url, run.id, "probe ran in process"))
    assert any(f"probe ran in process {probe['pid']}" in message for message in logs), logs


def test_pull_steps_start_the_run_the_prefect_way(stack: Stack, probe_worker: None, tmp_path: Path):
    repo = str(Path(__file__).resolve().parents[2])
    steps = [{"prefect.deployments.steps.set_working_directory": {"directory": repo}}]
    deployment_id = asyncio.run(_deploy(stack.prefect_api_url, "pulled", steps))
    report = tmp_path / "cold.json"

    run = asyncio.run(_run_and_wait(stack.prefect_api_url, deployment_id, report))

    assert run.state.type.value == "COMPLETED", run.state
    probe = json.loads(report.read_text())
    assert probe["preloaded"] is False  # a fresh interpreter imported only what it ran
    assert probe["probe_env"] == "pulled"
