"""Secrets handed to scripts (ingest tokens, API tokens): made here, shown once, stored only as a hash."""
import hashlib
import secrets

PREFIX_SHOWN = 10  # the characters of a token kept in clear, to recognise it in a list


def secret_digest(raw: str) -> str:
    """What is stored of a secret: its sha256 (the secret has 256 random bits: no salt or stretching needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def secret_new(prefix: str) -> tuple[str, str]:
    """A new secret starting with ``prefix`` (which says what it is for) and its digest."""
    raw = prefix + secrets.token_urlsafe(32)
    return raw, secret_digest(raw)
