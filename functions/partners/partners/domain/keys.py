"""The API key format and how a key is checked, without keeping it.

A key reads `rmk_<id>_<secret>`: `rmk_` says what it is (secret scanners can match it), `<id>`
(12 hex digits) is the readable prefix that names the key in listings, logs and the table,
and `<secret>` is 32 random bytes (256 bits, base64url). Only SHA-256 of the whole key is
stored. A fast hash is right here, unlike for passwords: the secret is random and as long
as the hash, so there is nothing to guess from a leaked hash (2^256 candidates) and a slow
hash (bcrypt, Argon2) would only add tens of milliseconds to every partner request.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PREFIX = "rmk"
_FORMAT = re.compile(r"rmk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


class InvalidKey(Exception):
    """Not a key this API issued (wrong shape, unknown, revoked, expired, or the hash differs)."""


def new_key() -> tuple[str, str]:
    """(key id, the whole key): the key is shown once and never stored."""
    key_id = secrets.token_hex(6)
    return key_id, f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def key_id_of(key: str | None) -> str:
    """The id a well-formed key names; InvalidKey otherwise (before any read)."""
    match = _FORMAT.fullmatch(key or "")
    if not match:
        raise InvalidKey("not a partner key")
    return match.group(1)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def matches(key: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(key), stored_digest)
