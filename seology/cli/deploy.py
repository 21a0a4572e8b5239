"""`seology deploy`: apply the pool, the queues, the database block and the deployments."""

from __future__ import annotations

import asyncio

import typer


def deploy() -> None:
    """Set up the Prefect server at PREFECT_API_URL for Seology Jobs (idempotent)."""
    from deployments.apply import apply_recovery, apply_server_objects, deploy_keeping_pauses
    from seology.core.settings import get_settings
    from seology.store.engine import app_engine
    from seology.store.migrate import upgrade

    settings = get_settings()
    upgrade(app_engine())
    asyncio.run(apply_server_objects(settings))
    typer.echo(deploy_keeping_pauses(settings))
    asyncio.run(apply_recovery())
    typer.echo("Recovery automations applied.")
