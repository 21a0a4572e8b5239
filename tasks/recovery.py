"""Recovering jobs whose worker died: the decision, and the Prefect calls that act on it.

A flow run whose process dies with its worker stays RUNNING: nobody is left to report.
The Prefect automation `seology-crash-lost-runs` marks such a run CRASHED once its
heartbeats stop; `seology-recover-crashed-runs` then runs the `recover-job` deployment
for it, which asks `recovery_decision` what to do: run it again as the same run while
it has attempts left (Prefect's flow retries do not cover crashes), else fail it with
"worker lost". See docs/internals/recovery.md.
"""

from __future__ import annotations

from prefect import task

from seology.jobs import RecoveryDecision, recovery_decision
from seology.logs import get_logger


@task(name="recover-crashed-run", retries=3, retry_delay_seconds=2)
async def recover_crashed_run(flow_run_id: str, max_attempts: int) -> RecoveryDecision:
    """Reschedule the crashed run as itself, or fail it for good."""
    from prefect.client.orchestration import get_client
    from prefect.states import Failed, Scheduled

    async with get_client() as client:
        flow_run = await client.read_flow_run(flow_run_id)
        decision = recovery_decision(
            state_type=flow_run.state_type.value if flow_run.state_type else None,
            run_count=flow_run.run_count,
            max_attempts=max_attempts,
            is_job="seology" in flow_run.tags,
        )
        if decision.action == "reschedule":
            await client.set_flow_run_state(
                flow_run.id, Scheduled(message=decision.message), force=True
            )
        elif decision.action == "fail":
            await client.set_flow_run_state(
                flow_run.id, Failed(message=decision.message), force=True
            )
    get_logger().warning(
        f"{decision.message} (action=recover_{decision.action} job_id={flow_run_id})"
    )
    return decision
