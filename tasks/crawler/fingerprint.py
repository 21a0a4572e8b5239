"""Text identity for duplicate detection: an exact hash and a 64-bit SimHash.

`text_hash` finds exact duplicates; `simhash` finds near-duplicates (pages whose
fingerprints differ in few bits, e.g. ≤ 6 of 64 for ≥ 90% similar text). Features are
word 3-shingles; word hashes are computed once per distinct word and combined with
numpy, because a per-shingle cryptographic hash in pure Python costs as much as parsing
the page.
"""

from __future__ import annotations

import hashlib

import numpy as np

_SHINGLE = 3


def normalise_text(text: str) -> str:
    """Lowercased text with whitespace collapsed: what "the same text" means."""
    return " ".join(text.lower().split())


def text_hash(normalised: str) -> str:
    """SHA-1 of normalised text, hex."""
    return hashlib.sha1(normalised.encode("utf-8"), usedforsecurity=False).hexdigest()


def simhash(normalised: str) -> str:
    """64-bit SimHash of the word 3-shingles of `normalised`, as 16 hex digits."""
    return simhash_words(normalised.split())


def identity(text: str) -> tuple[int, str, str]:
    """Word count, `text_hash` and `simhash` of the normalised `text`, splitting it once.

    A 40 KB page has ~4,700 words: each `split` of them costs ~0.3 ms, and normalising,
    counting and hashing separately split three times.
    """
    words = text.lower().split()
    return len(words), text_hash(" ".join(words)), simhash_words(words)


def simhash_words(words: list[str]) -> str:
    """`simhash` of the words of a normalised text."""
    if not words:
        return "0" * 16
    features = _shingle_hashes(_word_hashes(words))
    bits = np.unpackbits(features.astype(">u8").view(np.uint8)).reshape(-1, 64)
    majority = bits.sum(axis=0, dtype=np.int64) * 2 > len(features)
    return np.packbits(majority).tobytes().hex()


# Word → hash, shared by the pages a parser process sees (a site reuses its vocabulary);
# emptied when it grows past _WORD_CACHE_LIMIT so memory stays bounded.
_WORD_CACHE: dict[str, int] = {}
_WORD_CACHE_LIMIT = 200_000


def _word_hashes(words: list[str]) -> np.ndarray:
    cache = _WORD_CACHE
    if len(cache) > _WORD_CACHE_LIMIT:
        cache.clear()
    try:  # most pages only use known words: look them up in C
        return np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words))
    except KeyError:
        for word in set(words).difference(cache):
            cache[word] = _hash64(word)
        return np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words))


def _hash64(word: str) -> int:
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") or 1


def _shingle_hashes(words: np.ndarray) -> np.ndarray:
    """Order-sensitive combination of each run of _SHINGLE word hashes."""
    if len(words) < _SHINGLE:
        return words
    combined = words[: len(words) - _SHINGLE + 1].copy()
    for offset in range(1, _SHINGLE):
        shifted = words[offset : len(words) - _SHINGLE + 1 + offset]
        combined ^= _rotate(shifted, offset * 21)
    return combined


def _rotate(values: np.ndarray, bits: int) -> np.ndarray:
    return (values << np.uint64(bits)) | (values >> np.uint64(64 - bits))


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex fingerprints."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
