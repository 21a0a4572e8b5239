"""API tokens and the bearer header: how tokens look, are stored and compared."""

from __future__ import annotations

import hashlib
import re

import pytest

from seology.api.deps import bearer_token
from seology.core.errors import AuthenticationFailed
from seology.core.tokens import (
    generate_token,
    hash_token,
    looks_like_token,
    secrets_match,
    token_prefix,
)


class TestGenerateToken:
    def test_shape(self):
        """A token is `seo_` and 43 URL-safe base64 characters (32 random bytes)."""
        token = generate_token()
        assert re.fullmatch(r"seo_[A-Za-z0-9_-]{43}", token)

    def test_unique(self):
        """Tokens do not repeat."""
        assert len({generate_token() for _ in range(1000)}) == 1000


class TestHashToken:
    def test_is_sha256_hex(self):
        """The stored form is the SHA-256 of the token's UTF-8 bytes, in lowercase hex."""
        token = generate_token()
        assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
        assert re.fullmatch(r"[0-9a-f]{64}", hash_token(token))

    def test_deterministic_and_distinct(self):
        """The same token hashes the same (lookup by hash); different tokens differ."""
        token = generate_token()
        assert hash_token(token) == hash_token(token)
        assert hash_token(token) != hash_token(generate_token())

    def test_hash_does_not_contain_token(self):
        """Neither the token nor its random part appears in its hash."""
        token = generate_token()
        assert token[4:] not in hash_token(token)


class TestTokenPrefix:
    def test_twelve_characters(self):
        """The displayed prefix is `seo_` plus 8 characters, and fits the 16-char column."""
        token = generate_token()
        assert token_prefix(token) == token[:12]
        assert token_prefix(token).startswith("seo_")

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (generate_token(), True),  # a real token
            ("seo_abcdefgh", False),  # a prefix only
            ("Bearer seo_abcdefghijkl", False),  # not our shape
            ("", False),
            ("0123456789abcdef" * 4, False),  # the admin secret's shape
        ],
    )
    def test_looks_like_token(self, value, expected):
        """Only values with our token's shape are worth a database lookup."""
        assert looks_like_token(value) is expected


class TestSecretsMatch:
    @pytest.mark.parametrize(
        ("given", "expected", "match"),
        [
            ("secret", "secret", True),
            ("secret", "secreT", False),
            ("secret", "secret-longer", False),  # different lengths
            ("", "secret", False),
            ("sécret", "sécret", True),  # non-ASCII does not raise
            ("sécret", "secret", False),
        ],
    )
    def test_compares(self, given, expected, match):
        """Equal strings match, anything else does not; never raises."""
        assert secrets_match(given, expected) is match


class TestBearerToken:
    @pytest.mark.parametrize(
        "header",
        [
            "Bearer abc",
            "bearer abc",  # the scheme is case-insensitive (RFC 7235)
            "  Bearer   abc  ",
        ],
    )
    def test_extracts_token(self, header):
        """The token is what follows the Bearer scheme."""
        assert bearer_token(header) == "abc"

    def test_missing(self):
        """No header: 401, with the default message saying what to send."""
        with pytest.raises(AuthenticationFailed, match="Authorization: Bearer") as caught:
            bearer_token(None)
        assert caught.value.status_code == 401

    @pytest.mark.parametrize(
        "header",
        ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "abc", "Bearer a b"],
    )
    def test_malformed(self, header):
        """Any other shape is a 401 that says the header is malformed."""
        with pytest.raises(AuthenticationFailed, match="Malformed"):
            bearer_token(header)
