"""The Prefect automations that recover jobs nobody is left to report on.

- `seology-crash-lost-runs`: a flow run whose heartbeats stop for three intervals (its
  process died with its worker) is marked CRASHED.
- `seology-recover-crashed-runs`: a crashed run of ours starts the `recover-job`
  deployment, which runs it again as the same run or fails it ("worker lost").
- `seology-end-stuck-cancellations`: a run still CANCELLING after three heartbeat
  intervals (its worker died before it could stop it) is marked CANCELLED.

Applied idempotently by name after `prefect deploy` (the recover action needs the
deployment's id). See docs/internals/recovery.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uuid import UUID

    from prefect.client.orchestration import PrefectClient
    from prefect.events.schemas.automations import AutomationCore

#: Heartbeat intervals without a heartbeat before a run is declared lost.
MISSED_HEARTBEATS = 3
RUN_ID = "{{ flow_run.id }}"
FINAL_EVENTS = {
    "prefect.flow-run.Completed",
    "prefect.flow-run.Failed",
    "prefect.flow-run.Cancelled",
    "prefect.flow-run.Crashed",
}


def _flow_runs() -> object:
    from prefect.events.schemas.events import ResourceSpecification

    return ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"})


def _our_jobs() -> list[object]:
    from prefect.events.schemas.events import ResourceSpecification

    return [ResourceSpecification({"prefect.resource.id": "prefect.tag.seology"})]


def _per_job_trigger(
    *, expect: set[str], after: set[str] | None = None, within_seconds: int = 0
) -> object:
    """A trigger evaluated separately for each of our runs: proactive when it waits for
    `expect` to follow `after` within a time, reactive (on `expect`) otherwise."""
    from prefect.events.schemas.automations import EventTrigger, Posture

    return EventTrigger(
        match=_flow_runs(),
        match_related=_our_jobs(),
        after=after or set(),
        expect=expect,
        for_each={"prefect.resource.id"},
        posture=Posture.Proactive if after else Posture.Reactive,
        threshold=1,
        within=timedelta(seconds=within_seconds),
    )


def crash_lost_runs(heartbeat_seconds: int) -> AutomationCore:
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore

    return AutomationCore(
        name="seology-crash-lost-runs",
        description="A job whose heartbeats stopped lost its worker: mark it crashed.",
        trigger=_per_job_trigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *FINAL_EVENTS},
            within_seconds=MISSED_HEARTBEATS * heartbeat_seconds,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message="worker lost: no heartbeat for "
                f"{MISSED_HEARTBEATS * heartbeat_seconds} seconds",
            )
        ],
    )


def recover_crashed_runs(recover_deployment_id: UUID) -> AutomationCore:
    from prefect.events.actions import RunDeployment
    from prefect.events.schemas.automations import AutomationCore

    return AutomationCore(
        name="seology-recover-crashed-runs",
        description="Run a crashed job again while it has attempts left, else fail it.",
        trigger=_per_job_trigger(expect={"prefect.flow-run.Crashed"}),
        actions=[
            RunDeployment(
                source="selected",
                deployment_id=recover_deployment_id,
                # A plain Jinja template renders to a string; the shorthand "{{ … }}"
                # would be JSON-encoded, which a UUID is not.
                parameters={"flow_run_id": {"__prefect_kind": "jinja", "template": RUN_ID}},
            )
        ],
    )


def end_stuck_cancellations(heartbeat_seconds: int) -> AutomationCore:
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore

    return AutomationCore(
        name="seology-end-stuck-cancellations",
        description="A job still cancelling long after its worker should have stopped it.",
        trigger=_per_job_trigger(
            after={"prefect.flow-run.Cancelling"},
            expect=set(FINAL_EVENTS),
            within_seconds=MISSED_HEARTBEATS * heartbeat_seconds,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CANCELLED,
                message="worker lost while cancelling: marked cancelled",
            )
        ],
    )


async def apply_automations(client: PrefectClient, *, heartbeat_seconds: int) -> None:
    """Create or replace our automations so that they match the definitions above."""
    from seology.jobs.specs import RECOVER

    recover = await client.read_deployment_by_name(RECOVER.full_name)
    for automation in (
        crash_lost_runs(heartbeat_seconds),
        recover_crashed_runs(recover.id),
        end_stuck_cancellations(heartbeat_seconds),
    ):
        await _apply(client, automation)


async def _apply(client: PrefectClient, automation: AutomationCore) -> None:
    existing = await client.read_automations_by_name(automation.name)
    if not existing:
        await client.create_automation(automation)
        return
    first, *duplicates = existing
    await client.update_automation(first.id, automation)
    for duplicate in duplicates:
        await client.delete_automation(duplicate.id)
