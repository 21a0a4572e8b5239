"""Per-page bounds: a page yields at most the kept elements, the rest counted, and the
fast parser does not even build what it will not keep."""

from __future__ import annotations

import pytest

from seology.crawler import tree
from seology.crawler.limits import PageLimits
from seology.crawler.parse import parse_html, parse_html_fast, parse_page
from seology.crawler.records import PageRecord
from seology.crawler.strained import FieldSoup

URL = "https://www.example.com/"
HEADERS = [("content-type", "text/html; charset=utf-8")]
SMALL = PageLimits(links=50, images=20, json_ld=3, headings=10, other=5)


def page(*, links: int = 0, images: int = 0, json_ld: int = 0, headings: int = 0) -> bytes:
    parts = ["<html><head><title>t</title></head><body>"]
    parts += [f'<a href="/p/{n}">link {n}</a>' for n in range(links)]
    parts += [f'<img src="http://cdn.example/{n}.png" alt="i{n}">' for n in range(images)]
    parts += ['<script type="application/ld+json">{"n": 1}</script>'] * json_ld
    parts += [f"<h{1 + n % 6}>heading {n}</h{1 + n % 6}>" for n in range(headings)]
    return "".join(parts).encode()


class TestKeptAndCounted:
    def test_links_cut_to_the_bound_and_counted(self):
        """5,000 kept by default; the rest only counted in `capped`."""
        fields = parse_page(page(links=6000), URL, HEADERS)
        assert len(fields["links"]) == 5000
        assert fields["links"][-1]["href"] == "/p/4999"
        assert fields["capped"] == {"links": 6000}

    def test_every_bounded_list(self):
        """Links, images, JSON-LD blocks and headings each stop at their own bound."""
        body = page(links=120, images=45, json_ld=7, headings=33)
        fields = parse_page(body, URL, HEADERS, SMALL)
        assert (len(fields["links"]), len(fields["images"]), len(fields["json_ld"])) == (50, 20, 3)
        assert len(fields["heading_levels"]) == 10
        assert sum(len(texts) for texts in fields["headings"].values()) == 10
        assert fields["headings"]["h1"] == ["heading 0", "heading 6"]
        assert fields["mixed_content"] == [f"http://cdn.example/{n}.png" for n in range(20)]
        assert fields["capped"] == {"links": 120, "images": 45, "json_ld": 7, "headings": 33}
        PageRecord(url=URL, **fields)

    def test_under_the_bounds_nothing_is_capped(self):
        fields = parse_page(page(links=50, images=20, json_ld=3, headings=10), URL, HEADERS, SMALL)
        assert fields["capped"] == {}
        assert len(fields["links"]) == 50

    @pytest.mark.parametrize("max_tree_tags", [tree.MAX_TREE_TAGS, -1])
    def test_fast_and_full_parse_agree_past_the_bounds(self, monkeypatch, max_tree_tags):
        """The reference (full soup, cut afterwards) and the fast path (tree or strained
        soup) give one record."""
        monkeypatch.setattr(tree, "MAX_TREE_TAGS", max_tree_tags)
        body = page(links=400, images=90, json_ld=20, headings=70)
        assert parse_html_fast(body, URL, HEADERS, SMALL) == parse_html(body, URL, HEADERS, SMALL)


class TestNotBuilt:
    """The strained soup, which pages too big for lxml's tree take (forced here)."""

    @pytest.fixture(autouse=True)
    def strained(self, monkeypatch):
        monkeypatch.setattr(tree, "MAX_TREE_TAGS", -1)

    def test_fast_soup_builds_a_bounded_number_of_tags(self):
        """200,000 anchors: the soup holds at most the build bound, and counts the rest."""
        text = page(links=200_000, images=5000).decode()
        limits = PageLimits()
        soup = FieldSoup(text, limits.build_bound)
        assert len(soup.find_all("a")) == limits.build_bound("a")
        assert len(soup.find_all("img")) == limits.build_bound("img")
        assert soup.skipped["links"] == 200_000 - limits.build_bound("a")
        assert soup.skipped["images"] == 5000 - limits.build_bound("img")

    def test_a_skipped_svg_takes_its_titles_and_links_along(self):
        """Past its bound an svg's inner title and links are not the page's."""
        limits = PageLimits(other=1, json_ld=1)
        svg = "<svg><title>icon</title><a href=/s>s</a></svg>"
        body = ("<title>page</title>" + svg * 9).encode()
        fields = parse_html_fast(body, URL, HEADERS, limits)
        assert fields["titles"] == ["page"]
        assert [link["href"] for link in fields["links"]] == ["/s"] * 4
