"""The work pool `seology` and its four prioritised queues, as data plus one idempotent apply.

Prefect serves the queues of a pool by queue priority (1 first), then by each run's
scheduled time. The job priority 1–10 of the original system maps onto the queues
below; see docs/internals/priority.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

POOL_NAME = "seology"
POOL_TYPE = "process"


@dataclass(frozen=True, kw_only=True)
class QueueSpec:
    """A work queue of the pool and the job priorities it serves."""

    name: str
    #: Prefect queue priority: 1 is served first.
    queue_priority: int
    #: The lowest and highest job priority (1–10) that land in this queue.
    min_job_priority: int
    max_job_priority: int

    @property
    def description(self) -> str:
        return f"Jobs of priority {self.min_job_priority}–{self.max_job_priority}"


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(name="critical", queue_priority=1, min_job_priority=9, max_job_priority=10),
    QueueSpec(name="high", queue_priority=2, min_job_priority=7, max_job_priority=8),
    QueueSpec(name="default", queue_priority=3, min_job_priority=4, max_job_priority=6),
    QueueSpec(name="low", queue_priority=4, min_job_priority=1, max_job_priority=3),
)


def queue_for_priority(priority: int) -> QueueSpec:
    """The queue that serves job `priority` (1–10)."""
    for queue in QUEUES:
        if queue.min_job_priority <= priority <= queue.max_job_priority:
            return queue
    msg = f"priority must be between 1 and 10, got {priority}"
    raise ValueError(msg)


def prefect_default_template() -> dict[str, Any]:
    """The process worker's base job template as Prefect ships it."""
    from prefect.workers.process import ProcessWorker

    return ProcessWorker.get_default_base_job_template()


def base_job_template() -> dict[str, Any]:
    """Prefect's process template, with types in its schema for `env` only.

    Why: on every flow-run create, Prefect's server checks the pool's variables schema
    against the JSON Schema metaschema, twice, then validates the run's variables with
    it; the cost grows with every typed subschema. With Prefect's six typed variables
    that is about half of what a create costs the server; with `env` typed and the other
    five declared by title, description and default only, less than half of that (the
    figures are in docs/internals/enqueue-lane.md). The job configuration is Prefect's,
    untouched, and every variable is still offered in the UI: a deployment that sets
    `working_dir` or `command` gets it as before. Only their types are checked later, by
    the worker's job configuration model when the run starts, instead of at create.
    """
    template = prefect_default_template()
    properties = template["variables"]["properties"]
    for name, schema in properties.items():
        if name == "env":
            # The same meaning as Prefect's anyOf [string, null], checked faster.
            schema["additionalProperties"] = {"type": ["string", "null"]}
        else:
            properties[name] = {key: schema[key] for key in DESCRIBING if key in schema}
    return template


#: What an untyped job variable keeps of Prefect's schema: enough for the UI's form.
DESCRIBING = ("title", "description", "default")


async def apply_work_pool(client: PrefectClient, *, concurrency_limit: int) -> None:
    """Create or update the pool and its queues so that they match `QUEUES`.

    Safe to run any number of times: a second run changes nothing. Queues are applied
    in priority order because Prefect keeps queue priorities unique by shifting the
    others when one is set.
    """
    await _apply_pool(client, concurrency_limit=concurrency_limit)
    for queue in QUEUES:
        await _apply_queue(client, queue)


async def _apply_pool(client: PrefectClient, *, concurrency_limit: int) -> None:
    """Create the pool, or bring its limit (and a template still Prefect's default) in line.

    A template someone changed by hand, in the UI or with `prefect work-pool update`, is
    theirs and stays; only Prefect's own default, which earlier versions installed, is
    replaced by ours.
    """
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound

    try:
        pool = await client.read_work_pool(POOL_NAME)
    except ObjectNotFound:
        await client.create_work_pool(
            WorkPoolCreate(
                name=POOL_NAME,
                type=POOL_TYPE,
                base_job_template=base_job_template(),
                concurrency_limit=concurrency_limit,
                description="Seology Jobs: crawls, analyses, daily and monthly work",
            )
        )
        return
    update: dict[str, Any] = {}
    if pool.concurrency_limit != concurrency_limit:
        update["concurrency_limit"] = concurrency_limit
    if pool.base_job_template == prefect_default_template():
        update["base_job_template"] = base_job_template()
    if update:
        await client.update_work_pool(POOL_NAME, WorkPoolUpdate(**update))


async def _apply_queue(client: PrefectClient, spec: QueueSpec) -> None:
    from prefect.exceptions import ObjectNotFound

    try:
        queue = await client.read_work_queue_by_name(spec.name, work_pool_name=POOL_NAME)
    except ObjectNotFound:
        await client.create_work_queue(
            name=spec.name,
            description=spec.description,
            priority=spec.queue_priority,
            work_pool_name=POOL_NAME,
        )
        return
    if queue.priority != spec.queue_priority or queue.description != spec.description:
        await client.update_work_queue(
            queue.id, priority=spec.queue_priority, description=spec.description
        )


async def ensure_concurrency_limit(client: PrefectClient, *, name: str, limit: int) -> None:
    """Create or resize the global concurrency limit `name` (idempotent)."""
    await client.upsert_global_concurrency_limit_by_name(name, limit)
