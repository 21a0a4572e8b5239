"""Text identity for duplicate detection: an exact hash and a 64-bit SimHash.

`text_hash` finds exact duplicates; `simhash` finds near-duplicates (pages whose
fingerprints differ in few bits, e.g. ≤ 6 of 64 for ≥ 90% similar text). Features are
word 3-shingles; word hashes are computed once per distinct word.

No numpy: importing it costs memory in every process that parses (the parser
processes and the crawl process). The work is done on Python ints instead, each
holding one byte of every feature (a "column"), so each step is one C-level operation
over the whole page rather than one per word: as fast as the numpy version it replaced
(docs/internals/crawler.md), and the same bits (tests/unit/crawler/test_fingerprint.py).
"""

from __future__ import annotations

import functools
import hashlib
from operator import itemgetter

_SHINGLE = 3
_ROTATIONS = (21, 42)  # shingle word k (k ≥ 1) is rotated left by 21·k bits
_ZERO = bytes(8)
_ONE = (1).to_bytes(8, "big")
# Masks are built this many bytes long and kept; longer texts build their own.
_CACHED_MASK_BYTES = 8192


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

    A page has thousands of words and each `split` of them costs; normalising,
    counting and hashing separately would split three times.
    """
    words = text.lower().split()
    return len(words), text_hash(" ".join(words)), simhash_words(words)


def simhash_words(words: list[str]) -> str:
    """`simhash` of the words of a normalised text.

    Each feature is `h(w[i]) ^ rotl(h(w[i+1]), 21) ^ rotl(h(w[i+2]), 42)` (fewer than
    three words: the word hashes themselves); bit b of the result is set when more than
    half of the features have bit b set.
    """
    if not words:
        return "0" * 16
    hashes = _word_hashes(words)
    # Column k: byte k (big-endian) of every word hash, the first word's on top.
    columns = [int.from_bytes(hashes[k::8], "big") for k in range(8)]
    count = len(words)
    if count >= _SHINGLE:
        count -= _SHINGLE - 1
        columns = _shingle_columns(columns, count)
    return f"{_majority_bits(columns, count):016x}"


# Word → its 8-byte big-endian hash, shared by the pages a parser process sees (a site
# reuses its vocabulary); emptied when it grows past _WORD_CACHE_LIMIT. A miss is cheap,
# so a bigger cache buys little and costs memory (docs/internals/crawler.md).
_WORD_CACHE: dict[str, bytes] = {}
_WORD_CACHE_LIMIT = 50_000


def _word_hashes(words: list[str]) -> bytes:
    """The words' hashes, 8 big-endian bytes each, in order.

    `itemgetter(*words)` looks all words up in one C call: cheaper than
    `map(cache.__getitem__, words)` (no iterator step per word).
    """
    cache = _WORD_CACHE
    if len(cache) > _WORD_CACHE_LIMIT:
        cache.clear()
    if len(words) == 1:  # itemgetter of one key gives the value, not a tuple
        return _cached_hash(words[0])
    try:  # most pages only use known words
        return b"".join(itemgetter(*words)(cache))
    except KeyError:
        for word in set(words).difference(cache):
            cache[word] = _hash64(word)
        return b"".join(itemgetter(*words)(cache))


def _cached_hash(word: str) -> bytes:
    digest = _WORD_CACHE.get(word)
    if digest is None:
        digest = _WORD_CACHE[word] = _hash64(word)
    return digest


def _hash64(word: str) -> bytes:
    """8 bytes of BLAKE2b; never all zero (a zero word hash would carry no bits)."""
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
    return _ONE if digest == _ZERO else digest


def _shingle_columns(columns: list[int], count: int) -> list[int]:
    """The byte columns of the `count` shingle features, from the word hashes' columns.

    Byte k of `rotl(v, 8q + s)` is `(v[k+q] << s | v[k+q+1] >> 8-s) & 0xFF` (byte
    indices mod 8), so a rotated column is two other columns, shifted within their
    bytes and masked. Word i+o of a shingle sits o bytes lower in a column than word
    i, which one more shift of 8·o bits lines up. The result's bytes above the
    `count` features (words of no full shingle) are cut off at the end.
    """
    keep = (1 << (8 * count)) - 1
    terms = _rotation_terms(count + _SHINGLE - 1)
    features = []
    for k in range(8):
        value = columns[k] >> (8 * (_SHINGLE - 1))
        for delta, shift, mask in terms:
            column = columns[(k + delta) % 8]
            value ^= (column >> shift if shift >= 0 else column << -shift) & mask
        features.append(value & keep)
    return features


def _majority_bits(columns: list[int], count: int) -> int:
    """The 64-bit value whose bit b is set when over half of the `count` features have it.

    Each of the 8 bits of a column is counted over all features with a mask and
    `int.bit_count`: 64 C-level counts a page.
    """
    result = 0
    bit_masks = _bit_masks(count)
    for column in columns:
        for mask in bit_masks:
            result = (result << 1) | ((column & mask).bit_count() * 2 > count)
    return result


def _rotation_terms(length: int) -> list[tuple[int, int, int]]:
    """(column offset, right shift (negative: left), byte mask) of each rotated term.

    The masks are at least `length` bytes long: `&` with a mask shorter than the
    column would cut bytes off it.
    """
    if length <= _CACHED_MASK_BYTES:
        return _cached_rotation_terms(_CACHED_MASK_BYTES)
    return _build_rotation_terms(length)


def _build_rotation_terms(length: int) -> list[tuple[int, int, int]]:
    terms = []
    for offset, bits in enumerate(_ROTATIONS, 1):
        whole, part = divmod(bits, 8)
        align = 8 * (_SHINGLE - 1 - offset)
        terms.append((whole, align - part, _repeat((0xFF << part) & 0xFF, length)))
        if part:
            terms.append((whole + 1, align + 8 - part, _repeat(0xFF >> (8 - part), length)))
    return terms


def _bit_masks(length: int) -> list[int]:
    """Per bit of a byte, most significant first: that bit set in each of `length` bytes."""
    if length <= _CACHED_MASK_BYTES:
        return _cached_bit_masks(_CACHED_MASK_BYTES)
    return _build_bit_masks(length)


def _build_bit_masks(length: int) -> list[int]:
    return [_repeat(1 << bit, length) for bit in range(7, -1, -1)]


def _repeat(byte: int, times: int) -> int:
    """The int whose `times` bytes are all `byte`."""
    return int.from_bytes(bytes([byte]) * times, "big")


# A mask longer than the value it is applied to is as good as one of the same length
# (`&` keeps the shorter length), so one set serves every text up to its length.
_cached_rotation_terms = functools.cache(_build_rotation_terms)
_cached_bit_masks = functools.cache(_build_bit_masks)


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex fingerprints."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
