"""API tokens: how they are made, stored and compared.

A token is `seo_` followed by 32 random bytes in URL-safe base64 (43 characters). It is
shown once, when created; the database keeps only its SHA-256 and its first 12
characters (the *prefix*), which are enough to recognise a token in a listing or to
revoke it, and useless for authenticating.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "seo_"  # noqa: S105 - a public marker, not a secret
TOKEN_BYTES = 32
DISPLAY_PREFIX_LENGTH = 12


def generate_token() -> str:
    """A new API token with 256 bits of entropy from the OS's CSPRNG."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The SHA-256 of `token`, in hex: the form a token is stored and looked up in.

    A fast, unsalted hash is the right tool here, unlike for passwords: our tokens carry
    256 random bits, so there is no dictionary to try and brute force is hopeless at any
    hash speed, while a slow KDF (bcrypt, argon2) would cost every API request tens of
    milliseconds. An unsalted hash also lets authentication be a single indexed lookup
    by `token_hash` instead of a scan.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_prefix(token: str) -> str:
    """The first characters of `token`, safe to display and to revoke by."""
    return token[:DISPLAY_PREFIX_LENGTH]


def looks_like_token(value: str) -> bool:
    """True when `value` has our token's shape; lets callers skip a lookup for junk."""
    return value.startswith(TOKEN_PREFIX) and len(value) > DISPLAY_PREFIX_LENGTH


def secrets_match(given: str, expected: str) -> bool:
    """Compare two secrets in constant time, so response timing reveals nothing."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
