"""Bytes → text as a browser would: the header's charset, then a meta charset, then UTF-8.

Pages are untrusted: a lying or unknown charset falls through to the next source, and
bytes that do not decode are replaced, so decoding never fails.
"""

from __future__ import annotations

import codecs
import re

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.I)
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([a-zA-Z0-9_\-:.]+)", re.I)


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode with the declared charset (header, then meta, then UTF-8), never failing."""
    for charset in (header_charset(content_type), _sniff_meta_charset(body), "utf-8"):
        codec = _codec(charset)
        if codec:
            return body.decode(codec, errors="replace")
    return body.decode("utf-8", errors="replace")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str) -> str | None:
    match = _CT_CHARSET.search(content_type)
    return match.group(1) if match else None


def _sniff_meta_charset(body: bytes) -> str | None:
    match = _CHARSET.search(body[:4096])
    return match.group(1).decode("ascii", errors="replace") if match else None
