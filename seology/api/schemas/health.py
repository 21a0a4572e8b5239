"""`GET /api/health`: each component's state."""

from __future__ import annotations

from typing import Literal

from seology.core.models import CamelModel


class Health(CamelModel):
    """Each component is `"ok"` or what went wrong with it."""

    status: Literal["ok", "degraded"]
    prefect: str
    database: str
    #: `"ok"` when this machine can render pages (Chromium and Playwright found), else
    #: how to install them; informative only, it never makes the status degraded.
    rendering: str = "ok"
