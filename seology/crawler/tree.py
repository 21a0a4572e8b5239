"""The field readers over lxml's own tree: the crawler's everyday parse.

A soup costs Python work for every node of the page: bs4's tree builder is called
back for each start tag, string and end tag, and builds an object for each kept one,
though most of a page (paragraphs, divs, list items) feeds no field. lxml builds its
tree in C from the same libxml2 parse, and `iter(names)` hands the readers only the
tags they read, filtered in C; the readers' Python work is then per field, not per
node (docs/internals/crawler.md has the figures).

The answers must be bs4's (`parse.parse_html` is the reference reading, and
tests/unit/crawler/test_fast_parse.py holds this tree to it), so `TreeFinder` reads
as bs4 does:

- the markup is fed whole to a push parser, as bs4's lxml builder feeds it, after
  dropping a leading byte order mark as bs4 does;
- a multi-valued attribute (`rel`, `class`…) is its whitespace-separated words joined
  by single spaces (bs4 splits them into a list; the readers join it);
- a tag's text is its plain strings: a string inside `script`, `style`, `template`,
  `rt` or `rp` is of another type in bs4, and `get_text()` leaves it out, as it leaves
  out comments and processing instructions.

The tree holds every node of the page, so it is only built for pages of at most
`MAX_TREE_TAGS` tags (`fits`); bigger ones take the strained soup, whose memory the
per-page bounds cap (limits.py).
"""

from __future__ import annotations

import re
from typing import Any

from bs4.builder import HTMLTreeBuilder
from lxml import etree

from seology.crawler.strained import STRING_CONTAINER_TAGS

#: Pages with more `<` than this are parsed by the bounded strained soup instead.
MAX_TREE_TAGS = 20_000
#: Attributes bs4 splits into a list of words, per tag name ("*": every tag).
MULTI_VALUED: dict[str, set[str]] = HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES
_ANY_TAG = MULTI_VALUED.get("*", set())
_WORDS = re.compile(r"\S+")  # bs4's own split of a multi-valued attribute
_CONTAINERS = frozenset(STRING_CONTAINER_TAGS)


def fits(markup: str) -> bool:
    """Whether the page is small enough, in tags, for a whole tree."""
    return markup.count("<") <= MAX_TREE_TAGS


def parse_tree(markup: str) -> Any:
    """lxml's tree of `markup` as bs4's lxml builder parses it (one push-parser feed of
    the whole string, a leading byte order mark dropped); None for an empty page."""
    if markup.startswith("\N{BYTE ORDER MARK}"):
        markup = markup[1:]
    parser = etree.HTMLParser(recover=True)
    parser.feed(markup)
    try:
        return parser.close()
    except etree.XMLSyntaxError:  # nothing a tree can be built from
        return None


def _multi_valued(tag: str, name: str) -> bool:
    return name in _ANY_TAG or name in MULTI_VALUED.get(tag, ())


class TreeFinder:
    """`Finder` over lxml's tree of `markup` (an `lxml.html` element tree)."""

    def __init__(self, markup: str) -> None:
        root = parse_tree(markup)
        # Markup after `</html>` starts a second top-level tree beside the first (bs4
        # puts those tags at the top of its soup): the readers see every top, in order.
        self.tops: list[Any] = []
        if root is not None:
            self.tops = [*reversed(list(root.itersiblings(preceding=True))), root]
            self.tops += root.itersiblings()

    def find_all(self, names: str | tuple[str, ...], attr: str | None = None) -> list[Any]:
        tags = (names,) if isinstance(names, str) else names
        found = [tag for top in self.tops for tag in top.iter(*tags)]
        if attr is None:
            return found
        return [tag for tag in found if tag.get(attr) is not None]

    def name(self, tag: Any) -> str:
        return tag.tag

    def attr(self, tag: Any, name: str) -> str | None:
        value = tag.get(name)
        if value is not None and _multi_valued(tag.tag, name):
            return " ".join(_WORDS.findall(value))
        return value

    def has_attr(self, tag: Any, name: str) -> bool:
        return name in tag.attrib

    def text(self, tag: Any) -> str:
        if tag.tag in _CONTAINERS or self._in_container(tag):
            return ""  # every string in it is of another type in bs4
        if not len(tag):
            return " ".join((tag.text or "").split())
        strings: list[str] = []
        _plain_strings(tag, strings)
        return " ".join(" ".join(strings).split())

    def content(self, tag: Any) -> str:
        return "".join(tag.itertext())

    def inside(self, tag: Any, name: str) -> bool:
        return next(tag.iterancestors(name), None) is not None

    def in_body(self, tag: Any) -> bool:
        return self.inside(tag, "body")

    def first_image_alt(self, anchor: Any) -> str | None:
        for image in anchor.iter("img"):
            if image is not anchor and image.get("alt") is not None:
                return self.attr(image, "alt")
        return None

    def html_lang(self) -> str | None:
        html = next((top for top in self.tops if top.tag == "html"), None)
        return self.attr(html, "lang") if html is not None else None

    def _in_container(self, tag: Any) -> bool:
        return next(tag.iterancestors(*_CONTAINERS), None) is not None


def _plain_strings(element: Any, strings: list[str]) -> None:
    """Append the plain strings under `element` (not a container) in document order."""
    if element.text:
        strings.append(element.text)
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _CONTAINERS:
            _plain_strings(child, strings)
        # a comment's, a processing instruction's or a container's own text is left
        # out; what follows it (its tail) is the parent's string
        if child.tail:
            strings.append(child.tail)
