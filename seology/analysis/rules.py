"""The offline analysis engine: SEO rules over a crawl's pages, no AI, no network.

Each rule is data (`PageRule`, `DuplicateRule`): a check id from docs/audit-checks.md, a
severity, an impact from 1 to 10, a fix, and a predicate over `PageFacts`. The engine
applies every rule, ranks what fired by impact and reach, and writes deterministic
rewrites of titles and meta descriptions from each page's own H1, title, headings and
URL. The result is a `SiteAnalysis` labelled engine "rules", the same model the Claude
engine fills, so that every consumer reads one shape.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from seology.analysis.model import PageSuggestion, Problem, Severity, SiteAnalysis

TITLE_MIN, TITLE_MAX = 30, 60
META_DESC_MAX = 155
THIN_CONTENT_WORDS = 200
#: The plan lists this many problems at most, and this many rewrites.
MAX_PROBLEMS = 10
MAX_QUICK_WINS = 5
MAX_SUGGESTIONS = 20
SAMPLE_URLS = 5


@dataclass(frozen=True, kw_only=True)
class PageFacts:
    """What the rules read of one crawled URL."""

    url: str
    status_code: int | None = None
    is_html: bool = True
    title: str | None = None
    meta_description: str | None = None
    h1: str | None = None
    h1_count: int = 0
    word_count: int | None = None
    images_without_alt: int = 0
    noindex: bool = False
    subheadings: tuple[str, ...] = ()

    @property
    def is_content(self) -> bool:
        """An HTML page that answered 2xx: the only kind whose on-page SEO matters."""
        return self.is_html and self.status_code is not None and 200 <= self.status_code < 300

    @property
    def is_indexable(self) -> bool:
        return self.is_content and not self.noindex


def _clean(text: str | None) -> str | None:
    """Whitespace collapsed; an empty or blank value is no value."""
    if text is None:
        return None
    return " ".join(text.split()) or None


def _has_noindex(directive: str) -> bool:
    """`noindex` or `none` in a robots value, also in the `googlebot: noindex` form."""
    tokens = {token.strip() for token in re.split(r"[,:]", directive.lower())}
    return bool(tokens & {"noindex", "none"})


def page_facts(row: dict[str, Any]) -> PageFacts:
    """Facts of a `pages` row; its `record` is read as a dict, tolerant of older crawls."""
    record = row.get("record") or {}
    headings = record.get("headings") or {}
    robots = [*(record.get("meta_robots") or []), *(record.get("x_robots_tag") or [])]
    content_type = row.get("content_type") or ""
    return PageFacts(
        url=row["url"],
        status_code=row.get("status_code"),
        is_html=bool(record.get("is_html")) or "html" in content_type.lower(),
        title=_clean(row.get("title")),
        meta_description=_clean(row.get("meta_description")),
        h1=_clean(row.get("h1")) or next(filter(None, map(_clean, headings.get("h1", []))), None),
        h1_count=len(headings.get("h1") or []),
        word_count=row.get("word_count"),
        images_without_alt=sum(1 for img in record.get("images") or [] if img.get("alt") is None),
        noindex=any(_has_noindex(value) for value in robots),
        subheadings=tuple(filter(None, map(_clean, headings.get("h2") or [])))[:3],
    )


# --- the rules -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Rule:
    """What every rule says about its problem."""

    check_id: str
    title: str
    severity: Severity
    impact: int
    how_to_fix: str
    #: A quick win's wording, `{n}` pages and a `{url}` to start with; None = not quick.
    quick_win: str | None = None


@dataclass(frozen=True, kw_only=True)
class PageRule(Rule):
    """A rule that judges one page at a time."""

    applies: Callable[[PageFacts], bool]


@dataclass(frozen=True, kw_only=True)
class DuplicateRule(Rule):
    """A rule that fires for indexable pages sharing one value of `key`."""

    key: Callable[[PageFacts], str | None]


def _status_between(low: int, high: int) -> Callable[[PageFacts], bool]:
    return lambda p: p.status_code is not None and low <= p.status_code <= high


PAGE_RULES: tuple[PageRule, ...] = (
    PageRule(
        check_id="http.5xx", title="Pages answer with a server error (5xx)",
        severity="error", impact=10, applies=_status_between(500, 599),
        how_to_fix="Check the server logs for these URLs and fix the failing handlers; "
        "search engines drop pages that keep failing.",
    ),
    PageRule(
        check_id="http.4xx", title="Broken pages (4xx)", severity="error", impact=9,
        applies=_status_between(400, 499),
        how_to_fix="Restore the pages, 301-redirect them to their replacements, or remove "
        "the internal links that point at them.",
    ),
    PageRule(
        check_id="title.missing", title="Pages without a title", severity="error", impact=8,
        applies=lambda p: p.is_content and p.title is None,
        how_to_fix="Give every page a unique `<title>` of 30–60 characters naming its topic.",
        quick_win="Add a title to {n} page(s), starting with {url}",
    ),
    PageRule(
        check_id="indexability.noindex", title="Pages excluded from search (noindex)",
        severity="warning", impact=7, applies=lambda p: p.is_content and p.noindex,
        how_to_fix="Remove `noindex` from the robots meta tag or X-Robots-Tag header of "
        "every page that should rank; keep it only on pages meant to stay out.",
    ),
    PageRule(
        check_id="meta_desc.missing", title="Pages without a meta description",
        severity="warning", impact=5, applies=lambda p: p.is_content and not p.meta_description,
        how_to_fix="Write a meta description of 70–155 characters that sums up the page and "
        "invites the click.",
        quick_win="Write meta descriptions for {n} page(s), starting with {url}",
    ),
    PageRule(
        check_id="h1.missing", title="Pages without an H1 heading", severity="warning",
        impact=5, applies=lambda p: p.is_content and p.h1 is None,
        how_to_fix="Give each page one `<h1>` that states its main topic.",
    ),
    PageRule(
        check_id="content.low_word_count", title="Thin content (under 200 words)",
        severity="warning", impact=5,
        applies=lambda p: p.is_content and p.word_count is not None
        and p.word_count < THIN_CONTENT_WORDS,
        how_to_fix="Expand these pages with useful, original text, or merge them into "
        "stronger pages and redirect.",
    ),
    PageRule(
        check_id="title.too_long", title="Titles longer than 60 characters",
        severity="warning", impact=4,
        applies=lambda p: p.is_content and p.title is not None and len(p.title) > TITLE_MAX,
        how_to_fix="Shorten titles to 60 characters or fewer, most important words first; "
        "search results cut the rest.",
        quick_win="Shorten {n} title(s) to 60 characters, starting with {url}",
    ),
    PageRule(
        check_id="img.alt_missing", title="Images without alt text", severity="warning",
        impact=4, applies=lambda p: p.is_content and p.images_without_alt > 0,
        how_to_fix='Add an alt attribute describing each image (alt="" for purely '
        "decorative images).",
        quick_win="Add alt text to the images of {n} page(s), starting with {url}",
    ),
    PageRule(
        check_id="title.too_short", title="Titles shorter than 30 characters",
        severity="notice", impact=3,
        applies=lambda p: p.is_content and p.title is not None and len(p.title) < TITLE_MIN,
        how_to_fix="Lengthen short titles with the page's topic and a qualifier (30–60 "
        "characters).",
        quick_win="Lengthen {n} short title(s), starting with {url}",
    ),
    PageRule(
        check_id="meta_desc.too_long", title="Meta descriptions longer than 155 characters",
        severity="notice", impact=2,
        applies=lambda p: p.is_content and p.meta_description is not None
        and len(p.meta_description) > META_DESC_MAX,
        how_to_fix="Trim meta descriptions to 155 characters so they are not cut off.",
    ),
    PageRule(
        check_id="h1.multiple", title="Pages with more than one H1", severity="notice",
        impact=2, applies=lambda p: p.is_content and p.h1_count > 1,
        how_to_fix="Keep one `<h1>` per page and demote the others to `<h2>`.",
    ),
)  # fmt: skip

DUPLICATE_RULES: tuple[DuplicateRule, ...] = (
    DuplicateRule(
        check_id="title.duplicate", title="Duplicate titles", severity="warning", impact=6,
        key=lambda p: p.title.lower() if p.title else None,
        how_to_fix="Make each title unique: name what this page offers that the others don't.",
    ),
    DuplicateRule(
        check_id="meta_desc.duplicate", title="Duplicate meta descriptions",
        severity="warning", impact=4,
        key=lambda p: p.meta_description.lower() if p.meta_description else None,
        how_to_fix="Write a distinct meta description for each page.",
    ),
)  # fmt: skip


def page_rule_urls(rule: PageRule, pages: Iterable[PageFacts]) -> list[str]:
    """The URLs of `pages` that `rule` fires for."""
    return [page.url for page in pages if rule.applies(page)]


def duplicate_rule_urls(rule: DuplicateRule, pages: Iterable[PageFacts]) -> list[str]:
    """The URLs of indexable pages whose `rule.key` value is shared with another page."""
    groups: dict[str, list[str]] = defaultdict(list)
    for page in pages:
        value = rule.key(page) if page.is_indexable else None
        if value is not None:
            groups[value].append(page.url)
    return [url for urls in groups.values() if len(urls) > 1 for url in urls]


def _problem(rule: Rule, urls: list[str]) -> Problem:
    return Problem(
        check_id=rule.check_id,
        title=rule.title,
        severity=rule.severity,
        impact=rule.impact,
        affected_pages=len(urls),
        sample_urls=urls[:SAMPLE_URLS],
        how_to_fix=rule.how_to_fix,
    )


def find_problems(pages: list[PageFacts]) -> list[tuple[Rule, list[str]]]:
    """Every rule that fires, with its URLs, the most important first."""
    fired: list[tuple[Rule, list[str]]] = []
    for rule in PAGE_RULES:
        fired.append((rule, page_rule_urls(rule, pages)))
    for dup_rule in DUPLICATE_RULES:
        fired.append((dup_rule, duplicate_rule_urls(dup_rule, pages)))
    fired = [(rule, urls) for rule, urls in fired if urls]
    return sorted(fired, key=lambda item: (item[0].impact, len(item[1])), reverse=True)


def quick_wins(fired: list[tuple[Rule, list[str]]]) -> list[str]:
    """Cheap fixes worth doing this week, in order of impact."""
    wins = [
        rule.quick_win.format(n=len(urls), url=urls[0])
        for rule, urls in fired
        if rule.quick_win is not None
    ]
    return wins[:MAX_QUICK_WINS]


# --- rewrites --------------------------------------------------------------------------


def shorten(text: str, limit: int, *, ellipsis: bool = False) -> str:
    """`text` cut at the last word boundary that fits in `limit` characters."""
    if len(text) <= limit:
        return text
    room = limit - 1 if ellipsis else limit
    cut = text[: room + 1].rsplit(" ", 1)[0] if " " in text[:room] else text[:room]
    cut = cut.rstrip(" ,;:-–—|")
    return f"{cut}…" if ellipsis else cut


def topic_from_url(url: str) -> str | None:
    """`https://x.test/blog/seo-tips.html` → "Seo tips"; None for the root."""
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    words = re.sub(r"\.[a-z0-9]+$", "", segment).replace("-", " ").replace("_", " ").split()
    return " ".join(words).capitalize() or None


def suggest_title(page: PageFacts, site_name: str) -> str:
    """A 30–60 character title from the page's H1, title or URL, plus the site name."""
    topic = page.h1 or page.title or topic_from_url(page.url) or site_name
    title = shorten(topic, TITLE_MAX)
    with_site = f"{title} | {site_name}"
    needs_site = len(title) < TITLE_MIN and site_name.lower() not in title.lower()
    return with_site if needs_site and len(with_site) <= TITLE_MAX else title


def suggest_meta_description(page: PageFacts, site_name: str) -> str:
    """A description within 155 characters: the current one trimmed, or one composed."""
    if page.meta_description:
        return shorten(page.meta_description, META_DESC_MAX, ellipsis=True)
    topic = page.h1 or page.title or topic_from_url(page.url) or site_name
    if page.subheadings:
        covers = ", ".join(page.subheadings[:-1])
        covers = f"{covers} and {page.subheadings[-1]}" if covers else page.subheadings[0]
        text = f"{topic}: {covers}. From {site_name}."
    else:
        text = f"{topic}. Read more on {site_name}."
    return shorten(text, META_DESC_MAX, ellipsis=True)


def _title_reason(page: PageFacts) -> str | None:
    if page.title is None:
        return "The page has no title; search results would show an invented one."
    if len(page.title) > TITLE_MAX:
        return f"The title is {len(page.title)} characters; search results cut it near 60."
    if len(page.title) < TITLE_MIN:
        return f"The title is {len(page.title)} characters; it says too little to rank."
    return None


def _meta_reason(page: PageFacts) -> str | None:
    if page.meta_description is None:
        return "The page has no meta description; search engines pick a snippet themselves."
    if len(page.meta_description) > META_DESC_MAX:
        return f"The description is {len(page.meta_description)} characters; it gets cut off."
    return None


def page_suggestions(pages: list[PageFacts], site_name: str) -> list[PageSuggestion]:
    """Rewrites of the titles and descriptions the rules complain about."""
    suggestions: list[PageSuggestion] = []
    for page in (p for p in pages if p.is_content):
        suggestions.extend(_suggestions_for(page, site_name))
    return suggestions[:MAX_SUGGESTIONS]


def _suggestions_for(page: PageFacts, site_name: str) -> list[PageSuggestion]:
    found = []
    for field, reason, suggested, current in (
        ("title", _title_reason(page), suggest_title, page.title),
        ("meta_description", _meta_reason(page), suggest_meta_description, page.meta_description),
    ):
        proposal = suggested(page, site_name) if reason else None
        if reason and proposal and proposal != current:
            found.append(
                PageSuggestion(
                    url=page.url, field=field, current=current, suggested=proposal, reason=reason
                )
            )
    return found


# --- the engine ------------------------------------------------------------------------


def _pages(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def summarize(pages: list[PageFacts], problems: list[Problem]) -> str:
    """One paragraph: what was checked, how much is wrong, what to fix first."""
    content = sum(1 for page in pages if page.is_content)
    checked = f"The rules engine checked {len(pages)} pages ({content} HTML pages answering 2xx)"
    if not problems:
        return f"{checked} and found no problems."
    first = problems[0]
    return (
        f"{checked} and found {len(problems)} kinds of problems. Fix first: "
        f"{first.title.lower()} ({_pages(first.affected_pages)}, {first.severity})."
    )


def analyze_pages(pages: list[PageFacts], *, site_name: str) -> SiteAnalysis:
    """The whole rules analysis of one crawl's pages."""
    fired = find_problems(pages)
    problems = [_problem(rule, urls) for rule, urls in fired][:MAX_PROBLEMS]
    return SiteAnalysis(
        engine="rules",
        summary=summarize(pages, problems),
        top_problems=problems,
        quick_wins=quick_wins(fired),
        page_suggestions=page_suggestions(pages, site_name),
    )
