"""The crawl as a whole, in compact form: what crawl checks need and nothing more.

The audit streams page records once. Page checks judge each record as it passes; the
`SiteIndex` keeps a small `PageFacts` per page (no HTML, no link texts) plus every
URL's answer, so that crawl checks (duplicates, link targets, canonicals, hreflang,
orphans, sitemaps) can run after the stream ends, at 10,000 pages in megabytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from seology.audit import facts
from seology.audit.model import Detail
from seology.audit.robots_rules import SEARCH_AGENT, RobotsRules
from seology.crawler.records import CrawlOutcome, PageRecord, ResourceRecord
from seology.crawler.targets import targets
from seology.crawler.urls import normalize_url, site_host


@dataclass(frozen=True, slots=True)
class Answer:
    """What one URL answered when the crawler asked for it."""

    status: int | None
    error: str | None = None
    location: str | None = None

    @property
    def is_redirect(self) -> bool:
        return self.status is not None and 300 <= self.status < 400

    @property
    def is_broken(self) -> bool:
        """4xx, 5xx or no response at all."""
        return self.status is None or self.status >= 400

    def describe(self) -> str | int:
        return self.status if self.status is not None else f"no response: {self.error}"


@dataclass(slots=True, kw_only=True)
class PageFacts:
    """One parsed 2xx HTML page, as crawl checks see it."""

    url: str
    requested: str
    redirected: bool
    in_sitemap: bool
    indexable: bool
    noindex: bool
    canonical: str | None
    title: str
    meta_desc: str
    h1: str
    text_hash: str | None
    fingerprint: str | None
    word_count: int
    hreflang: tuple[tuple[str, str | None], ...]
    links: tuple[str, ...]
    # External link targets and images whose resource check failed (only those: the
    # index stays small however many resources a page has).
    broken_links: tuple[str, ...] = ()
    broken_images: tuple[str, ...] = ()


def page_facts(record: PageRecord, intern: dict[str, str]) -> PageFacts:
    """The compact facts of a content record; `intern` shares equal URL strings."""
    url = facts.page_url(record)
    targets = dict.fromkeys(
        intern.setdefault(link.target, link.target)
        for link in record.links
        if link.internal and link.target
    )
    return PageFacts(
        url=url,
        requested=record.url,
        redirected=bool(record.redirects),
        in_sitemap=record.in_sitemap,
        indexable=facts.is_indexable(record),
        noindex=facts.is_noindex(record),
        canonical=facts.canonical_url(record),
        title=facts.clean(record.title),
        meta_desc=facts.clean(record.meta_description),
        h1=facts.clean(record.h1),
        text_hash=record.text_hash if record.word_count else None,
        fingerprint=record.text_fingerprint if record.word_count else None,
        word_count=record.word_count,
        hreflang=tuple((h.lang, facts.resolve(h.href, url)) for h in record.hreflang if h.href),
        links=tuple(targets),
    )


class SiteIndex:
    """Every URL's answer and every content page's facts, filled by `add(record)`."""

    def __init__(
        self,
        outcome: CrawlOutcome | None,
        *,
        user_agent: str,
        resources: Iterable[ResourceRecord] = (),
    ) -> None:
        self.outcome = outcome
        self.user_agent = user_agent
        self.resources = {r.url: r for r in resources if r.problem}
        self.start_url = outcome.start_url if outcome else None
        self.answers: dict[str, Answer] = {}
        self.pages: dict[str, PageFacts] = {}
        self.aliases: dict[str, str] = {}
        self.sitemap_listed: dict[str, Answer] = {}
        self.html_pages: set[str] = set()
        self.robots = _robots_rules(outcome)
        self._intern: dict[str, str] = {}
        self._problems: dict[str, Answer] | None = None

    @property
    def site(self) -> str:
        return site_host(self.start_url or next(iter(self.answers), ""))

    @property
    def sitemap_exists(self) -> bool:
        return bool(self.outcome and self.outcome.sitemaps)

    def add(self, record: PageRecord) -> None:
        """Take in one record (page checks have already judged it)."""
        if self.start_url is None and record.depth == 0:
            self.start_url = record.url
        self._add_answers(record)
        self.aliases.setdefault(record.url, facts.page_url(record))
        if record.in_sitemap:
            self.sitemap_listed[record.url] = self.answers[record.url]
        if record.is_html:
            self.html_pages.add(facts.page_url(record))
        url = facts.page_url(record)
        if facts.is_content(record) and self._better(url, record):
            found = self.pages[url] = page_facts(record, self._intern)
            if self.resources:
                found.broken_links, found.broken_images = self._broken(record)

    def _broken(self, record: PageRecord) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The page's external link targets and images whose resource check failed."""
        links: dict[str, None] = {}
        images: dict[str, None] = {}
        for url, kind in targets(record, tags=False):
            if self.resource_failed(url):
                (links if kind == "link" else images)[url] = None
        return tuple(links), tuple(images)

    def resource_failed(self, url: str) -> bool:
        found = self.resources.get(url)
        return found is not None and found.failed

    def _better(self, url: str, record: PageRecord) -> bool:
        """First record of a page wins, except that a direct fetch beats a redirect's."""
        known = self.pages.get(url)
        return known is None or (known.redirected and not record.redirects)

    def _add_answers(self, record: PageRecord) -> None:
        for hop in record.redirects:
            location = normalize_url(hop.location or "", hop.url) if hop.location else None
            self.answers.setdefault(hop.url, Answer(hop.status_code, None, location))
        final = facts.page_url(record)
        if record.status_code is None or not record.redirects:
            self.answers.setdefault(record.url, Answer(record.status_code, record.error))
        elif record.error is None:
            self.answers.setdefault(final, Answer(record.status_code))

    def answer(self, url: str) -> Answer | None:
        """What `url` answered, if the crawl or a resource check asked for it (else None).

        Only resource answers that were not 2xx are kept: a target missing from both
        answered 2xx to a resource check, or was never asked.
        """
        answer = self.answers.get(url)
        if answer is not None:
            return answer
        resource = self.resources.get(url)
        if resource is None:
            return None
        return Answer(resource.status_code, resource.error, resource.location)

    def problem_answers(self) -> dict[str, Answer]:
        """URLs that answered a redirect, an error or nothing (computed once)."""
        if self._problems is None:
            self._problems = {
                url: answer
                for url, answer in self.answers.items()
                if answer.is_redirect or answer.is_broken
            }
        return self._problems

    def page(self, url: str) -> PageFacts | None:
        """The content page at `url`, following a crawled redirect to it."""
        return self.pages.get(url) or self.pages.get(self.aliases.get(url, ""))

    def robots_block(self, url: str) -> str | None:
        """The robots.txt rule disallowing `url` to us or to Googlebot, or None."""
        if self.robots is None:
            return None
        return self.robots.blocking_rule(url, (self.user_agent, SEARCH_AGENT))

    def describe_resource(self, url: str) -> Detail:
        """A failed resource as issue detail: its URL and final status, or why none."""
        resource = self.resources[url]
        final = resource.final_status if resource.final_status is not None else resource.status_code
        status: int | str | None = final if resource.error is None else resource.error
        return {"url": url, "status": status}


def _robots_rules(outcome: CrawlOutcome | None) -> RobotsRules | None:
    if outcome is None or outcome.robots_txt is None:
        return None
    return RobotsRules(outcome.robots_txt)
