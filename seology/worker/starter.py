"""Start one flow run as a fork of the warm process (Prefect's runner `ProcessStarter`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import anyio
import anyio.abc
import anyio.to_thread
from prefect.logging import get_logger
from prefect.runner._process_manager import ProcessHandle
from prefect.settings import get_current_settings

from seology.worker.warm import run_engine, warm_context

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun
    from prefect.runner._control_channel import ControlChannel

logger = get_logger("seology.worker")


class Starter(Protocol):
    """Prefect's runner protocol: signal a ProcessHandle, then block until it exits."""

    async def start(
        self,
        flow_run: FlowRun,
        task_status: anyio.abc.TaskStatus[ProcessHandle] = anyio.TASK_STATUS_IGNORED,
    ) -> None: ...


class WarmStarter:
    """Forks the flow run from the warm server; uses `fallback` if that cannot be done.

    The environment is what Prefect's engine command would get: the worker's settings,
    then the job configuration's env (the pool's template and the deployment's job
    variables win over settings, as in Prefect's own workspace starter), then the keys
    that tie the process to this run (its id and the worker's control channel).
    """

    def __init__(
        self,
        *,
        environment: Mapping[str, str | None],
        cwd: Path | None,
        control_channel: ControlChannel | None,
        fallback: Starter,
    ) -> None:
        self.environment = dict(environment)
        self.cwd = cwd
        self.control_channel = control_channel
        self.fallback = fallback

    async def start(
        self,
        flow_run: FlowRun,
        task_status: anyio.abc.TaskStatus[ProcessHandle] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        control = self._register(flow_run)
        environment: dict[str, str | None] = {
            **get_current_settings().to_environment_variables(exclude_unset=True),
            **self.environment,
            "PREFECT__FLOW_RUN_ID": str(flow_run.id),
            "PREFECT__ENABLE_CANCELLATION_AND_CRASHED_HOOKS": "false",
            **control,
        }
        process = warm_context().Process(
            target=run_engine,
            args=(str(flow_run.id), environment, str(self.cwd) if self.cwd else None),
            name=f"flow-run-{flow_run.id}",
        )
        try:
            # Talks to the fork server (and restarts it if it died): not on the loop.
            await anyio.to_thread.run_sync(process.start)
        except Exception as exc:  # any failure to fork: start it cold
            logger.warning(
                "Could not fork flow run %s from the warm process (%s: %s); "
                "starting it with `python -m prefect.engine` instead.",
                flow_run.id,
                type(exc).__name__,
                exc,
            )
            if control and self.control_channel is not None:
                self.control_channel.unregister(flow_run.id)
            await self.fallback.start(flow_run, task_status=task_status)
            return
        task_status.started(ProcessHandle(process))
        # The sentinel turns readable when the process ends: no thread held per run.
        await anyio.wait_readable(process.sentinel)
        process.join()

    def _register(self, flow_run: FlowRun) -> dict[str, str]:
        """The control channel's port and token for the run, if the channel is up.

        Without them the engine still runs; the worker then cancels by signal alone,
        as Prefect's own starters do when the channel could not bind.
        """
        if self.control_channel is None:
            return {}
        try:
            port, token = self.control_channel.register(flow_run.id)
        except RuntimeError:
            return {}
        return {"PREFECT__CONTROL_PORT": str(port), "PREFECT__CONTROL_TOKEN": token}
