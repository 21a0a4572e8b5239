"""The render step of a crawl: decide, render, parse the DOM, keep the raw facts beside it.

    rendering = PageRendering(mode, config, ...)      # one per crawl
    fields = await rendering.apply(result, fields)    # after the raw page is parsed

Every page is fetched and parsed raw first (as without rendering). `apply` then
decides whether the page is rendered (`always`; `auto`: when `detect` sees a
client-rendering signal), renders it in the crawl's browser, and parses the rendered
DOM with the same parser (one code path, so a rendered record has every field a raw
one has). The record's fields become the rendered DOM's; the raw facts the `js.*`
checks compare (title, description, robots, canonical, h1, words, links) and the lab
figures `perf.*` judges go to `PageRecord.render`. A failed render keeps the raw
fields and says why in `render.error` (`js.render_failed`). The lab figures of the
pages that rendered also go to `lab.LabFigures`, whose percentiles and slowest pages
the summary gets when rendering is over (the records themselves are not kept).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Awaitable, Callable
from typing import Any

from seology.core.errors import RenderingUnavailable
from seology.core.logs import get_logger
from seology.crawler.browser import find_chromium
from seology.crawler.detect import client_render_signal, render_blocking_count
from seology.crawler.fetch import FetchResult
from seology.crawler.intercept import InterceptRules
from seology.crawler.lab import LabFigures
from seology.crawler.records import (
    Canonical,
    RawFacts,
    RenderFacts,
    RenderingSummary,
    RenderMode,
)
from seology.crawler.render import RenderConfig, Renderer, RenderOutput
from seology.crawler.safety import AddressBook

Parse = Callable[[bytes, str, list[tuple[str, str]]], Awaitable[dict[str, Any]]]
MAX_LINKS_KEPT = 20
_META_CHARSET = re.compile(r"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.I)
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([a-zA-Z0-9_\-:.]+)", re.I)


class PageRendering:
    """Rendering for one crawl; `summary` is what the job result reports."""

    def __init__(
        self,
        mode: RenderMode,
        config: RenderConfig,
        *,
        rules: InterceptRules,
        book: AddressBook,
        site: str,
        parse: Parse,
    ) -> None:
        self.mode, self.config, self.site, self.parse = mode, config, site, parse
        self.summary = RenderingSummary(mode=mode)
        self.lab = LabFigures()
        self.renderer: Renderer | None = None
        if mode == "never":
            return
        found = find_chromium(config.chromium_path)
        if not found.available:
            if mode == "always":
                raise RenderingUnavailable(f"Rendering is unavailable: {found.reason}")
            self._unavailable(found.reason or "unknown")
            return
        assert found.path is not None
        self.renderer = Renderer(
            config, path=found.path, user_agent=rules.user_agent, rules=rules, book=book
        )

    async def __aenter__(self) -> PageRendering:
        if self.mode == "always" and self.renderer is not None:
            await self.renderer.start()  # fails the crawl at once if Chromium cannot start
            self.summary.browser = self.renderer.version
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self.renderer is not None:
                await self.renderer.close()
        finally:
            self.summary.lab = self.lab.summary()  # no page renders after this

    def _unavailable(self, reason: str) -> None:
        self.summary.available = False
        self.summary.unavailable_reason = f"{reason} Pages were crawled as raw HTML."
        self.renderer = None
        get_logger().warning(f"rendering unavailable: {reason} (action=render_unavailable)")

    async def apply(self, result: FetchResult, fields: dict[str, Any]) -> dict[str, Any]:
        """The page's fields, rendered when the mode says so; `fields` are its raw ones."""
        if self.renderer is None or "error" in fields or not _renderable(result):
            return fields
        reason = "always" if self.mode == "always" else client_render_signal(result.body, fields)
        if reason is None:
            return fields
        try:
            output = await self.renderer.render(
                result, site=self.site, navigation_expected=bool(fields.get("meta_refresh"))
            )
        except RenderingUnavailable as exc:
            if self.mode == "always":
                raise
            # Chromium stopped working for good: its remains and the interceptor's
            # connections go now, not with a renderer nobody holds any more.
            renderer, self.renderer = self.renderer, None
            await renderer.close()
            self._unavailable(exc.message)
            return fields
        return await self._merge(result, fields, output, reason)

    async def _merge(
        self, result: FetchResult, raw: dict[str, Any], output: RenderOutput, reason: str
    ) -> dict[str, Any]:
        summary = self.summary
        summary.pages_rendered += 1
        summary.reasons[reason] = summary.reasons.get(reason, 0) + 1
        summary.seconds = round(summary.seconds + output.duration_ms / 1000, 3)
        summary.browser = summary.browser or (self.renderer.version if self.renderer else None)
        rendered: dict[str, Any] = {}
        if output.html is not None:
            url = result.final_url or result.url
            body = _encode(output.html, result.content_type or "")
            rendered = await self.parse(body, url, result.headers)
            if "error" in rendered:
                output.error = f"could not parse the rendered DOM: {rendered['error']}"
        if output.error is not None:
            summary.failures += 1
            return raw | {"render": self._facts(reason, raw, None, output)}
        facts = self._facts(reason, raw, rendered, output, result.body)
        if facts.perf is not None:
            self.lab.add(result.url, facts.perf)
        return rendered | {"render": facts}

    def _facts(
        self,
        reason: str,
        raw: dict[str, Any],
        rendered: dict[str, Any] | None,
        output: RenderOutput,
        body: bytes = b"",
    ) -> RenderFacts:
        only = links_only_rendered(raw, rendered) if rendered is not None else []
        perf = output.perf
        if perf is not None:
            perf.render_blocking = render_blocking_count(body)
        return RenderFacts(
            reason=reason,
            error=output.error,
            duration_ms=output.duration_ms,
            raw=raw_facts(raw),
            links_only_rendered=only[:MAX_LINKS_KEPT],
            links_only_rendered_count=len(only),
            js_errors=output.js_errors,
            blocked_resources=output.blocked,
            perf=perf,
        )


def raw_facts(fields: dict[str, Any]) -> RawFacts:
    """The raw-HTML fields the `js.*` checks compare with the rendered ones."""
    return RawFacts(
        titles=fields.get("titles", []),
        meta_descriptions=fields.get("meta_descriptions", []),
        meta_robots=fields.get("meta_robots", []),
        canonicals=[Canonical(**c) for c in fields.get("canonicals", [])],
        h1s=fields.get("headings", {}).get("h1", []),
        word_count=fields.get("word_count", 0),
        internal_links=len(_internal_targets(fields)),
    )


def links_only_rendered(raw: dict[str, Any], rendered: dict[str, Any]) -> list[str]:
    """Internal link targets of the rendered DOM that the raw HTML does not have."""
    before = set(_internal_targets(raw))
    return [target for target in _internal_targets(rendered) if target not in before]


def _internal_targets(fields: dict[str, Any]) -> list[str]:
    targets = (link.get("target") for link in fields.get("links", ()) if link.get("internal"))
    return list(dict.fromkeys(t for t in targets if t))


def _renderable(result: FetchResult) -> bool:
    """Only pages that answered 2xx with HTML are rendered (as search engines do)."""
    return result.is_html and result.status_code is not None and 200 <= result.status_code < 300


def _encode(html: str, content_type: str) -> bytes:
    """The DOM as bytes the parser decodes back the same way (the declared charset)."""
    for match in (_CT_CHARSET.search(content_type), _META_CHARSET.search(html[:4096])):
        if match is None:
            continue
        try:
            codec = codecs.lookup(match.group(1)).name
        except LookupError:
            continue
        return html.encode(codec, errors="xmlcharrefreplace")
    return html.encode("utf-8")
