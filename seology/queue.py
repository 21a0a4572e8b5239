"""The one facade over the Prefect API: every job operation of the job API and the CLI.

A job is a flow run of one of our deployments; nothing here stores job state of its own.
The HTTP layer and the CLI import this module, never `prefect.client`.
"""

from __future__ import annotations

from prefect.client.orchestration import get_client

from seology.errors import PrefectUnavailable


async def ping() -> None:
    """Raise `PrefectUnavailable` unless the Prefect API answers its health check."""
    async with get_client() as client:
        failure = await client.api_healthcheck()
    if failure is not None:
        raise PrefectUnavailable(
            f"The Prefect API at {client.api_url} is unreachable: {failure}"
        ) from failure
