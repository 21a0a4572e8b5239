"""Does a page's raw HTML look client-rendered? The `auto` render mode's decision.

Rendering costs a browser tab and a few hundred milliseconds a page, so `auto` renders
only the pages whose raw HTML shows the marks of a single-page app, and says which
mark it saw (the crawl result counts pages per signal):

- `empty_app_root`: an app mount point (`<div id="root">`, `#app`, `#__next`,
  `#__nuxt`, `#___gatsby`, `#svelte`, `<app-root>`) with nothing inside;
- `noscript_javascript`: a `<noscript>` asking for JavaScript;
- `links_only_in_script`: no crawlable internal `<a href>`, but scripts that route;
- `scripts_little_text`: script bundles and almost no visible text.

A server-rendered page has text and links in its HTML and gives no signal: a site of
such pages costs nothing extra. The reading is a few regular expressions over the raw
bytes (the parser's fields give the word and link counts), not a second parse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Below this many visible words a page with script bundles counts as "almost no text".
LITTLE_TEXT_WORDS = 50
#: Only the start of a page is read for signals (app shells are small).
SCAN_BYTES = 256 * 1024

_APP_ROOT = re.compile(
    rb"""<(div|main|section|body)\b[^>]*\bid\s*=\s*["']?(?:root|app|__next|__nuxt|___gatsby|svelte|application)(?=["'\s>])[^>]*>"""
    rb"""\s*(?:<!--.*?-->\s*)*</\1\s*>|<app-root\b[^>]*>\s*</app-root\s*>""",
    re.I | re.S,
)
_NOSCRIPT = re.compile(rb"<noscript\b[^>]*>(.*?)</noscript\s*>", re.I | re.S)
_ASKS_FOR_JS = re.compile(rb"javascript", re.I)
_SCRIPT_SRC = re.compile(rb"<script\b[^>]*\bsrc\s*=", re.I)
_ROUTING = re.compile(
    rb"pushState|createBrowserRouter|BrowserRouter|vue-router|__NEXT_DATA__", re.I
)
_HEAD = re.compile(rb"<head\b.*?(?:</head\s*>|<body\b)", re.I | re.S)
_BLOCKING_SCRIPT = re.compile(rb"<script\b([^>]*)>", re.I)
_STYLESHEET = re.compile(rb"<link\b[^>]*\brel\s*=\s*[\"']?[^>\"']*\bstylesheet\b[^>]*>", re.I)
_NOT_BLOCKING = re.compile(rb"""\b(?:async|defer)\b|\btype\s*=\s*["']?module""", re.I)
_MEDIA_PRINT = re.compile(rb"""\bmedia\s*=\s*["']?print""", re.I)


def client_render_signal(body: bytes, fields: Mapping[str, Any]) -> str | None:
    """The first client-rendering signal of a raw page (see the module doc), or None.

    `fields` are the parser's fields of the same page (`word_count`, `links`).
    """
    head = body[:SCAN_BYTES]
    if _APP_ROOT.search(head):
        return "empty_app_root"
    if any(_ASKS_FOR_JS.search(text) for text in _NOSCRIPT.findall(head)):
        return "noscript_javascript"
    has_bundles = _SCRIPT_SRC.search(head) is not None
    internal_links = sum(1 for link in fields.get("links", ()) if link.get("internal"))
    if internal_links == 0 and _ROUTING.search(head):
        return "links_only_in_script"
    if has_bundles and fields.get("word_count", 0) < LITTLE_TEXT_WORDS:
        return "scripts_little_text"
    return None


def render_blocking_count(body: bytes) -> int:
    """Synchronous scripts and stylesheets in the raw `<head>` (`perf.render_blocking`).

    Scripts with `async`, `defer` or `type=module` and print stylesheets do not block
    the first paint; inline scripts are not counted (nothing to wait for).
    """
    match = _HEAD.search(body[:SCAN_BYTES])
    if match is None:
        return 0
    head = match.group(0)
    scripts = sum(
        1
        for attrs in _BLOCKING_SCRIPT.findall(head)
        if re.search(rb"\bsrc\s*=", attrs, re.I) and not _NOT_BLOCKING.search(attrs)
    )
    styles = sum(1 for tag in _STYLESHEET.findall(head) if not _MEDIA_PRINT.search(tag))
    return scripts + styles
