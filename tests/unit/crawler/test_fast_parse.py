"""The fast parse (lxml's tree, or the strained soup for big pages, and an lxml text
pass) gives exactly the full-soup record."""

from __future__ import annotations

import random

import pytest

from bench.crawl.site import render_page
from seology.crawler import tree
from seology.crawler.parse import parse_html, parse_html_fast, parse_page
from seology.crawler.records import PageRecord
from seology.testing.sites import demo_site, generate_site
from tests.unit.crawler.test_parse import PAGE

HEADERS = [("content-type", "text/html; charset=utf-8")]
URLS = ("https://www.example.com/shop/item", "http://example.com/")

HOSTILE = [
    PAGE,  # the field-by-field page of test_parse
    "",  # empty
    "\ufeff<title>BOM first</title><p>after a byte order mark</p>",
    "<title>a</title><svg><title>icon</title><a href='/in-svg'>svg link</a></svg><h1>x</h1>",
    "<html><body><p>x</p></body></html><meta name=robots content=late><link rel=canonical "
    "href=/late>",  # tags after </html>
    "<html><head></head><body>a</body><head><meta name=robots content=r>"
    "<link rel=canonical href=/h></head></html>",  # a head after the body
    "<frameset><frame src=a></frameset><meta name=robots content=f><body><p>x</p>",
    "<ruby>漢<rp>(</rp><rt>kan <a href=/rt>ruby link</a></rt><rp>)</rp></ruby> words here",
    "<template><meta name=robots content=t><a href=/tpl>in template</a><h2>T</h2></template>",
    "<noscript><meta name=robots content=n><img src=/n.gif alt=n></noscript><p>one two</p>",
    "<html lang=de><body><html lang=fr><body lang=x><p>Hallo Welt</p>",
    "<p>a<!-- comment words -->b<?php echo 1 ?>c<![CDATA[ cdata words ]]>d</p>",
    "<a href=/outer>outer <a href=/inner>inner</a> tail</a><a href=/img><img alt=''></a>",
    "<A HREF='/UPPER' REL='NoFollow  UGC'>Upper <IMG SRC=x.png ALT=Up></A><H2>Up</H2>",
    "<pre>  keep   spaces <a href=/pre>  pre link  </a></pre><textarea> t  a </textarea>",
    "<body><script type='application/ld+json'>{\"a\": 1}</script><script>var x;</script>"
    "<script type='application/ld+json; charset=utf-8'>{broken</script><style>p{}</style>",
    "<base href='javascript:alert(1)'><a href='/x'>x</a><a href='y'>y</a>",
    "<base href='//other.example/dir/'><a href='rel'>r</a><a href='/abs'>a</a>",
    "<meta charset=latin1><meta http-equiv=Content-Type content='text/html; charset=koi8-r'>"
    "<meta property=OG:Title content=OG><meta name=viewport content=a><meta name=viewport "
    "content=b><meta http-equiv=refresh content='0; url=/r'>",
    "<div>" * 3000 + "deep text" + "</div>" * 10,  # absurd nesting
    "<title>unterminated <p>a<a href='http://[bad/'>x</a><img alt=>",
    "<p>caf&eacute; &amp; cr&#232;me&nbsp;br&ucirc;l&eacute;e &#x1F600; &bogus;</p>",
    "<nav><p>nav words</p></nav><header>h</header><footer>f</footer><main>main words</main>",
    "<table><tr><td>cell <a href=/t>t</a></td></tr><h3>in table</h3></table>",
    "<select><option>o1<option>o2</select><button>press me</button><input value=v>",
    "<p>text\x00with\x00nuls</p>",
]


def corpus() -> list[bytes]:
    pages = [text.encode() for text in HOSTILE]
    site = [*demo_site().values(), *generate_site(8, seed=5).values()]
    pages += [r.body for r in site if r.body and "html" in (r.content_type or "")]
    rng = random.Random(3)
    pages += [render_page(rng, n, 50, "https://www.example.com").encode() for n in range(4)]
    pages += [
        bytes(range(256)) * 40,  # binary served as text/html
        b"\xff\xfe<\x00h\x001\x00>\x00",  # UTF-16 bytes read as UTF-8
        "<title>Café crème</title><p>latin-1</p>".encode("latin-1"),
    ]
    return pages


@pytest.fixture(params=["tree", "strained"])
def reading(request, monkeypatch):
    """Each page read both ways: lxml's tree, and the strained soup that pages too big
    for a tree take (forced here by a tree bound no page fits)."""
    if request.param == "strained":
        monkeypatch.setattr(tree, "MAX_TREE_TAGS", -1)
    return request.param


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("body", corpus(), ids=lambda b: repr(b[:30]))
def test_fast_path_equals_full_soup(body, url, reading):
    """Every field of the fast path equals the full-soup path's, page by page."""
    assert parse_html_fast(body, url, HEADERS) == parse_html(body, url, HEADERS)


def test_big_pages_take_the_strained_soup(monkeypatch):
    """A page of more tags than a tree should hold is not built as a tree."""
    built = []
    monkeypatch.setattr(tree.TreeFinder, "__init__", lambda self, markup: built.append(1))
    anchors = tree.MAX_TREE_TAGS // 2 + 1
    fields = parse_html_fast(("<p>" + "<a href=/x>x</a>" * anchors).encode(), URLS[1], HEADERS)
    assert built == [] and fields["capped"] == {"links": anchors}


def test_pool_entry_point_uses_the_fast_path():
    """parse_page returns the same dict, valid as a PageRecord."""
    body = PAGE.encode()
    fields = parse_page(body, URLS[0], HEADERS)
    assert fields == parse_html(body, URLS[0], HEADERS)
    PageRecord(url=URLS[0], **fields)
