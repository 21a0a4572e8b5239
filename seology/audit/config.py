"""The audit's thresholds: docs/audit-checks.md defaults, each one a setting (`SEOLOGY_AUDIT_*`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seology.core.settings import Settings

SIMHASH_BITS = 64


@dataclass(frozen=True, kw_only=True)
class AuditConfig:
    """Every threshold of the audit; the defaults are the spec's.

    A "max" is the largest value that passes (`title_max_chars=60`: 61 characters
    fail); a "min" is the smallest that passes.
    """

    user_agent: str = "SeologyBot"
    slow_response_ms: float = 1000.0
    max_html_bytes: int = 2 * 1024 * 1024
    redirect_chain_min_hops: int = 2
    title_min_chars: int = 30
    title_max_chars: int = 60
    meta_desc_min_chars: int = 70
    meta_desc_max_chars: int = 155
    h1_max_chars: int = 70
    min_word_count: int = 200
    near_duplicate_similarity: float = 0.90
    img_alt_max_chars: int = 100
    max_click_depth: int = 3
    max_links: int = 100
    url_max_chars: int = 115
    perf_lcp_max_ms: float = 2500.0
    perf_cls_max: float = 0.1
    perf_max_page_bytes: int = 3 * 1024 * 1024
    perf_max_requests: int = 100
    perf_max_render_blocking: int = 5

    def __post_init__(self) -> None:
        if not 0.5 <= self.near_duplicate_similarity <= 1.0:
            msg = "near_duplicate_similarity must be between 0.5 and 1.0"
            raise ValueError(msg)

    @property
    def near_duplicate_max_bits(self) -> int:
        """Bits two 64-bit SimHashes may differ in and still be "near-duplicates".

        Similarity is `1 - distance / 64`, so 0.90 allows 6 bits (docs/internals/audit.md).
        """
        return int((1.0 - self.near_duplicate_similarity) * SIMHASH_BITS + 1e-9)

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditConfig:
        """The thresholds the settings describe."""
        return cls(
            user_agent=settings.crawl_user_agent,
            slow_response_ms=settings.audit_slow_response_ms,
            max_html_bytes=settings.audit_max_html_bytes,
            redirect_chain_min_hops=settings.audit_redirect_chain_min_hops,
            title_min_chars=settings.audit_title_min_chars,
            title_max_chars=settings.audit_title_max_chars,
            meta_desc_min_chars=settings.audit_meta_desc_min_chars,
            meta_desc_max_chars=settings.audit_meta_desc_max_chars,
            h1_max_chars=settings.audit_h1_max_chars,
            min_word_count=settings.audit_min_word_count,
            near_duplicate_similarity=settings.audit_near_duplicate_similarity,
            img_alt_max_chars=settings.audit_img_alt_max_chars,
            max_click_depth=settings.audit_max_click_depth,
            max_links=settings.audit_max_links,
            url_max_chars=settings.audit_url_max_chars,
            perf_lcp_max_ms=settings.audit_perf_lcp_max_ms,
            perf_cls_max=settings.audit_perf_cls_max,
            perf_max_page_bytes=settings.audit_perf_max_page_bytes,
            perf_max_requests=settings.audit_perf_max_requests,
            perf_max_render_blocking=settings.audit_perf_max_render_blocking,
        )
