"""Changing the current flow run's retries from inside it: none left, or later ones."""

from __future__ import annotations


def stop_flow_retries() -> None:
    """Set the running flow run's retries to zero (no-op outside a flow run).

    Prefect retries a flow on *any* Failed proposal while `run_count <= retries`, so a
    failure that will repeat on every attempt must first take the retries away.
    """
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    policy = context.flow_run.empirical_policy.model_copy(update={"retries": 0})
    with get_client(sync_client=True) as client:
        client.update_flow_run(context.flow_run.id, empirical_policy=policy)


def retry_flow_later(delay: float, *, retry: bool) -> None:
    """Make the running flow run's next retry wait `delay` seconds, or take its retries.

    A flow's `retry_delay_seconds` is one number for all failures; this sets it for
    this run only (no-op outside a flow run).
    """
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    changes: dict[str, int] = {"retry_delay": int(delay)}
    if not retry:
        changes["retries"] = 0
    policy = context.flow_run.empirical_policy.model_copy(update=changes)
    with get_client(sync_client=True) as client:
        client.update_flow_run(context.flow_run.id, empirical_policy=policy)


def flow_run_age_seconds(flow_run_id: str) -> float:
    """Seconds since the flow run first started (Prefect keeps that over its retries)."""
    from datetime import UTC, datetime

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        started = client.read_flow_run(flow_run_id).start_time
    return 0.0 if started is None else max(0.0, (datetime.now(UTC) - started).total_seconds())
