"""Acting on a crashed run: read it, decide (`recovery_decision`), set its next state.

A flow run whose process dies with its worker stays RUNNING: nobody is left to report.
The automation `seology-crash-lost-runs` marks it CRASHED once its heartbeats stop;
`seology-recover-crashed-runs` then runs the `recover-job` deployment, whose task calls
this. See docs/internals/recovery.md.
"""

from __future__ import annotations

from seology.core.job_model import RecoveryDecision, recovery_decision


async def recover_run(flow_run_id: str, *, max_attempts: int) -> RecoveryDecision:
    """Reschedule the crashed run as itself while it has attempts left, else fail it."""
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
    return decision
