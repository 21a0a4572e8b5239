"""A page's visible text, reduced to what the audit needs: counts, hashes, a flag.

The text itself is never kept (crawl memory stays flat): word count, exact hash and
SimHash for duplicates, and whether it holds placeholder text, decided here.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup

from seology.crawler.fingerprint import identity
from seology.crawler.strained import HIDDEN_TAGS

PLACEHOLDER = "lorem ipsum"


def text_fields(soup: BeautifulSoup) -> dict[str, Any]:
    """Visible body text: word count, exact hash and SimHash. Mutates `soup` (last step)."""
    for tag in soup.find_all(HIDDEN_TAGS):
        tag.decompose()
    root = soup.body or soup
    return text_identity(root.get_text(" "))


def text_identity(text: str) -> dict[str, Any]:
    """Word count, exact hash and SimHash of visible text, and whether it holds placeholder
    text (the body text itself is not kept: the flag is decided here)."""
    word_count, digest, fingerprint = identity(text)
    return {
        "word_count": word_count,
        "text_hash": digest,
        "text_fingerprint": fingerprint,
        "placeholder_text": has_placeholder(text),
    }


def has_placeholder(text: str) -> bool:
    """ "lorem ipsum" in `text`, whatever the case and the whitespace between the words."""
    lowered = text.lower()
    if "lorem" not in lowered:
        return False
    return PLACEHOLDER in " ".join(lowered.split())
