"""HTML read as search engines read it (docs/audit-checks.md "Reading HTML as search engines do").

Each case runs through both parse paths: the full soup (the reference) and the fast
strained parse the crawler runs must agree, and both must follow the rule.
"""

from __future__ import annotations

from typing import Any

import pytest

from seology.crawler.parse import has_placeholder, parse_html, parse_html_fast

URL = "https://www.example.com/page"
HEADERS = [("content-type", "text/html; charset=utf-8")]


def both(html: str, headers: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The fields of `html`, after checking that the two parse paths agree on them."""
    pairs = [*HEADERS, *(headers or [])]
    full, fast = parse_html(html, URL, pairs), parse_html_fast(html, URL, pairs)
    assert full == fast
    return fast


def test_hreflang_counts_only_in_head() -> None:
    """An alternate in `<body>` is ignored; the one in `<head>` is kept."""
    fields = both(
        '<html><head><link rel="alternate" hreflang="en" href="https://www.example.com/page">'
        '</head><body><p>x</p><link rel="alternate" hreflang="de" href="/de"></body></html>'
    )
    assert fields["hreflang"] == [{"lang": "en", "href": "https://www.example.com/page"}]


def test_canonical_in_body_keeps_its_source() -> None:
    """A canonical in `<body>` is recorded as such (the audit reports and ignores it)."""
    fields = both('<head></head><body><p>x</p><link rel="canonical" href="/c"></body>')
    assert fields["canonicals"] == [{"href": "/c", "source": "body"}]


def test_hreflang_values_are_not_trimmed() -> None:
    """`" x-default"` stays as written, so the audit can call it invalid."""
    fields = both('<head><link rel="alternate" hreflang=" x-default" href="/a"></head>')
    assert fields["hreflang"] == [{"lang": " x-default", "href": "/a"}]


def test_an_alternate_without_href_is_kept_with_an_empty_one() -> None:
    """No href and an empty href both give `href: ""` (`hreflang.missing_href`)."""
    fields = both(
        '<head><link rel="alternate" hreflang="de"><link rel="alternate" hreflang="fr" href="">'
        "</head>"
    )
    assert fields["hreflang"] == [{"lang": "de", "href": ""}, {"lang": "fr", "href": ""}]


def test_rel_and_attribute_names_are_case_insensitive() -> None:
    """`REL="Canonical"`, `HREFLANG=` and `HREF=` are the same as their lowercase forms."""
    fields = both(
        '<head><LINK REL="Canonical" HREF="/c"><link Rel="ALTERNATE" HrefLang="en-GB" '
        'Href="/gb"></head>'
    )
    assert fields["canonicals"] == [{"href": "/c", "source": "head"}]
    assert fields["hreflang"] == [{"lang": "en-GB", "href": "/gb"}]


@pytest.mark.parametrize(
    ("header", "canonicals", "hreflang"),
    [
        # parameter names and rel values in any case
        ('<https://www.example.com/c>; REL="Canonical"', ["https://www.example.com/c"], []),
        # a quoted hreflang is kept as written, a bare one loses surrounding spaces
        ('<https://www.example.com/x>; rel=alternate; hreflang=" x-default"', [],
         [{"lang": " x-default", "href": "https://www.example.com/x"}]),
        ("<https://www.example.com/de>; rel=alternate; hreflang= de ", [],
         [{"lang": "de", "href": "https://www.example.com/de"}]),
        # two values in one header
        ('<https://www.example.com/c>; rel="canonical", <https://www.example.com/fr>; '
         'rel="alternate"; hreflang="fr"', ["https://www.example.com/c"],
         [{"lang": "fr", "href": "https://www.example.com/fr"}]),
    ],
)  # fmt: skip
def test_link_headers_follow_the_same_rules(header, canonicals, hreflang) -> None:
    fields = both("<head></head><body><p>x</p></body>", [("link", header)])
    assert [c["href"] for c in fields["canonicals"]] == canonicals
    assert [c["source"] for c in fields["canonicals"]] == ["header"] * len(canonicals)
    assert fields["hreflang"] == hreflang


def test_anchor_with_onclick_and_no_href_is_an_uncrawlable_link() -> None:
    """`<a onclick>` is kept (empty href, `onclick`); with `role` or `name` it is not a
    link (Lighthouse passes it); a bare `<a>` is not a link either."""
    fields = both(
        "<body><a onclick=\"window.open('/x')\">Open</a><a onclick='go()' role=button>B</a>"
        "<a name=top>top</a><a>nothing</a><a href='javascript:go()'>JS</a></body>"
    )
    links = [(link["href"], link["onclick"], link["target"]) for link in fields["links"]]
    assert links == [("", True, None), ("javascript:go()", False, None)]


def test_links_inside_svg_count() -> None:
    """`<a href>` and `<a xlink:href>` inside `<svg>` are links like any other."""
    fields = both(
        '<body><svg><a href="/svg-href"><text>One</text></a>'
        '<a xlink:href="/svg-xlink"><text>Two</text></a></svg></body>'
    )
    targets = [link["target"] for link in fields["links"]]
    assert targets == ["https://www.example.com/svg-href", "https://www.example.com/svg-xlink"]


@pytest.mark.parametrize(
    ("html", "flag"),
    [
        ("<body><p>Lorem ipsum dolor sit amet.</p></body>", True),
        ("<body><main><div>LOREM\n   Ipsum</div></main></body>", True),  # case, whitespace
        ("<body><p>Lorem, ipsum</p></body>", False),  # not the phrase
        ("<body><script>var t = 'lorem ipsum';</script><p>x</p></body>", False),  # not visible
        ("<body><nav>lorem ipsum</nav><p>x</p></body>", False),  # chrome is not body text
    ],
)
def test_placeholder_text_is_flagged_from_the_visible_body_text(html: str, flag: bool) -> None:
    assert both(html)["placeholder_text"] is flag


def test_has_placeholder() -> None:
    assert has_placeholder("Some lorem\tipsum text")
    assert not has_placeholder("lorem-ipsum")
