"""The streamed text pass gives the text lxml's tree holds, string for string."""

from __future__ import annotations

import random

import pytest
from lxml import etree

from bench.crawl.site import render_page
from seology.crawler.parse import decode_html
from seology.crawler.strained import HIDDEN_TAGS, visible_text
from seology.crawler.tree import parse_tree
from tests.unit.crawler.test_fast_parse import corpus

_NOT_TEXT = (*HIDDEN_TAGS, "rt", "rp")
_TEXT = etree.XPath(
    ".//text()[not(" + " or ".join(f"ancestor::{name}" for name in _NOT_TEXT) + ")]",
    smart_strings=False,
)
_AT_DEPTH_LIMIT = etree.XPath("boolean(" + "/*" * 256 + ")")
_BODIES = etree.XPath(
    "//body[not(" + " or ".join(f"ancestor::{name}" for name in HIDDEN_TAGS) + ")]"
)
EDGES = [
    "<body><template><body>x</body></template><p>y</p>",  # a body inside a hidden tag
    "<head><body>z</body></head>",
    "no tags at all",
    "<!--c-->a<!--d-->b",  # comments split strings
    "<p>a<br>b</p><?pi x?>c",
    "<html><body>a</body></html>tail text",
    "<nav><body>n</body></nav><body>real</body>",
    "<table>a<tr>b<td>c</td></tr></table>",  # text moved out of tables
    "<svg><text>s</text></svg>after",
    "<div>" * 300 + "deep",  # past libxml2's depth limit
]


def tree_text(markup: str) -> str | None:
    """The reference: lxml's tree, walked by XPath (the text pass before streaming)."""
    root = parse_tree(markup)
    if root is None:
        return ""
    if _AT_DEPTH_LIMIT(root):
        return None
    bodies = _BODIES(root)
    return " ".join(_TEXT(bodies[0] if bodies else root))


def pages() -> list[str]:
    found = [decode_html(body, "text/html; charset=utf-8") for body in corpus()]
    rng = random.Random(9)
    found += [render_page(rng, n, 50, "https://www.example.com") for n in range(20)]
    return [page.replace("\x00", "") for page in found] + EDGES


@pytest.mark.parametrize("markup", pages())
def test_streamed_text_equals_the_tree_text(markup):
    assert visible_text(markup) == tree_text(markup)
