"""The cron schedules of the daily and monthly work: list, pause, resume.

A facade over the Prefect API like `seology.jobs.queue`: the CLI uses it, never the Prefect
client. Pausing pauses the deployment (the toggle the Prefect UI shows); `seology up`
and `seology deploy` keep a pause across re-deploys (see `deployments.apply`).
"""

from __future__ import annotations

from typing import Any

from seology.core.errors import InvalidInput, NotFound
from seology.jobs._prefect import prefect_client
from seology.jobs.specs import DEPLOYMENTS, DeploymentSpec, spec_by_name


def scheduled_specs() -> list[DeploymentSpec]:
    return [spec for spec in DEPLOYMENTS if spec.cron]


def _scheduled_spec(name: str) -> DeploymentSpec:
    try:
        spec = spec_by_name(name)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    if not spec.cron:
        names = ", ".join(s.name for s in scheduled_specs())
        raise InvalidInput(f"{name!r} has no schedule; scheduled deployments: {names}")
    return spec


async def list_schedules() -> list[dict[str, Any]]:
    """Each scheduled deployment with its cron, timezone and whether it is paused."""
    from prefect.exceptions import ObjectNotFound

    rows = []
    async with prefect_client() as client:
        for spec in scheduled_specs():
            try:
                deployment = await client.read_deployment_by_name(spec.full_name)
            except ObjectNotFound:
                rows.append({"name": spec.name, "deployment": spec.full_name, "deployed": False})
                continue
            schedule = deployment.schedules[0].schedule if deployment.schedules else None
            rows.append(
                {
                    "name": spec.name,
                    "deployment": spec.full_name,
                    "deployed": True,
                    "cron": getattr(schedule, "cron", None),
                    "timezone": getattr(schedule, "timezone", None),
                    "paused": bool(deployment.paused),
                }
            )
    return rows


async def set_paused(name: str, *, paused: bool) -> None:
    """Pause or resume the schedule of deployment `name` (`daily`, `monthly`)."""
    from prefect.exceptions import ObjectNotFound

    spec = _scheduled_spec(name)
    async with prefect_client() as client:
        try:
            deployment = await client.read_deployment_by_name(spec.full_name)
        except ObjectNotFound as exc:
            raise NotFound(f"{spec.full_name} is not deployed: run `seology deploy`.") from exc
        if paused:
            await client.pause_deployment(deployment.id)
        else:
            await client.resume_deployment(deployment.id)
