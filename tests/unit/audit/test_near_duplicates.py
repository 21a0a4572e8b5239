"""Banded SimHash search: every pair within the threshold, exactly, without all pairs."""

from __future__ import annotations

import random

import numpy as np
import pytest

from seology.audit.config import AuditConfig
from seology.audit.near_duplicates import band_layout, near_pairs


def brute_force(prints: list[int], max_bits: int) -> dict[tuple[int, int], int]:
    found = {}
    for i in range(len(prints)):
        for j in range(i + 1, len(prints)):
            distance = (prints[i] ^ prints[j]).bit_count()
            if distance <= max_bits:
                found[(i, j)] = distance
    return found


def clustered(seed: int, count: int) -> list[int]:
    """Random fingerprints, half of them copies of others with 0–10 bits flipped."""
    rng = random.Random(seed)
    prints = [rng.getrandbits(64) for _ in range(count // 2)]
    for _ in range(count - len(prints)):
        flipped = rng.choice(prints)
        for bit in rng.sample(range(64), rng.randint(0, 10)):
            flipped ^= 1 << bit
        prints.append(flipped)
    return prints


@pytest.mark.parametrize(
    "max_bits",
    [
        0,  # 100%: identical fingerprints only
        3,  # 95.3%
        6,  # 90.6%: the default threshold
        12,  # 81.3%
    ],
)
def test_banding_finds_exactly_the_brute_force_pairs(max_bits: int) -> None:
    """Pigeonhole over max_bits + 1 bands: no pair missed, no pair beyond the threshold."""
    prints = clustered(seed=max_bits, count=400)
    array = np.array(prints, dtype=np.uint64)
    assert near_pairs(array, max_bits) == brute_force(prints, max_bits)


@pytest.mark.parametrize(
    ("bands", "widths"),
    [
        (1, [64]),  # one band: the whole fingerprint
        (4, [16, 16, 16, 16]),  # even split
        (7, [10, 9, 9, 9, 9, 9, 9]),  # the default: the remainder goes first
    ],
)
def test_band_layout_covers_all_64_bits(bands: int, widths: list[int]) -> None:
    """Bands are contiguous, cover the 64 bits once, and are as equal as possible."""
    layout = band_layout(bands)
    assert [width for _, width in layout] == widths
    assert layout[-1][0] == 0
    assert sum(widths) == 64


@pytest.mark.parametrize(
    ("similarity", "bits"),
    [
        (0.90, 6),  # the spec's default: 1 - 6/64 = 90.6%
        (0.95, 3),  # 1 - 3/64 = 95.3%
        (1.0, 0),  # identical fingerprints only
    ],
)
def test_similarity_maps_to_hamming_bits(similarity: float, bits: int) -> None:
    """similarity = 1 - distance/64, rounded down to whole bits."""
    assert AuditConfig(near_duplicate_similarity=similarity).near_duplicate_max_bits == bits


def test_a_similarity_below_half_is_refused() -> None:
    """Below 50% banding degenerates to comparing almost everything."""
    with pytest.raises(ValueError, match="near_duplicate_similarity"):
        AuditConfig(near_duplicate_similarity=0.4)
