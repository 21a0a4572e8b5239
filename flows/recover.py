"""recover-job: run again, or fail for good, a job whose worker died.

Deployment `recover-job/recover`, started by the Prefect automation
`seology-recover-crashed-runs`, never by users.
"""

from __future__ import annotations

from prefect import flow

from seology.core.settings import get_settings
from tasks.recovery import recover_crashed_run


@flow(name="recover-job", retries=0, persist_result=False)
async def recover_job(flow_run_id: str) -> str:
    """Apply the recovery decision to the crashed run `flow_run_id`."""
    decision = await recover_crashed_run(flow_run_id, get_settings().job_max_attempts)
    return decision.message
