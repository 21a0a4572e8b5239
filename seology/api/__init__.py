"""The job API (FastAPI): `seology.api.app.create_app()` builds it."""

from __future__ import annotations
