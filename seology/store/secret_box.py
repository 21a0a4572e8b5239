"""Webhook signing secrets, encrypted at rest.

A receiver checks an HMAC, so we must sign with the secret itself: it cannot be kept
as a hash the way API tokens are. It is kept encrypted (Fernet: AES-128-CBC with an
HMAC-SHA256 tag) under a key that is not in the database: `SEOLOGY_WEBHOOK_SECRET_KEY`
if set, else one derived from `CRON_SECRET`. A copy of the database alone reveals no
secret. Changing the key source (a new CRON_SECRET without a dedicated key) makes the
stored secrets unreadable: deliveries then fail with a message that says so, and each
endpoint needs a new secret (`POST /api/webhooks/{id}/rotate-secret`).
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from seology.core.errors import ConfigurationError
from seology.core.settings import Settings

#: Domain separation: the derived key is used for nothing else than these secrets.
KEY_CONTEXT = b"seology/webhook-secrets/v1:"


def _fernet_key(material: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(KEY_CONTEXT + material.encode()).digest())


def key_material(settings: Settings) -> str:
    """The text the encryption key is derived from, or `ConfigurationError` if none."""
    if settings.webhook_secret_key is not None:
        return settings.webhook_secret_key.get_secret_value()
    if settings.cron_secret is not None and settings.cron_secret.get_secret_value():
        return settings.cron_secret.get_secret_value()
    msg = "Webhooks need SEOLOGY_WEBHOOK_SECRET_KEY or CRON_SECRET to encrypt their secrets."
    raise ConfigurationError(msg)


@lru_cache(maxsize=4)
def _box(material: str) -> object:
    from cryptography.fernet import Fernet

    return Fernet(_fernet_key(material))


def encrypt(secret: str, settings: Settings) -> str:
    """The secret as stored."""
    return _box(key_material(settings)).encrypt(secret.encode()).decode()  # type: ignore[attr-defined]


def decrypt(stored: str, settings: Settings) -> str:
    """The secret back from its stored form; `ConfigurationError` under another key."""
    from cryptography.fernet import InvalidToken

    try:
        return _box(key_material(settings)).decrypt(stored.encode()).decode()  # type: ignore[attr-defined]
    except InvalidToken as exc:
        msg = (
            "A webhook secret cannot be decrypted: the key changed (CRON_SECRET or "
            "SEOLOGY_WEBHOOK_SECRET_KEY). Rotate the endpoint's secret."
        )
        raise ConfigurationError(msg) from exc
