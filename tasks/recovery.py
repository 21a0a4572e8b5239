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

from seology.core.job_model import RecoveryDecision
from seology.core.logs import get_logger
from seology.jobs.recovery import recover_run


@task(name="recover-crashed-run", retries=3, retry_delay_seconds=2)
async def recover_crashed_run(flow_run_id: str, max_attempts: int) -> RecoveryDecision:
    """Reschedule the crashed run as itself, or fail it for good."""
    decision = await recover_run(flow_run_id, max_attempts=max_attempts)
    if decision.action in END_STATUS:
        from seology.store.engine import flow_engine
        from seology.store.job_outputs import end_crawl

        end_crawl(
            flow_engine(),
            flow_run_id=flow_run_id,
            status=END_STATUS[decision.action],
            error=decision.message,
        )
    get_logger().warning(
        f"{decision.message} (action=recover_{decision.action} job_id={flow_run_id})"
    )
    return decision


#: The crawl row's status after each recovery action (the next attempt resets it).
END_STATUS = {"reschedule": "crashed", "fail": "failed"}
