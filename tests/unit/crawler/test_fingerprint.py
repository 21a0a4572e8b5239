"""SimHash and text hash: the bits stored fingerprints have always had.

The fingerprints of stored crawls are compared with new ones (near-duplicates across
runs), so the implementation may change but its bits may not. The pinned values were
computed by the numpy implementation this one replaced; `reference_simhash` is the
definition, one feature at a time.
"""

from __future__ import annotations

import hashlib
import random

import pytest

from seology.crawler import fingerprint
from seology.crawler.fingerprint import identity, simhash, simhash_words

MASK = (1 << 64) - 1


def rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & MASK


def reference_simhash(words: list[str]) -> str:
    """Word 3-shingles (word k rotated by 21·k bits), bitwise majority over features."""
    hashes = [
        int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "big") or 1
        for w in words
    ]
    if len(hashes) >= 3:
        features = [
            hashes[i] ^ rotl(hashes[i + 1], 21) ^ rotl(hashes[i + 2], 42)
            for i in range(len(hashes) - 2)
        ]
    else:
        features = hashes
    result = 0
    for bit in range(64):
        if sum((f >> bit) & 1 for f in features) * 2 > len(features):
            result |= 1 << bit
    return f"{result:016x}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "0000000000000000"),
        ("one", "34f2ddaa8b7615c9"),
        ("one two", "34e2552809420501"),
        ("the quick brown fox jumps over the lazy dog", "2d08d489f7b91b66"),
        (" ".join(f"word{i % 97}" for i in range(5000)), "4462ff4b982b23a2"),
        ("ünïcödé tëxt, привет мир 日本語 テキスト", "840d29418440182c"),
    ],
)
def test_pinned_fingerprints(text: str, expected: str):
    assert simhash(text) == expected


def test_identity_pinned():
    assert identity("The quick  brown\nfox jumps over the lazy dog") == (
        9,
        "16312751ef9307c3fd1afbcb993cdc80464ba0f1",
        "2d08d489f7b91b66",
    )


def test_equals_the_reference_on_random_texts():
    """Lengths around the shingle size, ordinary pages, repeated words, new words."""
    rng = random.Random(11)
    vocabulary = [f"w{n}" for n in range(300)]
    texts = [[rng.choice(vocabulary) for _ in range(n)] for n in (1, 2, 3, 4, 5, 8, 63, 64, 65)]
    texts += [[rng.choice(vocabulary) for _ in range(rng.randint(1, 5000))] for _ in range(15)]
    texts += [["same"] * 1000, [f"new{rng.random()}" for _ in range(700)]]
    for words in texts:
        assert simhash_words(words) == reference_simhash(words), len(words)


def test_texts_longer_than_the_cached_masks():
    """Past the cached mask length the masks are built for the text, same answer."""
    rng = random.Random(12)
    words = [f"w{rng.randrange(2000)}" for _ in range(fingerprint._CACHED_MASK_BYTES + 500)]
    assert simhash_words(words) == reference_simhash(words)


def test_word_cache_is_bounded(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(fingerprint, "_WORD_CACHE", {})
    monkeypatch.setattr(fingerprint, "_WORD_CACHE_LIMIT", 100)
    for start in range(0, 1000, 50):
        words = [f"w{n}" for n in range(start, start + 50)]
        assert simhash_words(words) == reference_simhash(words)
        assert len(fingerprint._WORD_CACHE) <= 150
