"""The API key (environment first, then the Prefect Secret block) and the SDK client."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import anthropic

    from seology.settings import Settings
    from tasks.claude.call import AnswerLog


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


def make_client(settings: Settings, api_key: str, log: AnswerLog) -> anthropic.Anthropic:
    """The SDK client: our key, base URL, timeout and SDK-level retries."""
    import anthropic

    return anthropic.Anthropic(
        api_key=api_key,
        base_url=settings.anthropic_base_url,
        max_retries=settings.anthropic_max_retries,
        timeout=settings.anthropic_timeout,
        middleware=[log.handle],
    )
