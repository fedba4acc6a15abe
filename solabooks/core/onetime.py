"""One-time links for accounts (portal setup / reset / unlock, staff reset / unlock /
setup): 256 random bits in the URL, only the SHA-256 stored, validity that follows from
state (a fingerprint of the password hash at issue: a new password kills older links)."""

import hashlib
import re
import secrets

from django.utils.crypto import salted_hmac

TOKEN_BYTES = 32  # 256 bits
# token_urlsafe(32) is 43 characters; anything far from that shape is not ours.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{20,100}$")


def new_raw_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def well_formed(raw_token: object) -> bool:
    """Whether `raw_token` can be one of ours. A malformed one is still hashed by the
    caller's lookup path (see `lookup_hash`), so it costs what a well-formed one does."""
    return isinstance(raw_token, str) and bool(TOKEN_SHAPE.match(raw_token))


def lookup_hash(raw_token: object) -> str | None:
    """The hash to look a raw token up by, or None for a malformed one (hashed anyway)."""
    if not well_formed(raw_token):
        hash_token(str(raw_token)[:100])
        return None
    return hash_token(raw_token)


def password_fingerprint(password_hash: str, *, salt: str) -> str:
    """A keyed digest of a password hash: changes whenever the password does."""
    return salted_hmac(salt, password_hash or "", algorithm="sha256").hexdigest()
