"""`auto` rendering's decision: which raw pages look client-rendered, and why."""

from __future__ import annotations

import pytest

from seology.crawler.detect import client_render_signal, render_blocking_count

TEXT = {"word_count": 400, "links": [{"internal": True, "target": "https://ex.com/a"}]}
BARE = {"word_count": 3, "links": []}


@pytest.mark.parametrize(
    ("html", "fields", "signal"),
    [
        # the app roots of React, Next.js, Nuxt and Angular, empty or with a comment only
        (b'<body><div id="root"></div><script src=/a.js></script>', BARE, "empty_app_root"),
        (b"<body><div id=__next>\n  <!-- ssr off --> </div></body>", BARE, "empty_app_root"),
        (b"<body><div id='__nuxt'></div></body>", TEXT, "empty_app_root"),
        (b"<body><app-root></app-root></body>", TEXT, "empty_app_root"),
        # a root with server-rendered content is not a signal
        (b'<body><div id="root"><p>Hello</p></div></body>', TEXT, None),
        (b"<noscript>You need to enable JavaScript to run this app.</noscript>", TEXT,
         "noscript_javascript"),
        (b"<noscript><img src=/pixel.gif></noscript>", TEXT, None),  # a tracking pixel
        (b"<script>history.pushState({}, '', '/x')</script>", {"word_count": 400, "links": []},
         "links_only_in_script"),
        (b'<script src="/bundle.js"></script><p>Loading</p>', BARE, "scripts_little_text"),
        # a server-rendered page with scripts and text: nothing
        (b'<script src="/analytics.js"></script><p>...</p>', TEXT, None),
    ],
)  # fmt: skip
def test_client_render_signal(html: bytes, fields: dict, signal: str | None) -> None:
    """Each signal fires on its mark and stays quiet on a server-rendered page."""
    assert client_render_signal(html, fields) == signal


def test_render_blocking_counts_sync_scripts_and_stylesheets_in_head() -> None:
    """async/defer/module scripts, inline scripts, print styles and body tags do not block."""
    html = (
        b'<html><head><script src="a.js"></script><script async src="b.js"></script>'
        b'<script defer src="c.js"></script><script type="module" src="d.js"></script>'
        b'<script>inline()</script><link rel="stylesheet" href="e.css">'
        b'<link rel="stylesheet" media="print" href="f.css"></head>'
        b'<body><script src="g.js"></script></body></html>'
    )
    assert render_blocking_count(html) == 2
