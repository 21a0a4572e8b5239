"""The work pool's base job template: types for `env` only, every variable still declared."""

from __future__ import annotations

import contextlib

import pytest

from seology.jobs.pool import (
    POOL_NAME,
    apply_work_pool,
    base_job_template,
    prefect_default_template,
)
from tests.integration.flows.conftest import run


async def _pool_template() -> dict:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return (await client.read_work_pool(POOL_NAME)).base_job_template


async def _delete_pool() -> None:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    async with get_client() as client:
        with contextlib.suppress(ObjectNotFound):
            await client.delete_work_pool(POOL_NAME)


async def _replace_pool(template: dict) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    await _delete_pool()
    async with get_client() as client:
        await client.create_work_pool(
            WorkPoolCreate(name=POOL_NAME, type="process", base_job_template=template)
        )


async def _apply() -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        await apply_work_pool(client, concurrency_limit=3)


@pytest.fixture
def fresh_pool():
    run(_delete_pool())
    yield
    run(_delete_pool())


def test_a_new_pool_types_env_only_over_prefects_job_configuration(fresh_pool):
    run(_apply())
    template = run(_pool_template())
    default = prefect_default_template()
    properties = template["variables"]["properties"]
    assert set(properties) == set(default["variables"]["properties"])
    assert properties["env"]["type"] == "object"
    assert [
        name for name, schema in properties.items() if "type" in schema or "anyOf" in schema
    ] == ["env"]
    assert properties["working_dir"]["title"] == "Working Directory"
    assert properties["stream_output"]["default"] is True
    assert template["job_configuration"] == default["job_configuration"]


def test_prefects_default_template_is_replaced_and_a_hand_edited_one_kept(fresh_pool):
    run(_replace_pool(prefect_default_template()))  # as an earlier version installed it
    run(_apply())
    assert run(_pool_template()) == base_job_template()

    edited = prefect_default_template()
    edited["variables"]["properties"]["working_dir"]["default"] = "/srv/seology"
    run(_replace_pool(edited))
    run(_apply())
    assert run(_pool_template()) == edited


def test_variables_outside_the_schema_still_reach_the_job():
    """A deployment's `working_dir` and `command` fill the template as before."""
    from prefect.workers.process import ProcessJobConfiguration

    values = {"env": {"A": "1"}, "working_dir": "/srv/site", "command": "python -m x"}
    config = run(ProcessJobConfiguration.from_template_and_values(base_job_template(), values))
    assert config.env["A"] == "1"
    assert str(config.working_dir) == "/srv/site"
    assert config.command == "python -m x"
    defaults = run(ProcessJobConfiguration.from_template_and_values(base_job_template(), {}))
    assert defaults.working_dir is None
    assert defaults.command is None
    assert defaults.stream_output is True


def test_env_of_the_wrong_type_is_still_refused_when_a_run_is_created(fresh_pool):
    from prefect.client.orchestration import get_client
    from prefect.exceptions import PrefectHTTPStatusError

    async def create_with(job_variables: dict) -> None:
        from prefect import flow

        @flow(name="pool-template-probe")
        def probe() -> None:
            """Never runs."""

        async with get_client() as client:
            await apply_work_pool(client, concurrency_limit=3)
            flow_id = await client.create_flow_from_name("pool-template-probe")
            deployment_id = await client.create_deployment(
                flow_id=flow_id, name="probe", work_pool_name=POOL_NAME, entrypoint="x.py:probe"
            )
            try:
                await client.create_flow_run_from_deployment(
                    deployment_id, job_variables=job_variables
                )
            finally:
                await client.delete_deployment(deployment_id)

    run(create_with({"env": {"A": "1"}}))
    with pytest.raises(PrefectHTTPStatusError) as refused:
        run(create_with({"env": ["not", "a", "mapping"]}))
    assert refused.value.response.status_code == 422
