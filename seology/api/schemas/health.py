"""`GET /api/health`: each component's state."""

from __future__ import annotations

from typing import Literal

from seology.core.models import CamelModel


class Health(CamelModel):
    """Each component is `"ok"` or what went wrong with it."""

    status: Literal["ok", "degraded"]
    prefect: str
    database: str
