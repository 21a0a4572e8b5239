"""How a Prefect flow run is shown as a job: status, attempts, progress, result, error.

Private to `seology.jobs.queue`. The result and progress come from the app database (the
job's outputs, keyed by flow run id); everything else from the flow run itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seology.core.job_model import (
    Job,
    JobStatus,
    job_status,
    recovery_decision,
    status_url,
    tag_value,
)

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun
    from sqlalchemy import Engine


def _int_tag(tags: list[str], key: str) -> int | None:
    value = tag_value(tags, key)
    return int(value) if value is not None and value.isdigit() else None


def status_of(flow_run: FlowRun) -> JobStatus:
    """The job status; a crashed job that will be run again is still pending."""
    from seology.core.settings import get_settings

    state_type = flow_run.state_type.value if flow_run.state_type else None
    if state_type == "CRASHED":
        decision = recovery_decision(
            state_type=state_type,
            run_count=flow_run.run_count,
            max_attempts=get_settings().job_max_attempts,
            is_job="seology" in flow_run.tags,
        )
        if decision.action == "reschedule":
            return JobStatus.PENDING
    return job_status(state_type)


def to_job(flow_run: FlowRun, *, engine: Engine | None = None) -> Job:
    """The public job shape of a flow run."""
    from seology.store.job_outputs import read_outputs

    status = status_of(flow_run)
    job_type = tag_value(flow_run.tags, "type") or "unknown"
    outputs = read_outputs(engine, job_type, str(flow_run.id)) if engine is not None else None
    return Job(
        id=str(flow_run.id),
        type=job_type,
        status=status,
        state_name=flow_run.state_name,
        priority=_int_tag(flow_run.tags, "priority"),
        attempts=flow_run.run_count,
        site_id=_int_tag(flow_run.tags, "site"),
        user_id=_int_tag(flow_run.tags, "user"),
        created_at=flow_run.created,
        started_at=flow_run.start_time,
        completed_at=flow_run.end_time if status in _ENDED else None,
        duration_seconds=_duration(flow_run, status),
        progress=_progress(status, outputs),
        result=outputs.result if outputs and status is JobStatus.COMPLETED else None,
        error=_error(flow_run, status),
        status_url=status_url(str(flow_run.id)),
    )


_ENDED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


def _duration(flow_run: FlowRun, status: JobStatus) -> float | None:
    if flow_run.start_time is None:
        return None
    if status in _ENDED and flow_run.end_time is not None:
        return round((flow_run.end_time - flow_run.start_time).total_seconds(), 3)
    return round(flow_run.total_run_time.total_seconds(), 3) or None


def _progress(status: JobStatus, outputs: Any) -> float | None:
    if status is JobStatus.COMPLETED:
        return 100.0
    if outputs is None or outputs.progress is None:
        return 0.0 if status is JobStatus.PENDING else None
    return round(outputs.progress, 1)


def _error(flow_run: FlowRun, status: JobStatus) -> str | None:
    if status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        return None
    message = flow_run.state.message if flow_run.state else None
    return message or f"The job ended {status.value.lower()}."
