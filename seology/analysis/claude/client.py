"""The API key: the environment first, then the Prefect Secret block."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seology.core.settings import Settings


def resolve_api_key(settings: Settings) -> str | None:
    """ANTHROPIC_API_KEY if set, else the Prefect Secret block's value, else None."""
    if settings.anthropic_api_key and settings.anthropic_api_key.get_secret_value():
        return settings.anthropic_api_key.get_secret_value()
    return _secret_block_value(settings.anthropic_secret_block)


def _secret_block_value(name: str) -> str | None:
    """The Secret block `name`'s value; None when no such block exists."""
    from prefect.blocks.system import Secret
    from prefect.exceptions import ObjectNotFound

    try:
        value = Secret.load(name, _sync=True).get()  # type: ignore[call-arg]
    except ValueError as exc:
        if isinstance(exc.__cause__, ObjectNotFound) or "Unable to find block" in str(exc):
            return None
        raise
    return str(value) if value else None
