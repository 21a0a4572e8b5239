"""`SeologyWorker`: Prefect's process worker, starting flow runs from a warm process.

Everything but the start is Prefect's: polling, priorities, limits, heartbeats,
cancellation (control channel, then signals), crash reporting. A run whose deployment
has pull steps (code fetched per run) or an explicit command is started Prefect's way,
since a fork of our warm process would run the code it imported instead.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import anyio.abc
import anyio.to_thread
from prefect.exceptions import ObjectNotFound
from prefect.flows import load_flow_from_flow_run
from prefect.runner._flow_run_executor import FlowRunExecutionResult, FlowRunExecutorContext
from prefect.runner._process_manager import ProcessHandle
from prefect.runner._starter_engine import EngineCommandStarter
from prefect.utilities.processutils import command_to_string, get_sys_executable
from prefect.workers.process import ProcessJobConfiguration, ProcessWorker, ProcessWorkerResult

from seology.worker.starter import WarmStarter
from seology.worker.warm import start_warm_server

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun


class SeologyWorker(ProcessWorker):
    """A process worker (pool type `process`) whose flow runs fork from a warm process."""

    _description = "Process worker whose flow runs start as forks of a warm, preloaded process."
    _display_name = "Seology"

    async def setup(self) -> None:
        await super().setup()
        # Pay the preload's imports now, before the first run waits for them.
        await anyio.to_thread.run_sync(start_warm_server)

    async def run(
        self,
        flow_run: FlowRun,
        configuration: ProcessJobConfiguration,
        task_status: anyio.abc.TaskStatus[int] | None = None,
    ) -> ProcessWorkerResult:
        if configuration._command_configured or await self._has_pull_steps(flow_run):
            return await super().run(flow_run, configuration, task_status)
        if task_status is None:
            task_status = anyio.TASK_STATUS_IGNORED
        working_dir = (
            contextlib.nullcontext(configuration.working_dir)
            if configuration.working_dir
            else tempfile.TemporaryDirectory(suffix="prefect")
        )
        with working_dir as cwd:
            execution = await self._execute(flow_run, configuration, Path(cwd), task_status)
        if execution is None or execution.status_code is None:
            raise RuntimeError("Failed to start flow run process.")
        return ProcessWorkerResult(
            status_code=execution.status_code, identifier=str(execution.handle.pid)
        )

    async def _execute(
        self,
        flow_run: FlowRun,
        configuration: ProcessJobConfiguration,
        cwd: Path,
        task_status: anyio.abc.TaskStatus[int],
    ) -> FlowRunExecutionResult | None:
        """Run it through Prefect's executor (state proposals, cancellation, hooks)."""
        async with FlowRunExecutorContext() as context:
            cold = EngineCommandStarter(
                command=command_to_string([get_sys_executable(), "-m", "prefect.engine"]),
                cwd=cwd,
                env=configuration.env,
                stream_output=configuration.stream_output,
                control_channel=context.control_channel,
            )
            starter = WarmStarter(
                environment=configuration.env,
                cwd=cwd,
                control_channel=context.control_channel,
                fallback=cold,
            )
            executor = context.create_executor(
                flow_run, starter, resolve_flow=load_flow_from_flow_run, propose_submitting=False
            )
            execution: FlowRunExecutionResult | None = None

            async def execute(
                *, task_status: anyio.abc.TaskStatus[ProcessHandle] = anyio.TASK_STATUS_IGNORED
            ) -> None:
                nonlocal execution
                execution = await executor.submit(task_status=task_status)

            async with anyio.create_task_group() as group:
                handle = await group.start(execute)
                if handle.pid is None:
                    raise RuntimeError("Flow run process has no PID")
                task_status.started(handle.pid)
        return execution

    async def _has_pull_steps(self, flow_run: FlowRun) -> bool:
        """Whether the run's deployment fetches code per run (then it cannot be forked)."""
        if flow_run.deployment_id is None:
            return True  # not one of our deployments: start it Prefect's way
        try:
            deployment = await self.client.read_deployment(flow_run.deployment_id)
        except ObjectNotFound:
            return True  # Prefect's path reports the missing deployment
        return bool(deployment.pull_steps)
