"""`/api/sites`: a site as created, updated and shown."""

from __future__ import annotations

from pydantic import Field

from seology.api.schemas.common import RequestModel, Timestamp
from seology.core.models import CamelModel
from seology.store.models import Site


class SiteCreate(RequestModel):
    url: str = Field(examples=["https://example.com/"])
    name: str | None = Field(None, examples=["Example"])


class SiteUpdate(RequestModel):
    # Strict: lax pydantic took `0`, `"no"` or `"off"` for a boolean the schema
    # declares as `true`/`false` (found by schemathesis).
    monitoring_enabled: bool = Field(strict=True)


class SiteOut(CamelModel):
    id: int
    url: str
    name: str
    monitoring_enabled: bool
    created_at: Timestamp

    @classmethod
    def of(cls, site: Site) -> SiteOut:
        """The public view of a `Site` row (`user_id` stays internal)."""
        return cls(
            id=site.id,
            url=site.url,
            name=site.name,
            monitoring_enabled=site.monitoring_enabled,
            created_at=site.created_at,
        )


class SiteEnvelope(CamelModel):
    site: SiteOut


class SiteList(CamelModel):
    sites: list[SiteOut]
