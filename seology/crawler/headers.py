"""The response headers a page record reads: `Link:` entries and the security headers.

Header names are matched in lower case; `Link:` parameters by RFC 8288 (names
case-insensitive, quoted values kept as written).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
SECURITY_HEADERS = (
    "strict-transport-security",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
)
_LINK_VALUE = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
_LINK_PARAM = re.compile(r';\s*([a-zA-Z*]+)\s*=\s*(?:"([^"]*)"|([^";,]*))')


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(k).lower(), str(v)) for k, v in items]


def first_header(pairs: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in pairs if k == name), None)


def link_header(pairs: list[tuple[str, str]]) -> list[tuple[str, dict[str, str]]]:
    """`Link: <url>; rel="canonical", <url2>; rel=alternate; hreflang=de` → entries.

    Parameter names are case-insensitive; a quoted value is kept as written, a bare
    token loses the whitespace around it (RFC 8288).
    """
    found = []
    for value in (v for k, v in pairs if k == "link"):
        for match in _LINK_VALUE.finditer(value):
            params = {
                name.lower(): quoted if quoted is not None else token.strip()
                for name, quoted, token in link_params(match.group(2))
            }
            found.append((match.group(1).strip(), params))
    return found


def link_params(text: str) -> list[tuple[str, str | None, str]]:
    """(name, quoted value or None, token value) of each `; name=value` parameter."""
    return [(m.group(1), m.group(2), m.group(3) or "") for m in _LINK_PARAM.finditer(text)]


def security_headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return {k: v for k, v in reversed(pairs) if k in SECURITY_HEADERS}
