"""Encryption for the one secret the outbox keeps until delivery: a link carrying a raw token.

AES-256-GCM with a key derived from SECRET_KEY by HKDF (a separate key per purpose, so the
outbox key is never SECRET_KEY itself). The ciphertext is bound to the message's Message-ID
as associated data, so it cannot be moved onto another outbox row. Decryption also tries
SECRET_KEY_FALLBACKS, so a key rotation does not strand queued messages.
"""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"solabooks.mail.outbox.secret-url.v1"
_PREFIX = "v1:"
_NONCE_BYTES = 12


class SecretUnavailable(Exception):
    """The stored secret cannot be decrypted (SECRET_KEY changed without a fallback)."""


def _derive_key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )


def encrypt_secret(plaintext: str, *, bound_to: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_derive_key(settings.SECRET_KEY)).encrypt(
        nonce, plaintext.encode(), bound_to.encode()
    )
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def decrypt_secret(stored: str, *, bound_to: str) -> str:
    if not stored.startswith(_PREFIX):
        raise SecretUnavailable("Unknown secret format.")
    try:
        raw = base64.urlsafe_b64decode(stored[len(_PREFIX) :])
    except ValueError as exc:
        raise SecretUnavailable("Corrupt secret.") from exc
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    for secret_key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            return (
                AESGCM(_derive_key(secret_key)).decrypt(nonce, sealed, bound_to.encode()).decode()
            )
        except InvalidTag:
            continue
    raise SecretUnavailable("The link could not be decrypted (was SECRET_KEY changed?).")
