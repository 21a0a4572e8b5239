"""What happens to a job reported crashed: run again while attempts last, then fail."""

from __future__ import annotations

import pytest

from deployments.automations import (
    crash_lost_runs,
    end_stuck_cancellations,
    recover_crashed_runs,
)
from seology.core.job_model import recovery_decision


@pytest.mark.parametrize(
    ("state_type", "run_count", "is_job", "action"),
    [
        ("CRASHED", 1, True, "reschedule"),  # first attempt lost: run again
        ("CRASHED", 2, True, "reschedule"),  # second of three: run again
        ("CRASHED", 3, True, "fail"),  # the last attempt: worker lost for good
        ("CRASHED", 5, True, "fail"),  # manual retries beyond the limit too
        ("RUNNING", 1, True, "ignore"),  # already picked up again: leave it
        ("COMPLETED", 1, True, "ignore"),  # finished after all
        ("CRASHED", 1, False, "ignore"),  # somebody else's flow on a shared server
    ],
)
def test_recovery_decision(state_type, run_count, is_job, action):
    """The decision table of docs/internals/recovery.md, with JOB_MAX_ATTEMPTS = 3."""
    decision = recovery_decision(
        state_type=state_type, run_count=run_count, max_attempts=3, is_job=is_job
    )
    assert decision.action == action
    if action == "fail":
        assert decision.message.startswith("worker lost")


def test_lost_runs_are_those_silent_for_three_heartbeats():
    """A run is declared lost after three missed heartbeats, and only our jobs are."""
    automation = crash_lost_runs(heartbeat_seconds=30)
    trigger = automation.trigger
    assert trigger.within.total_seconds() == 90
    assert trigger.after == {"prefect.flow-run.heartbeat"}
    assert "prefect.flow-run.Completed" in trigger.expect
    assert automation.actions[0].state.value == "CRASHED"


def test_crashed_runs_start_the_recover_deployment():
    """A Crashed event of one of our runs runs recover-job with that run's id."""
    import uuid

    deployment_id = uuid.uuid4()
    action = recover_crashed_runs(deployment_id).actions[0]
    assert action.deployment_id == deployment_id
    assert action.parameters == {
        "flow_run_id": {"__prefect_kind": "jinja", "template": "{{ flow_run.id }}"}
    }


def test_stuck_cancellations_end_cancelled():
    """A run still Cancelling after three heartbeats is marked Cancelled."""
    automation = end_stuck_cancellations(heartbeat_seconds=60)
    assert automation.trigger.within.total_seconds() == 180
    assert automation.actions[0].state.value == "CANCELLED"
