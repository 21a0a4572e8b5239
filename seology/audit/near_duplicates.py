"""Near-duplicate body text: 64-bit SimHash fingerprints, banded, never all pairs.

Threshold mapping: the similarity of two fingerprints is `1 - hamming / 64`, so the
spec's 90% allows a distance of at most 6 bits (`AuditConfig.near_duplicate_max_bits`).
Measured on our fingerprint (word 3-shingles), 6 bits is about 1–2% of words changed,
i.e. a shingle Jaccard near 0.9, which is what Screaming Frog's MinHash 90% means.

Finding every pair within `k` bits without comparing all pairs: cut the 64 bits into
`k + 1` bands. Two fingerprints that differ in at most `k` bits cannot differ in every
band (pigeonhole), so they agree on at least one: comparing only fingerprints that
share a band value finds all such pairs, and the exact distance then removes the
false candidates. Pages with the same text hash are exact duplicates, not near ones:
they are collapsed into one fingerprint first, and never reported as near each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from seology.audit.checks import crawl_check, listing
from seology.audit.config import SIMHASH_BITS, AuditConfig
from seology.audit.index import SiteIndex
from seology.audit.model import Detail

if TYPE_CHECKING:
    # numpy is imported by the functions that use it: at module level it would add to
    # the CPU a crawl's flow-run process spends before its first line
    # (docs/design.md §8, import-light flow modules; docs/performance.md).
    import numpy as np


def band_layout(bands: int) -> list[tuple[int, int]]:
    """`(shift, width)` of each band, widths as equal as 64 bits allow."""
    widths = [SIMHASH_BITS // bands + (i < SIMHASH_BITS % bands) for i in range(bands)]
    layout, shift = [], SIMHASH_BITS
    for width in widths:
        shift -= width
        layout.append((shift, width))
    return layout


def near_pairs(fingerprints: np.ndarray, max_bits: int) -> dict[tuple[int, int], int]:
    """`{(i, j): distance}` for every i < j whose fingerprints differ in ≤ `max_bits`."""
    import numpy as np

    found: dict[tuple[int, int], int] = {}
    for shift, width in band_layout(max_bits + 1):
        keys = (fingerprints >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        order = np.argsort(keys, kind="stable")
        _pairs_in_runs(fingerprints, keys[order], order, max_bits, found)
    return found


def _pairs_in_runs(
    fingerprints: np.ndarray,
    sorted_keys: np.ndarray,
    order: np.ndarray,
    max_bits: int,
    found: dict[tuple[int, int], int],
) -> None:
    """Compare each item with the next 1, 2, … items of its run of equal band keys."""
    import numpy as np

    offset = 1
    while offset < len(order):
        same = sorted_keys[offset:] == sorted_keys[:-offset]
        if not same.any():
            return
        left, right = order[:-offset][same], order[offset:][same]
        distance = np.bitwise_count(fingerprints[left] ^ fingerprints[right])
        for i, j, d in zip(left[distance <= max_bits], right[distance <= max_bits],
                           distance[distance <= max_bits], strict=True):  # fmt: skip
            found[(min(int(i), int(j)), max(int(i), int(j)))] = int(d)
        offset += 1


def _text_groups(index: SiteIndex) -> tuple[list[list[str]], np.ndarray]:
    """URLs of indexable pages grouped by exact text, and one fingerprint per group."""
    groups: dict[str, list[str]] = defaultdict(list)
    prints: dict[str, int] = {}
    for page in index.pages.values():
        if page.indexable and page.text_hash and page.fingerprint:
            groups[page.text_hash].append(page.url)
            prints.setdefault(page.text_hash, int(page.fingerprint, 16))
    hashes = list(groups)
    import numpy as np

    return [groups[h] for h in hashes], np.array([prints[h] for h in hashes], dtype=np.uint64)


@crawl_check("content.near_duplicate")
def content_near_duplicate(index: SiteIndex, config: AuditConfig) -> Iterator[tuple[str, Detail]]:
    groups, fingerprints = _text_groups(index)
    neighbours: dict[int, dict[int, int]] = defaultdict(dict)
    for (i, j), distance in near_pairs(fingerprints, config.near_duplicate_max_bits).items():
        neighbours[i][j] = neighbours[j][i] = distance
    for group, near in neighbours.items():
        similar = [url for other in sorted(near, key=near.__getitem__) for url in groups[other]]
        closest = min(near.values())
        for url in groups[group]:
            yield (
                url,
                {
                    "similarity": round(1 - closest / SIMHASH_BITS, 3),
                    "pages": len(similar),
                    "similarTo": listing(similar),
                },
            )
