"""`seology deploy`: apply the pool, the queues, the database block and the deployments."""

from __future__ import annotations

import asyncio

import typer


def deploy() -> None:
    """Set up the Prefect server at PREFECT_API_URL for Seology Jobs (idempotent)."""
    from deployments.apply import apply_recovery, apply_server_objects, deploy_keeping_pauses
    from seology.db.engine import app_engine
    from seology.db.migrate import upgrade
    from seology.settings import get_settings

    settings = get_settings()
    upgrade(app_engine())
    asyncio.run(apply_server_objects(settings))
    typer.echo(deploy_keeping_pauses(settings))
    asyncio.run(apply_recovery())
    typer.echo("Recovery automations applied.")
