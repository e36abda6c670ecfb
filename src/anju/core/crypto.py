"""Personal data at rest: AES-GCM encryption and a keyed HMAC blind index (keys from settings)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_VERSION = "v1:"


@lru_cache(maxsize=4)
def _aes(key_hex: str) -> AESGCM:
    return AESGCM(hashlib.sha256(bytes.fromhex(key_hex)).digest())


@lru_cache(maxsize=4)
def _index_key(key_hex: str) -> bytes:
    return bytes.fromhex(key_hex)


def encrypt(value: str) -> str:
    """`v1:` + base64(nonce 12 bytes + ciphertext and tag). Empty stays empty."""
    if not value:
        return ""
    nonce = os.urandom(12)
    return _VERSION + base64.b64encode(nonce + _aes(settings.ANJU_PII_KEY).encrypt(nonce, value.encode(), None)).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    if not token.startswith(_VERSION):
        raise ValueError("unknown ciphertext version")
    raw = base64.b64decode(token[len(_VERSION):])
    return _aes(settings.ANJU_PII_KEY).decrypt(raw[:12], raw[12:], None).decode()


def decryptor():
    """`decrypt` for bulk paths: key and helpers bound once (a payment batch decrypts a million accounts)."""
    aes = _aes(settings.ANJU_PII_KEY)
    b64 = base64.b64decode
    version, skip = _VERSION, len(_VERSION)

    def _decrypt(token: str) -> str:
        if not token:
            return ""
        if not token.startswith(version):
            raise ValueError("unknown ciphertext version")
        raw = b64(token[skip:])
        return aes.decrypt(raw[:12], raw[12:], None).decode()

    return _decrypt


def blind_index(value: str, *, kind: str = "id") -> str:
    """HMAC-SHA256 of a normalised value, domain-separated by `kind` (id, bank). Empty stays empty."""
    if not value:
        return ""
    return hmac.new(_index_key(settings.ANJU_PII_INDEX_KEY), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
