"""The visible text of a page from libxml2's parse events, without building its tree.

`strained.visible_text` reads the text of a page as lxml's tree holds it. Its tree of
a page of a few hundred thousand tags is a few hundred thousand C nodes, the largest
allocation of a parser process on a hostile page. `TextCollector` is a parser target
fed the same events the tree would be built from: it merges consecutive character data
into one string (a tree's text node), keeps it unless it sits inside a hidden tag, and
notes which strings are inside the first `<body>` outside hidden tags. Its answer is
the tree walk's (tests/unit/crawler/test_fast_parse.py holds the two together).
"""

from __future__ import annotations

from typing import Any

#: libxml2's tree stops at this depth; the caller then counts on a full soup.
DEPTH_LIMIT = 256


class TextCollector:
    """lxml parser target: the document's visible strings, the first body's apart."""

    def __init__(self, hidden: frozenset[str], not_text: frozenset[str]) -> None:
        self.hidden = hidden  # a body inside one of these is not the page's body
        self.not_text = not_text  # strings inside one of these are not counted
        self.stack: list[str] = []
        self.hidden_depth = 0
        self.not_text_depth = 0
        self.body_at: int | None = None  # stack depth of the chosen body, while open
        self.body_seen = False
        self.buffer: list[str] = []
        self.texts: list[str] = []
        self.body_texts: list[str] = []
        self.too_deep = False

    def _flush(self) -> None:
        if not self.buffer:
            return
        text = "".join(self.buffer)
        self.buffer = []
        if not self.stack or self.not_text_depth:
            return
        self.texts.append(text)
        if self.body_at is not None:
            self.body_texts.append(text)

    def start(self, tag: Any, attrib: Any, nsmap: Any = None) -> None:
        self._flush()
        self.stack.append(tag)
        if len(self.stack) >= DEPTH_LIMIT:
            self.too_deep = True
        self.not_text_depth += tag in self.not_text
        self.hidden_depth += tag in self.hidden
        if tag == "body" and not self.body_seen and not self.hidden_depth:
            self.body_seen, self.body_at = True, len(self.stack)

    def end(self, tag: Any) -> None:
        self._flush()
        if not self.stack:
            return
        if self.body_at == len(self.stack):
            self.body_at = None
        tag = self.stack.pop()
        self.not_text_depth -= tag in self.not_text
        self.hidden_depth -= tag in self.hidden

    def data(self, content: str) -> None:
        self.buffer.append(content)

    def comment(self, text: str) -> None:
        self._flush()

    def pi(self, target: str, data: str | None = None) -> None:
        self._flush()

    def doctype(self, *args: Any) -> None:
        self._flush()

    def close(self) -> str | None:
        self._flush()
        if self.too_deep:
            return None
        return " ".join(self.body_texts if self.body_seen else self.texts)
