"""One router per resource; `seology.api.app.ROUTERS` lists the ones served."""

from __future__ import annotations
