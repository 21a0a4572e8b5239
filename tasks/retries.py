"""How our tasks and flows retry, and how they fail for good.

Tasks retry with exponential backoff and jitter, except on failures that repeat on every
attempt (bad input, something that does not exist): retrying those only delays the
error. Flows have no retry condition in Prefect, so a flow facing such a failure calls
`fail_without_retry`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect.tasks import exponential_backoff

from seology.core.errors import InvalidInput, NotFound, RenderingUnavailable, SiteUnreachable
from seology.core.logs import get_logger
from seology.jobs.retries import retry_flow_later, stop_flow_retries

if TYPE_CHECKING:
    from prefect.client.schemas.objects import TaskRun
    from prefect.states import State
    from prefect.tasks import Task


def is_permanent(error: object) -> bool:
    """Failures that the same input will produce again."""
    from prefect.exceptions import ObjectNotFound

    return isinstance(error, (InvalidInput, NotFound, ObjectNotFound, RenderingUnavailable))


def retry_unless_permanent(task: Task[..., Any], task_run: TaskRun, state: State) -> bool:
    """A task's `retry_condition_fn`: retry everything but permanent failures.

    `_sync=True`: in an async task a bare `state.result()` is a coroutine, never raises,
    and so would retry everything.
    """
    error = state.result(raise_on_failure=False, _sync=True)  # type: ignore[call-overload]
    return not is_permanent(error)


def retry_unless_permanent_or_down(task: Task[..., Any], task_run: TaskRun, state: State) -> bool:
    """`retry_unless_permanent`, and no task retry for a site that did not answer.

    Each crawl attempt asks a dead site once (`SiteUnreachable`); asking again seconds
    later rarely helps, so the flow retries it instead, minutes apart, within the
    job's dead-site budget (`flows.crawl`).
    """
    error = state.result(raise_on_failure=False, _sync=True)  # type: ignore[call-overload]
    return not is_permanent(error) and not isinstance(error, SiteUnreachable)


RETRY_OPTIONS: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": exponential_backoff(backoff_factor=2),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": retry_unless_permanent,
}


def fail_without_retry(message: str) -> State:
    """A Failed state for the flow to return that Prefect will not retry.

    Prefect retries a flow on *any* Failed proposal while `run_count <= retries`
    (server rule `RetryFailedFlows`), a returned `Failed(...)` included. A failure that
    will repeat on every attempt (an unknown site, no crawl yet, a malformed period)
    first sets this run's retries to zero, then fails at once instead of after
    `retries × retry_delay_seconds` of pointless attempts.
    """
    from prefect.states import Failed

    stop_flow_retries()
    get_logger().warning(f"{message} (action=fail_without_retry)")
    return Failed(message=message)


def fail_and_retry_in(message: str, *, delay: float, retry: bool) -> State:
    """A Failed state that Prefect retries after `delay` seconds, or not at all.

    A flow's `retry_delay_seconds` is one number for every failure; this run's
    policy is changed first, as `fail_without_retry` does, so that one kind of
    failure (a site that is down) waits longer than the rest.
    """
    from prefect.states import Failed

    retry_flow_later(delay, retry=retry)
    action = "retry_later" if retry else "fail_without_retry"
    get_logger().warning(f"{message} (action={action} delay={delay:g})")
    return Failed(message=message)
