"""HTML → PageRecord fields, including hostile input."""

from __future__ import annotations

import pytest

from seology.crawler.fingerprint import hamming
from seology.crawler.parse import decode_html, parse_html, parse_page
from seology.crawler.records import PageRecord

URL = "https://www.example.com/shop/item"
HEADERS = [("content-type", "text/html; charset=utf-8")]

PAGE = """<!DOCTYPE html>
<html lang="en-GB"><head>
<meta charset="utf-8">
<title>  Garden   spade </title>
<meta name="description" content="A sturdy spade.">
<meta name="Robots" content="noindex, follow">
<meta name="googlebot" content="nosnippet">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5; url=/elsewhere">
<meta property="og:title" content="OG spade"><meta property="og:image" content="/s.jpg">
<link rel="canonical" href="/shop/item">
<link rel="alternate" hreflang="de" href="https://www.example.com/de/item">
<link rel="stylesheet" href="http://cdn.example.com/a.css">
<base href="/base/">
<script type="application/ld+json">{"@type": "Product", "name": "Spade"}</script>
<script type="application/ld+json">{"broken": </script>
</head><body>
<header>Header words</header><nav><a href="/nav">Nav</a></nav>
<h1>Spade</h1><h3>Specs</h3><h2>More</h2>
<p>Good steel blade and ash handle.</p>
<img src="/a.jpg"><img src="/b.jpg" alt="">
<img src="http://x.example.com/c.jpg" alt="C" width="10" height="20">
<a href="rel?utm_source=mail&amp;id=3#frag" rel="nofollow sponsored">Related <b>item</b></a>
<a href="https://blog.example.com/">Blog</a>
<a href="/x"><img src="/i.png" alt="Icon"></a>
<a href="javascript:void(0)">JS</a><a href="">Empty</a><a name="anchor-only">no href</a>
<script>var hidden = "not counted words";</script><style>.x{}</style>
<footer>Footer words here</footer>
<link rel="canonical" href="/in-body"><meta name="robots" content="nofollow">
</body></html>"""


@pytest.fixture(scope="module")
def fields():
    headers = [
        *HEADERS,
        ("x-robots-tag", "noarchive"),
        ("x-robots-tag", "googlebot: noindex"),
        ("link", '<https://www.example.com/hdr>; rel="canonical"'),
        ("strict-transport-security", "max-age=63072000"),
        ("x-frame-options", "DENY"),
    ]
    return parse_html(PAGE.encode(), URL, headers)


def test_fields_build_a_page_record(fields):
    """The dict fits PageRecord exactly (no unknown keys, right types)."""
    record = PageRecord(url=URL, **fields)
    assert record.title == "Garden spade"
    assert record.h1 == "Spade"


def test_head_fields(fields):
    """Title, description, viewport, lang, charset, refresh and Open Graph are read."""
    assert fields["titles"] == ["Garden spade"]
    assert fields["meta_descriptions"] == ["A sturdy spade."]
    assert fields["viewport"] == "width=device-width, initial-scale=1"
    assert fields["html_lang"] == "en-GB"
    assert fields["charset"] == "utf-8"
    assert fields["meta_refresh"] == "5; url=/elsewhere"
    assert fields["open_graph"] == {"og:title": "OG spade", "og:image": "/s.jpg"}
    assert fields["base_href"] == "/base/"


def test_robots_directives(fields):
    """Meta robots (googlebot prefixed), X-Robots-Tag per header, robots meta in body."""
    assert fields["meta_robots"] == ["noindex, follow", "googlebot: nosnippet", "nofollow"]
    assert fields["x_robots_tag"] == ["noarchive", "googlebot: noindex"]
    assert fields["robots_meta_in_body"] is True


def test_canonicals_from_head_body_and_header(fields):
    """Each canonical keeps its source; hreflang alternates are listed."""
    assert fields["canonicals"] == [
        {"href": "/shop/item", "source": "head"},
        {"href": "/in-body", "source": "body"},
        {"href": "https://www.example.com/hdr", "source": "header"},
    ]
    assert fields["hreflang"] == [{"lang": "de", "href": "https://www.example.com/de/item"}]


def test_headings_in_order(fields):
    """Texts per level and the levels in document order."""
    assert fields["headings"]["h1"] == ["Spade"]
    assert fields["headings"]["h3"] == ["Specs"]
    assert fields["heading_levels"] == [1, 3, 2]


def test_images_alt_absent_vs_empty(fields):
    """alt is None when the attribute is missing and "" when empty (decorative)."""
    images = fields["images"]
    assert [(i["src"], i["alt"]) for i in images[:3]] == [
        ("/a.jpg", None),
        ("/b.jpg", ""),
        ("http://x.example.com/c.jpg", "C"),
    ]
    assert (images[2]["width"], images[2]["height"]) == ("10", "20")


def test_links(fields):
    """Links resolve against <base href>, lose tracking params, keep rel and text."""
    by_href = {link["href"]: link for link in fields["links"]}
    related = by_href["rel?utm_source=mail&id=3#frag"]
    assert related["target"] == "https://www.example.com/base/rel?id=3"
    assert related["anchor_text"] == "Related item"
    assert related["rel"] == "nofollow sponsored"
    assert related["internal"] is True
    assert by_href["https://blog.example.com/"]["internal"] is False
    assert by_href["/x"]["image_alt"] == "Icon"
    assert by_href["javascript:void(0)"]["target"] is None
    assert by_href[""]["target"] is None
    assert len(fields["links"]) == 6  # <a name> without href is not a link


def test_json_ld_parsed_or_error(fields):
    """Valid JSON-LD is parsed; broken JSON-LD is an error, not an exception."""
    first, second = fields["json_ld"]
    assert first["data"] == {"@type": "Product", "name": "Spade"}
    assert second["data"] is None
    assert "invalid JSON" in second["error"]


def test_security_headers_and_mixed_content(fields):
    """Security headers are picked out; http resources on https pages are listed."""
    assert fields["security_headers"] == {
        "strict-transport-security": "max-age=63072000",
        "x-frame-options": "DENY",
    }
    assert sorted(fields["mixed_content"]) == [
        "http://cdn.example.com/a.css",
        "http://x.example.com/c.jpg",
    ]


def test_word_count_excludes_chrome_and_scripts(fields):
    """nav, header, footer, script and style text is not counted."""
    # Spade Specs More | Good steel blade and ash handle. | Related item Blog JS Empty no href
    assert fields["word_count"] == 3 + 6 + 7


def test_text_hash_and_fingerprint():
    """Same text → same hash; a small edit keeps the SimHash close; other text does not."""
    words = " ".join(f"word{i % 97} item{i % 13}" for i in range(400))
    edited = words.replace("word5 ", "changed ", 3)
    a, b, c = (
        parse_html(f"<p>{t}</p>", URL, HEADERS)
        for t in (words, edited, "completely different text " * 100)
    )
    assert a["text_hash"] == parse_html(f"<div>{words}</div>", URL, HEADERS)["text_hash"]
    assert a["text_hash"] != b["text_hash"]
    assert len(a["text_fingerprint"]) == 16
    assert hamming(a["text_fingerprint"], b["text_fingerprint"]) < hamming(
        a["text_fingerprint"], c["text_fingerprint"]
    )


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("café".encode("latin-1"), "text/html; charset=iso-8859-1", "café"),  # header charset
        (b'<meta charset="windows-1252">caf\xe9', "text/html", "café"),  # meta charset
        ("café".encode(), "text/html", "café"),  # UTF-8 default
        (b"caf\xe9", "text/html; charset=utf-8", "caf\ufffd"),  # lying charset: replaced
        (b"caf\xe9", "text/html; charset=no-such-codec", "caf\ufffd"),  # unknown charset
    ],
)
def test_decode_html(body, content_type, expected):
    """Decoding follows the declared charset and never fails."""
    assert decode_html(body, content_type).endswith(expected)


@pytest.mark.parametrize(
    "body",
    [
        bytes(range(256)) * 200,  # binary served as text/html
        b"\x00" * 10_000,  # NULs only
        b"<html><body>" + b"<div>" * 5000 + b"deep",  # absurd nesting, never closed
        b"<title>unterminated <p>a<a href='http://[bad/'>x</a><img alt=>",  # malformed tags
        b"\xff\xfe<\x00h\x001\x00>\x00",  # UTF-16 BOM bytes read as UTF-8
        b"<meta charset='x-unknown'><p>text</p>",  # unknown charset in meta
        b"",  # empty body
    ],
)
def test_hostile_input_yields_fields(body):
    """Hostile bytes still give a PageRecord-compatible dict, never an exception."""
    fields = parse_page(body, URL, [("content-type", "text/html; charset=bogus")])
    PageRecord(url=URL, **fields)


def test_http_page_has_no_mixed_content():
    """Mixed content only exists on https pages."""
    fields = parse_html('<img src="http://a/i.png">', "http://example.com/", HEADERS)
    assert fields["mixed_content"] == []
