"""What the field readers ask of a parsed page, and bs4's answers.

The readers in `parse.py` (meta tags, links, headings, images…) are written once,
against `Finder`: find tags by name, then read a tag's name, attributes and text.
Three trees answer it: the full soup (`SoupFinder`, the reference reading), the
strained soup (`strained.TagIndex`, bounded for hostile pages) and lxml's own tree
(`tree.TreeFinder`, the everyday one). The soups share `SoupReading`; lxml's tree
reads as bs4 does (tests/unit/crawler/test_fast_parse.py holds all three to one
record).
"""

from __future__ import annotations

from typing import Any, Protocol

from bs4 import BeautifulSoup, Tag


class Finder(Protocol):
    """A parsed page as the field readers see it. Tags are opaque to the readers."""

    def find_all(self, names: str | tuple[str, ...], attr: str | None = None) -> list[Any]:
        """Tags named `names` (having attribute `attr`), in document order."""
        ...

    def name(self, tag: Any) -> str: ...

    def attr(self, tag: Any, name: str) -> str | None:
        """An attribute as one string (a multi-valued one, e.g. `rel`, joined by single
        spaces, as bs4 gives it), or None."""
        ...

    def has_attr(self, tag: Any, name: str) -> bool: ...

    def text(self, tag: Any) -> str:
        """The tag's text as a reader shows it: its plain strings (not script, style,
        template or ruby annotations, not comments), whitespace collapsed."""
        ...

    def content(self, tag: Any) -> str:
        """A script's or style's own text (`tag.get_text()` of bs4)."""
        ...

    def inside(self, tag: Any, name: str) -> bool:
        """Whether an ancestor of `tag` is named `name`."""
        ...

    def in_body(self, tag: Any) -> bool:
        """Whether `tag` sits inside `<body>`."""
        ...

    def first_image_alt(self, anchor: Any) -> str | None:
        """The alt of the first `<img alt>` inside `anchor` (an image link's text)."""
        ...

    def html_lang(self) -> str | None:
        """`lang` of the first `<html>` tag."""
        ...


class SoupReading:
    """The reading of bs4 tags, shared by the full and the strained soup."""

    def name(self, tag: Tag) -> str:
        return tag.name

    def attr(self, tag: Tag, name: str) -> str | None:
        value = tag.get(name)
        if isinstance(value, list):
            return " ".join(value)
        return value

    def has_attr(self, tag: Tag, name: str) -> bool:
        return name in tag.attrs

    def text(self, tag: Tag) -> str:
        return " ".join(tag.get_text(" ").split())

    def content(self, tag: Tag) -> str:
        return tag.get_text()

    def inside(self, tag: Tag, name: str) -> bool:
        """`tag.find_parent(name) is not None` without building a SoupStrainer each call."""
        parent = tag.parent
        while parent is not None:
            if parent.name == name:
                return True
            parent = parent.parent
        return False

    def first_image_alt(self, anchor: Tag) -> str | None:
        """`anchor.find("img", alt=True)["alt"]` without bs4's filter objects per link."""
        for node in anchor.descendants:
            if isinstance(node, Tag) and node.name == "img" and node.get("alt") is not None:
                return self.attr(node, "alt")
        return None


class SoupFinder(SoupReading):
    """`Finder` over a whole soup by bs4's own `find_all`: the plain reading."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.soup = soup

    def find_all(self, names: str | tuple[str, ...], attr: str | None = None) -> list[Tag]:
        return list(self.soup.find_all(names, **({attr: True} if attr else {})))

    def in_body(self, tag: Tag) -> bool:
        return self.inside(tag, "body")

    def html_lang(self) -> str | None:
        html = self.soup.find("html")
        return self.attr(html, "lang") if isinstance(html, Tag) else None
