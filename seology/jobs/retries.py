"""Turning off the remaining flow retries of the current run, from inside it."""

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
