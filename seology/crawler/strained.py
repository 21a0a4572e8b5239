"""The bounded parse: a strained soup for the tag fields, and the lxml text pass.

Everyday pages are read from lxml's tree (`tree.py`), which holds every node of the
page; a page of more tags than a tree should hold comes here. Building a full
BeautifulSoup tree costs a Python object per tag and per string, and most of a page
(paragraphs, divs, list items) holds no SEO field except its words, so `FieldSoup`
keeps only the tags the record reads (and everything inside them), up to the per-page
build bounds (`limits.py`). The visible text of every page comes from `visible_text`:
one lxml parse of the same string, read by a parser target.

The result must equal the full-soup path (`parse.parse_html`) field for field, so:

- every tag whose strings bs4 types specially (`script`, `style`, `template`, `rt`,
  `rp`) is kept, so that the strings inside kept tags get the same types;
- `svg` is kept, so that `find_parent("svg")` still sees it for `<title>`;
- the two facts a strained tree loses are recorded while parsing: which kept tags sit
  inside `<body>` (canonical source, robots meta in body) and the `<html>` attributes;
- the text pass feeds lxml the same string through the same libxml2 HTML parser, and
  keeps the strings `body.get_text()` keeps after the hidden tags are removed.

tests/unit/crawler/test_fast_parse.py holds `parse_html` and `parse_html_fast` to the
same record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bs4 import BeautifulSoup, Tag
from bs4.builder import LXMLTreeBuilder
from bs4.filter import ElementFilter
from lxml import etree

from seology.crawler.reading import SoupReading
from seology.crawler.text_pass import TextCollector

# Tags whose text is not the page's content (word count, text hash, SimHash).
HIDDEN_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "head")
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# bs4 gives the strings inside these their own types (Script, Stylesheet, RubyText...).
STRING_CONTAINER_TAGS = ("script", "style", "template", "rt", "rp")
KEEP_TAGS = frozenset(
    ("title", "meta", "link", "base", "a", "img", "svg", *HEADING_TAGS, *STRING_CONTAINER_TAGS)
)
# get_text() leaves out strings of the special types; the word count leaves out chrome.
_NOT_TEXT = (*HIDDEN_TAGS, "rt", "rp")
# The record field each bounded tag feeds, for the count of what was not built.
_FIELD_OF = {"a": "links", "img": "images", "script": "json_ld", "title": "titles"}
_FIELD_OF.update(dict.fromkeys(HEADING_TAGS, "headings"))
# Past their bound these go with all they hold: their titles and links are not the page's.
_SKIP_SUBTREE = frozenset(("svg", "template"))


def _is_json_ld(attrs: Any) -> bool:
    kind = str((attrs or {}).get("type") or "")
    return kind.split(";")[0].strip().lower() == "application/ld+json"


class TagIndex(SoupReading):
    """`Finder` over a `FieldSoup`, answered from one walk of the tree, tags bucketed by name.

    bs4's `find_all` builds and runs its match rules on every node, once per call; the
    field readers make about ten calls a page, so one walk is cheaper.
    """

    def __init__(self, soup: FieldSoup) -> None:
        self.soup = soup
        self.by_name: dict[str, list[tuple[int, Tag]]] = defaultdict(list)
        for position, node in enumerate(soup.descendants):
            if isinstance(node, Tag):
                self.by_name[node.name].append((position, node))

    def find_all(self, names: str | tuple[str, ...], attr: str | None = None) -> list[Tag]:
        """Tags named `names` (having attribute `attr`), in document order."""
        if isinstance(names, str):
            found = self.by_name.get(names, [])
        else:
            found = sorted(
                (pair for name in names for pair in self.by_name.get(name, [])),
                key=lambda pair: pair[0],
            )
        return [tag for _, tag in found if attr is None or tag.get(attr) is not None]

    def in_body(self, tag: Tag) -> bool:
        return self.soup.in_body(tag)

    def html_lang(self) -> str | None:
        return self.soup.html_lang()


class KeepFieldTags(ElementFilter):
    """Keep a top-level tag only if a record field reads it (a set lookup per tag).

    bs4's SoupStrainer matches names through its rule objects, which costs more than it
    saves here (docs/internals/crawler.md).
    """

    def allow_tag_creation(
        self, nsprefix: str | None, name: str, attrs: dict[str, Any] | None
    ) -> bool:
        return name in KEEP_TAGS

    def allow_string_creation(self, string: str) -> bool:
        return False


class FieldTreeBuilder(LXMLTreeBuilder):
    """bs4's lxml tree builder, minus the work the strained soup throws away.

    lxml calls `start`, `data` and `end` for every node; bs4's builder copies the
    attributes twice (namespace handling) before the soup's filter refuses the tag, and
    collects every string before the soup drops it. Outside a kept tag (the soup's
    stack holds only the document) nothing is ever kept, so those events only update
    `FieldSoup`'s notes; inside kept tags, plain HTML (no namespaces: lxml's HTML
    parser gives none, and a name or attribute starting with "{" takes bs4's own path)
    goes to `handle_starttag` with one attribute copy. The tree is bs4's own, node for
    node: tests/unit/crawler/test_fast_parse.py holds the record to the full soup's.
    """

    soup: FieldSoup

    def start(self, tag: Any, attrib: Any, nsmap: Any = None) -> None:
        soup = self.soup
        if soup.skipping:  # inside an svg or template past its bound
            soup.skipping += 1
            soup.note_start(tag, attrib)
            return
        if nsmap or len(self.nsmaps) > 1 or tag[0] == "{" or tag == "html":
            super().start(tag, attrib, nsmap or {})
            return
        if len(soup.tagStack) <= 1 and (tag not in KEEP_TAGS or soup.over_bound(tag, attrib)):
            soup.current_data = []  # bs4 would flush and drop it: no tag is open
            soup.note_start(tag, attrib)
            return
        attrs = self.attribute_dict_class()
        for key, value in attrib.items():
            if key[0] == "{":
                super().start(tag, attrib, {})
                return
            attrs[key] = value
        soup.handle_starttag(tag, None, None, attrs, namespaces=self.active_namespace_prefixes[-1])

    def data(self, content: Any) -> None:
        if len(self.soup.tagStack) > 1:
            self.soup.current_data.append(content)

    def end(self, tag: Any) -> None:
        soup = self.soup
        if soup.skipping:
            soup.skipping -= 1
            soup.note_end(tag)
            return
        if len(soup.tagStack) <= 1 and len(self.nsmaps) == 1 and tag[0] != "{":
            soup.current_data = []
            soup.note_end(tag)
            return
        super().end(tag)


class FieldSoup(BeautifulSoup):
    """A strained soup that also notes what the strained tree cannot show.

    `in_body(tag)` is `tag.find_parent("body") is not None` of the full tree (body's
    start and end events are counted as they pass); `html_attrs` are the attributes of
    the first `<html>` tag, the one `soup.find("html")` finds.
    """

    def __init__(self, markup: str, bounds: Callable[[str], int] | None = None) -> None:
        self.bounds = bounds
        super().__init__(markup, builder=FieldTreeBuilder, parse_only=KeepFieldTags())

    def reset(self) -> None:
        """bs4 resets before each parsing attempt: so do the notes."""
        super().reset()
        self.body_open = 0
        self.html_attrs: dict[str, Any] | None = None
        self.in_body_ids: set[int] = set()
        self.built: dict[str, int] = defaultdict(int)
        #: Elements counted but not built, by record field (`limits.cap_fields`).
        self.skipped: dict[str, int] = defaultdict(int)
        self.skipping = 0

    def over_bound(self, name: str, attrs: Any) -> bool:
        """Whether a top-level kept tag `name` is past its build bound (then counted only).

        Past the bound, an `svg` or `template` is skipped with everything inside it
        (its titles and links are not the page's); any other tag alone, so that the
        images and links inside an anchor are still seen.
        """
        if self.bounds is None:
            return False
        if self.built[name] < self.bounds(name):
            self.built[name] += 1
            return False
        field = _FIELD_OF.get(name)
        if name == "a" and "href" not in attrs:
            field = None
        if name == "script" and not _is_json_ld(attrs):
            field = None
        if field is not None:
            self.skipped[field] += 1
        if name in _SKIP_SUBTREE:
            self.skipping = 1
        return True

    def note_start(self, name: str, attrs: Any) -> None:
        """A start tag passed, kept or not: count `<body>`, note the first `<html>`'s attributes."""
        if name == "body":
            self.body_open += 1
        elif name == "html" and self.html_attrs is None:
            self.html_attrs = dict(attrs or {})

    def note_end(self, name: str) -> None:
        if name == "body" and self.body_open:
            self.body_open -= 1

    def handle_starttag(
        self,
        name: str,
        namespace: str | None,
        nsprefix: str | None,
        attrs: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Tag | None:
        self.note_start(name, attrs)
        tag = super().handle_starttag(name, namespace, nsprefix, attrs, *args, **kwargs)
        if tag is not None and self.body_open:
            self.in_body_ids.add(id(tag))
        return tag

    def handle_endtag(self, name: str, nsprefix: str | None = None) -> None:
        self.note_end(name)
        super().handle_endtag(name, nsprefix)

    def in_body(self, tag: Tag) -> bool:
        return id(tag) in self.in_body_ids

    def html_lang(self) -> str | None:
        return (self.html_attrs or {}).get("lang")


def visible_text(markup: str) -> str | None:
    """The text `text.text_fields` counts, from lxml: body strings outside hidden tags.

    Same input and parser as bs4's lxml builder (one `feed` of the whole string, a
    leading BOM dropped as bs4 drops it), so the strings split at the same places.
    The parser feeds a `TextCollector` instead of building a tree: the same strings,
    without a node per tag (a hostile page's tree was its parser's largest cost).
    None when the page reaches libxml2's depth limit (255 levels): lxml's tree builder
    then drops the deeper content, while the SAX events bs4 builds from do not, so the
    caller must count on a full soup (absurdly nested pages only).
    """
    if markup.startswith("\N{BYTE ORDER MARK}"):
        markup = markup[1:]
    collector = TextCollector(frozenset(HIDDEN_TAGS), frozenset(_NOT_TEXT))
    parser = etree.HTMLParser(recover=True, target=collector)
    parser.feed(markup)
    try:
        return parser.close()
    except etree.XMLSyntaxError:
        return ""
