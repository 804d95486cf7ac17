"""Secrets costdash must send on (an Admin API key) are stored encrypted: Fernet (AES-128-CBC + HMAC).

The keys come from settings: ``COSTDASH_ENCRYPTION_KEYS`` (env COSTDASH_ENCRYPTION_KEY, one or
more Fernet keys separated by commas; the first encrypts, every one decrypts, so a key can be
rotated), then always a key derived from SECRET_KEY with HKDF-SHA256, which encrypts when no
key is configured and still decrypts what it encrypted once one is. Losing both keys loses the
stored secrets: they must be entered again (``SecretUnreadable`` says so).

cryptography is imported where it is used: models import this module, and a command that reads no secret
(`manage.py import_usage`) need not load it (~20 ms).
"""
from __future__ import annotations

import base64
from functools import lru_cache

from django.conf import settings

HKDF_INFO = b"costdash stored secrets v1"


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys can decrypt (the keys changed)."""


def secret_encrypt(plain: str) -> str:
    """The ciphertext (ASCII) of ``plain`` under the current key."""
    return _fernet(*_key_material()).encrypt(plain.encode()).decode("ascii")


def secret_decrypt(token: str) -> str:
    """The plain text of a ``secret_encrypt`` result; SecretUnreadable if no key opens it."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(*_key_material()).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable(
            "the stored secret cannot be decrypted with the current COSTDASH_ENCRYPTION_KEY / SECRET_KEY: "
            "enter it again"
        ) from None


def derived_key(secret_key: str) -> bytes:
    """The Fernet key HKDF-SHA256 derives from Django's SECRET_KEY."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def _key_material() -> tuple[tuple[str, ...], str]:
    return tuple(getattr(settings, "COSTDASH_ENCRYPTION_KEYS", ())), settings.SECRET_KEY


@lru_cache(maxsize=4)
def _fernet(configured: tuple[str, ...], secret_key: str):
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([*(Fernet(key) for key in configured), Fernet(derived_key(secret_key))])
