"""The engine switch: SEOLOGY_ANALYSIS_ENGINE=auto|claude|rules, and whether a key is set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from seology.analysis.claude.client import resolve_api_key
from seology.analysis.claude.errors import MissingApiKey
from seology.analysis.model import EngineName

if TYPE_CHECKING:
    from seology.core.settings import Settings


@dataclass(frozen=True, kw_only=True)
class EngineChoice:
    """Which engine analyses, and why; `engine` None means the job cannot run."""

    engine: EngineName | None
    reason: str


def decide_engine(setting: str, *, has_key: bool) -> EngineChoice:
    """The engine for SEOLOGY_ANALYSIS_ENGINE=`setting` (plain: tested without Prefect)."""
    if setting == "rules":
        return EngineChoice(engine="rules", reason="SEOLOGY_ANALYSIS_ENGINE=rules")
    if has_key:
        return EngineChoice(engine="claude", reason=f"SEOLOGY_ANALYSIS_ENGINE={setting}, key set")
    if setting == "claude":
        return EngineChoice(engine=None, reason=MissingApiKey().message)
    return EngineChoice(engine="rules", reason="SEOLOGY_ANALYSIS_ENGINE=auto, no Anthropic key")


def choose_engine(settings: Settings) -> EngineChoice:
    """`decide_engine` for `settings`, looking for a key only when it matters."""
    if settings.analysis_engine == "rules":
        return decide_engine("rules", has_key=False)
    return decide_engine(settings.analysis_engine, has_key=resolve_api_key(settings) is not None)
