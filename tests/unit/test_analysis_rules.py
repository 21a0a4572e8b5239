"""The rules engine of analyze-site: plain functions over page facts, no Prefect, no database."""

from __future__ import annotations

import dataclasses

import pytest

from seology.analysis.model import SiteAnalysis
from seology.analysis.rules import (
    DUPLICATE_RULES,
    PAGE_RULES,
    PageFacts,
    analyze_pages,
    duplicate_rule_urls,
    page_facts,
    page_rule_urls,
    shorten,
    suggest_meta_description,
    suggest_title,
    topic_from_url,
)

GOOD = PageFacts(
    url="https://shop.test/good",
    status_code=200,
    is_html=True,
    title="Hand-made oak tables for small kitchens",  # 39 characters
    meta_description="Oak tables built to order in our workshop, sized for small kitchens, "
    "delivered in two weeks.",
    h1="Oak kitchen tables",
    h1_count=1,
    word_count=640,
)


def page(**changes: object) -> PageFacts:
    """A page that no rule fires for, with `changes` applied."""
    return dataclasses.replace(GOOD, **changes)


def unique_page(slug: str, **changes: object) -> PageFacts:
    """A clean page whose title and description no other page shares."""
    return page(
        url=f"https://shop.test/{slug}",
        title=f"{GOOD.title} ({slug})",
        meta_description=f"{GOOD.meta_description} ({slug})",
        **changes,
    )


def fires(check_id: str, *pages: PageFacts) -> list[str]:
    rules = {rule.check_id: rule for rule in PAGE_RULES}
    return page_rule_urls(rules[check_id], pages)


class TestPageRules:
    def test_good_page_is_clean(self):
        """The reference page triggers no rule: each case below changes one thing."""
        assert analyze_pages([GOOD], site_name="Shop").top_problems == []

    @pytest.mark.parametrize(
        ("check_id", "positive", "negative"),
        [
            ("http.4xx", {"status_code": 404}, {"status_code": 301}),
            ("http.5xx", {"status_code": 503}, {"status_code": 499}),
            ("title.missing", {"title": None}, {"title": "Oak"}),
            # 61 characters fires, 60 does not.
            ("title.too_long", {"title": "x" * 61}, {"title": "x" * 60}),
            # 29 characters fires, 30 does not.
            ("title.too_short", {"title": "x" * 29}, {"title": "x" * 30}),
            ("meta_desc.missing", {"meta_description": None}, {"meta_description": "Oak."}),
            # 156 characters fires, 155 does not.
            (
                "meta_desc.too_long",
                {"meta_description": "x" * 156},
                {"meta_description": "x" * 155},
            ),
            ("h1.missing", {"h1": None}, {"h1": "Tables"}),
            ("h1.multiple", {"h1_count": 2}, {"h1_count": 1}),
            # Thin content: under 200 words; 200 is enough.
            ("content.low_word_count", {"word_count": 199}, {"word_count": 200}),
            ("img.alt_missing", {"images_without_alt": 1}, {"images_without_alt": 0}),
            ("indexability.noindex", {"noindex": True}, {"noindex": False}),
        ],
    )
    def test_rule_fires_on_positive_only(self, check_id, positive, negative):
        """Each rule fires for its positive case and stays quiet for the negative one."""
        assert fires(check_id, page(url="https://shop.test/yes", **positive)) == [
            "https://shop.test/yes"
        ]
        assert fires(check_id, page(url="https://shop.test/no", **negative)) == []

    @pytest.mark.parametrize(
        "check_id", ["title.missing", "meta_desc.missing", "h1.missing", "content.low_word_count"]
    )
    def test_on_page_rules_skip_error_pages(self, check_id):
        """A 404 page without a title is a broken page, not a title problem."""
        broken = page(status_code=404, title=None, meta_description=None, h1=None, word_count=3)
        assert fires(check_id, broken) == []

    def test_on_page_rules_skip_non_html(self):
        """A PDF has no title to fix."""
        assert fires("title.missing", page(is_html=False, title=None)) == []


class TestDuplicateRules:
    @staticmethod
    def urls(check_id: str, *pages: PageFacts) -> list[str]:
        rules = {rule.check_id: rule for rule in DUPLICATE_RULES}
        return duplicate_rule_urls(rules[check_id], pages)

    @pytest.mark.parametrize(
        ("check_id", "field"),
        [("title.duplicate", "title"), ("meta_desc.duplicate", "meta_description")],
    )
    def test_shared_value_fires_for_every_page(self, check_id, field):
        """Two pages with one value (ignoring case) are both affected; a third is not."""
        a = page(url="https://shop.test/a", **{field: "Oak Tables and more"})
        b = page(url="https://shop.test/b", **{field: "oak tables and more"})
        c = page(url="https://shop.test/c", **{field: "Chairs of every kind"})
        assert self.urls(check_id, a, b, c) == ["https://shop.test/a", "https://shop.test/b"]

    @pytest.mark.parametrize(
        ("check_id", "field"),
        [("title.duplicate", "title"), ("meta_desc.duplicate", "meta_description")],
    )
    def test_noindex_and_missing_values_do_not_count(self, check_id, field):
        """Only indexable pages compete in search; pages without the value are another rule."""
        a = page(url="https://shop.test/a", **{field: "Same"})
        b = page(url="https://shop.test/b", noindex=True, **{field: "Same"})
        c = page(url="https://shop.test/c", **{field: None})
        d = page(url="https://shop.test/d", **{field: None})
        assert self.urls(check_id, a, b, c, d) == []


class TestPageFacts:
    def row(self, **record: object) -> dict:
        return {
            "url": "https://shop.test/p",
            "status_code": 200,
            "content_type": "text/html; charset=utf-8",
            "title": "  Oak   tables ",
            "meta_description": "",
            "h1": None,
            "word_count": 300,
            "record": {"is_html": True, **record},
        }

    @pytest.mark.parametrize(
        ("record", "noindex"),
        [
            ({"meta_robots": ["noindex, follow"]}, True),
            ({"meta_robots": ["googlebot: noindex"]}, True),
            ({"x_robots_tag": ["none"]}, True),  # none = noindex, nofollow
            ({"meta_robots": ["index, follow"]}, False),
            ({"x_robots_tag": ["nofollow"]}, False),
            ({}, False),
        ],
    )
    def test_noindex_from_meta_and_header(self, record, noindex):
        """noindex is read from robots metas and X-Robots-Tag, in every form."""
        assert page_facts(self.row(**record)).noindex is noindex

    def test_images_without_alt_attribute(self):
        """alt="" marks a decorative image and is fine; no alt attribute at all is not."""
        images = [{"src": "a.png", "alt": None}, {"src": "b.png", "alt": ""}, {"src": "c.png"}]
        assert page_facts(self.row(images=images)).images_without_alt == 2

    def test_values_cleaned_and_h1_from_headings(self):
        """Whitespace is collapsed, blank values are missing, H1s are counted from headings."""
        facts = page_facts(self.row(headings={"h1": ["Oak", "Ash"], "h2": ["Sizes", " "]}))
        assert facts.title == "Oak tables"
        assert facts.meta_description is None
        assert (facts.h1, facts.h1_count, facts.subheadings) == ("Oak", 2, ("Sizes",))

    def test_row_without_record(self):
        """Pages stored without a record (fetch errors) still yield facts."""
        row = {"url": "https://shop.test/x", "status_code": None, "record": None}
        facts = page_facts(row)
        assert (facts.is_html, facts.noindex, facts.h1_count) == (False, False, 0)


class TestSuggestions:
    def test_shorten_cuts_at_word_boundary(self):
        """Cut text ends on a whole word, and within the limit with its ellipsis."""
        assert shorten("Oak tables for small kitchens", 12) == "Oak tables"
        assert shorten("Oak tables for small kitchens", 13, ellipsis=True) == "Oak tables…"
        assert shorten("short", 10) == "short"

    def test_topic_from_url(self):
        """The last path segment, without extension, reads as words; the root has none."""
        assert topic_from_url("https://shop.test/blog/oak-care_tips.html") == "Oak care tips"
        assert topic_from_url("https://shop.test/") is None

    def test_long_title_shortened(self):
        """A long title becomes its H1, or the title cut to 60 characters."""
        long = "Oak tables, ash tables, walnut tables and every other table you could want"
        assert suggest_title(page(title=long, h1=None), "Shop") == shorten(long, 60)
        assert len(suggest_title(page(title=long, h1=None), "Shop")) <= 60

    def test_short_title_gets_site_name(self):
        """A short topic is completed with the site's name, when it fits."""
        assert suggest_title(page(title="Tables", h1="Oak tables"), "Wood & Co") == (
            "Oak tables | Wood & Co"
        )

    def test_meta_description_composed_from_headings(self):
        """Without a description, one is composed from the H1 and the first H2s."""
        facts = page(meta_description=None, subheadings=("Sizes", "Finishes", "Delivery"))
        assert suggest_meta_description(facts, "Shop") == (
            "Oak kitchen tables: Sizes, Finishes and Delivery. From Shop."
        )

    def test_long_meta_description_trimmed(self):
        """A long description is trimmed to 155 characters with an ellipsis."""
        text = "word " * 60
        suggestion = suggest_meta_description(page(meta_description=text.strip()), "Shop")
        assert len(suggestion) <= 155
        assert suggestion.endswith("…")


class TestAnalyzePages:
    def test_plan_ranks_by_impact_and_labels_the_engine(self):
        """Server errors come before thin content; the plan says it came from the rules."""
        pages = [
            unique_page("a", word_count=20),
            unique_page("b", word_count=20),
            unique_page("c", status_code=500),
        ]
        plan = analyze_pages(pages, site_name="Shop")
        assert plan.engine == "rules"
        assert [p.check_id for p in plan.top_problems] == ["http.5xx", "content.low_word_count"]
        assert plan.top_problems[1].affected_pages == 2
        assert "found 2 kinds of problems" in plan.summary

    def test_samples_quick_wins_and_suggestions(self):
        """At most five sample URLs; quick wins and rewrites for missing titles."""
        pages = [page(url=f"https://shop.test/p{i}", title=None, h1=f"Table {i}") for i in range(7)]
        plan = analyze_pages(pages, site_name="Shop")
        problem = plan.top_problems[0]
        assert (problem.check_id, problem.affected_pages, len(problem.sample_urls)) == (
            "title.missing",
            7,
            5,
        )
        assert plan.quick_wins == ["Add a title to 7 page(s), starting with https://shop.test/p0"]
        assert plan.page_suggestions[0].suggested == "Table 0 | Shop"
        assert {s.field for s in plan.page_suggestions} == {"title"}

    def test_json_shape_is_camel_case(self):
        """The stored and served JSON is camelCase and round-trips through the model."""
        plan = analyze_pages([page(status_code=404)], site_name="Shop")
        data = plan.to_json()
        assert set(data) == {"engine", "summary", "topProblems", "quickWins", "pageSuggestions"}
        assert set(data["topProblems"][0]) == {
            "checkId", "title", "severity", "impact", "affectedPages", "sampleUrls", "howToFix"
        }  # fmt: skip
        assert SiteAnalysis.model_validate(data) == plan
