"""Every setting of Seology Jobs, read once from the environment and `.env` files.

Names follow the original system where it had them (`CRON_SECRET`, `JOB_MAX_ATTEMPTS`,
`JOB_PROCESS_BATCH_SIZE`, `JOB_RETENTION_DAYS`, `ANTHROPIC_*`: each an explicit alias);
everything of ours is `SEOLOGY_` + the field's name in capitals (`env_prefix`). Two
`.env` files are read, the working directory's and then the data directory's
(`$SEOLOGY_HOME/.env`, where `seology up` writes the generated admin secret); the
process environment wins over both. Standard `PREFECT_*` settings are Prefect's own
business and are not repeated here.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from seology import __version__
from seology.core.errors import ConfigurationError

MIN_SECRET_LENGTH = 32
DEFAULT_HOME = Path(".seology")


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """The whole configuration; see README.md "Configuration" for each value's story."""

    model_config = SettingsConfigDict(env_prefix="SEOLOGY_", extra="ignore", populate_by_name=True)

    home: Path = DEFAULT_HOME
    local_mode: bool = False
    database_url: str | None = None
    api_base_url: str = Field("http://127.0.0.1:8000", validation_alias=_env("SEOLOGY_API_URL"))
    #: The largest request body the job API reads; a larger one is answered 413 unread.
    api_max_body_bytes: Annotated[int, Field(ge=1024, le=100 * 1024 * 1024)] = 1024 * 1024
    timezone: str = "UTC"

    cron_secret: SecretStr | None = Field(None, validation_alias=_env("CRON_SECRET"))
    job_max_attempts: Annotated[int, Field(ge=1, le=20)] = Field(
        3, validation_alias=_env("JOB_MAX_ATTEMPTS")
    )
    job_process_batch_size: Annotated[int, Field(ge=1, le=256)] = Field(
        5, validation_alias=_env("JOB_PROCESS_BATCH_SIZE")
    )
    job_retention_days: Annotated[int, Field(ge=1)] = Field(
        30, validation_alias=_env("JOB_RETENTION_DAYS")
    )

    anthropic_api_key: SecretStr | None = Field(None, validation_alias=_env("ANTHROPIC_API_KEY"))
    anthropic_model: str = Field("claude-sonnet-4-5", validation_alias=_env("ANTHROPIC_MODEL"))
    #: Another Messages API endpoint (a proxy, or the test server); None = Anthropic's own.
    anthropic_base_url: str | None = Field(None, validation_alias=_env("ANTHROPIC_BASE_URL"))
    #: `auto`: Claude when an API key is configured (env or Secret block), else rules.
    analysis_engine: Literal["auto", "claude", "rules"] = "auto"
    #: Claude calls in flight at once, across every worker (the `anthropic` Prefect limit).
    anthropic_concurrency: Annotated[int, Field(ge=1, le=64)] = 2
    #: The SDK's own retries of 408/409/429/5xx/529 and connection errors, per task attempt.
    anthropic_max_retries: Annotated[int, Field(ge=0, le=10)] = 2
    anthropic_timeout: Annotated[float, Field(gt=0, le=1800)] = 300.0
    anthropic_max_tokens: Annotated[int, Field(ge=256, le=64_000)] = 8192
    #: The Prefect `Secret` block read when ANTHROPIC_API_KEY is not set (the env wins).
    anthropic_secret_block: str = "anthropic-api-key"  # noqa: S105 (a block name)

    allow_private_targets: bool = False
    crawl_user_agent: str = f"SeologyBot/{__version__} (+https://seology.ai/bot)"
    crawl_concurrency: Annotated[int, Field(ge=1, le=128)] = 16
    crawl_per_host_connections: Annotated[int, Field(ge=1, le=64)] = 4
    crawl_per_host_delay: Annotated[float, Field(ge=0, le=60)] = 0.0
    crawl_connect_timeout: Annotated[float, Field(gt=0, le=120)] = 10.0
    crawl_read_timeout: Annotated[float, Field(gt=0, le=300)] = 20.0
    crawl_max_page_bytes: Annotated[int, Field(ge=1024)] = 5 * 1024 * 1024
    crawl_max_depth: Annotated[int, Field(ge=0, le=1000)] = 20
    crawl_time_limit: Annotated[float, Field(gt=0)] = 1800.0
    crawl_max_pages_limit: Annotated[int, Field(ge=1)] = 10_000
    #: A PEM file of certificate authorities the crawl trusts besides the public ones.
    crawl_ca_file: str | None = None
    # Resource checks (docs/audit-checks.md "Resources"): what pages point to, each kind
    # on by default, asked without crawling it further (docs/internals/resources.md).
    crawl_check_external_links: bool = True
    crawl_check_images: bool = True
    crawl_check_canonicals: bool = True
    crawl_check_hreflang: bool = True
    #: Follow a resource's redirects to their final answer (each hop checked for safety).
    crawl_follow_resource_redirects: bool = True
    crawl_resource_concurrency: Annotated[int, Field(ge=1, le=128)] = 16
    crawl_resource_per_host_connections: Annotated[int, Field(ge=1, le=64)] = 2
    #: The longest one resource check (all its redirect hops) may take.
    crawl_resource_timeout: Annotated[float, Field(gt=0, le=300)] = 10.0
    #: How long a crawl waits, after its pages, for resource checks still running.
    crawl_resource_time_budget: Annotated[float, Field(ge=0)] = 30.0
    # Rendering with headless Chromium (docs/internals/rendering.md).
    #: The Chromium binary; None: Debian's `chromium`, else the one `playwright install` put.
    chromium_path: str | None = None
    #: Tabs rendering at once in a crawl's browser.
    render_tabs: Annotated[int, Field(ge=1, le=32)] = 4
    #: Pages a tab renders before it is closed and replaced (bounds renderer memory).
    render_tab_pages: Annotated[int, Field(ge=1, le=10_000)] = 20
    #: The longest one page may take to render, network idle included.
    render_page_timeout: Annotated[float, Field(gt=0, le=300)] = 15.0
    #: Network idle = no request of the page in flight for this long.
    render_idle_ms: Annotated[int, Field(ge=0, le=10_000)] = 250
    #: May a rendered page load resources from other hosts (the same safety rules apply)?
    render_third_party: bool = True
    #: `all` loads every resource; `essential` only documents, scripts, styles and XHR
    #: (faster; `perf.page_weight`, `perf.too_many_requests` and `perf.lcp_slow` not judged).
    render_resources: Literal["all", "essential"] = "all"
    # Per-page bounds (seology/crawler/limits.py): what a record keeps; the rest is counted.
    crawl_max_links_per_page: Annotated[int, Field(ge=1, le=1_000_000)] = 5000
    crawl_max_images_per_page: Annotated[int, Field(ge=1, le=1_000_000)] = 1000
    crawl_max_json_ld_per_page: Annotated[int, Field(ge=1, le=100_000)] = 100
    crawl_max_headings_per_page: Annotated[int, Field(ge=1, le=1_000_000)] = 1000
    # The crawl's own memory: URLs remembered, links per stored batch, sitemap reading.
    crawl_max_tracked_urls: Annotated[int, Field(ge=100)] = 200_000
    crawl_batch_max_links: Annotated[int, Field(ge=1)] = 20_000
    crawl_max_sitemap_urls: Annotated[int, Field(ge=1)] = 100_000
    crawl_max_sitemap_files: Annotated[int, Field(ge=1, le=10_000)] = 50
    # A site that is down (docs/internals/dead-sites.md): the whole job's wall-time bound,
    # and the wait before the flow tries it again.
    crawl_unreachable_budget: Annotated[float, Field(gt=0, le=3600)] = 180.0
    crawl_unreachable_retry_delay: Annotated[float, Field(ge=0, le=3600)] = 60.0

    # The audit's thresholds (docs/audit-checks.md defaults; seology.audit.config.AuditConfig).
    audit_slow_response_ms: Annotated[float, Field(gt=0)] = 1000.0
    audit_max_html_bytes: Annotated[int, Field(ge=1024)] = 2 * 1024 * 1024
    audit_redirect_chain_min_hops: Annotated[int, Field(ge=2)] = 2
    audit_title_min_chars: Annotated[int, Field(ge=0)] = 30
    audit_title_max_chars: Annotated[int, Field(ge=1)] = 60
    audit_meta_desc_min_chars: Annotated[int, Field(ge=0)] = 70
    audit_meta_desc_max_chars: Annotated[int, Field(ge=1)] = 155
    audit_h1_max_chars: Annotated[int, Field(ge=1)] = 70
    audit_min_word_count: Annotated[int, Field(ge=0)] = 200
    audit_near_duplicate_similarity: Annotated[float, Field(ge=0.5, le=1.0)] = 0.90
    audit_img_alt_max_chars: Annotated[int, Field(ge=1)] = 100
    audit_max_click_depth: Annotated[int, Field(ge=0)] = 3
    audit_max_links: Annotated[int, Field(ge=1)] = 100
    audit_url_max_chars: Annotated[int, Field(ge=1)] = 115
    audit_perf_lcp_max_ms: Annotated[float, Field(gt=0)] = 2500.0
    audit_perf_cls_max: Annotated[float, Field(ge=0)] = 0.1
    audit_perf_max_page_bytes: Annotated[int, Field(ge=1024)] = 3 * 1024 * 1024
    audit_perf_max_requests: Annotated[int, Field(ge=1)] = 100
    audit_perf_max_render_blocking: Annotated[int, Field(ge=0)] = 5

    # Webhooks (docs/webhooks.md): the windows are settings so that tests run in seconds.
    webhook_timeout: Annotated[float, Field(gt=0, le=60)] = 10.0
    webhook_retry_window: Annotated[float, Field(gt=0)] = 86_400.0
    webhook_retry_base_delay: Annotated[float, Field(gt=0)] = 10.0
    webhook_retry_max_delay: Annotated[float, Field(gt=0)] = 3_600.0
    webhook_disable_after: Annotated[float, Field(gt=0)] = 3 * 86_400.0
    webhook_secret_grace: Annotated[float, Field(ge=0)] = 86_400.0
    webhook_health_drop_points: Annotated[float, Field(gt=0, le=100)] = 10.0
    webhook_poll_interval: Annotated[float, Field(gt=0, le=60)] = 1.0
    webhook_concurrency: Annotated[int, Field(ge=1, le=256)] = 32
    #: The key that encrypts endpoint secrets at rest; derived from CRON_SECRET if unset.
    webhook_secret_key: SecretStr | None = None

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("database_url", mode="after")
    @classmethod
    def _sync_driver(cls, value: str | None) -> str | None:
        """The app database is used from sync code: pick a sync driver for bare URLs."""
        if value is None:
            return None
        for bare in ("postgresql://", "postgres://"):
            if value.startswith(bare):
                return "postgresql+psycopg://" + value[len(bare) :]
        if value.startswith("postgresql+asyncpg://"):
            return "postgresql+psycopg://" + value[len("postgresql+asyncpg://") :]
        if value.startswith("sqlite+aiosqlite://"):
            return "sqlite://" + value[len("sqlite+aiosqlite://") :]
        return value

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Settings:
        secret = self.cron_secret.get_secret_value() if self.cron_secret else None
        if secret is not None and len(secret) < MIN_SECRET_LENGTH and not self.local_mode:
            msg = (
                f"CRON_SECRET is {len(secret)} characters long; it must be at least "
                f"{MIN_SECRET_LENGTH}. Generate one with: openssl rand -hex 32"
            )
            raise ValueError(msg)
        return self

    @property
    def resolved_database_url(self) -> str:
        """`SEOLOGY_DATABASE_URL`, or the SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.home / 'seology.db'}"

    def admin_secret(self) -> str:
        """The admin bearer; refuses to serve without one outside local mode."""
        secret = self.cron_secret.get_secret_value() if self.cron_secret else ""
        if not secret:
            if self.local_mode:
                return ""
            msg = (
                "CRON_SECRET is not set. The job API needs it as the admin bearer: "
                "export CRON_SECRET=$(openssl rand -hex 32), or run `seology up`, "
                "which writes one to $SEOLOGY_HOME/.env."
            )
            raise ConfigurationError(msg)
        return secret


def _env_files() -> tuple[Path, ...]:
    home = Path(os.environ.get("SEOLOGY_HOME", DEFAULT_HOME)).expanduser()
    return (Path(".env"), home / ".env")


def load_settings() -> Settings:
    """Read the settings afresh (tests and `seology up` change the environment)."""
    try:
        return Settings(_env_file=_env_files())  # type: ignore[call-arg]
    except ValueError as exc:
        raise ConfigurationError(f"Invalid settings: {exc}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return load_settings()
