"""Secrets at rest: MultiFernet encryption with key rotation, and redaction for logs, exports and views."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from resolutionflow_app.settings import DEV_SECRET_KEY, get_settings

MASK = "••••"


class DecryptionError(ValueError):
    """A stored secret could not be decrypted with any configured key."""


def derive_key(secret_key: str) -> bytes:
    """A Fernet key derived from RF_SECRET_KEY (HKDF-SHA256), used when no RF_ENCRYPTION_KEYS are set."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"resolutionflow", info=b"secrets-at-rest/fernet/v1").derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)


@lru_cache(maxsize=8)
def _cipher_for(keys: tuple[str, ...], secret_key: str, legacy_key: str = "") -> MultiFernet:
    if keys:
        try:
            return MultiFernet([Fernet(k.encode("ascii")) for k in keys])
        except (ValueError, TypeError) as exc:
            raise ValueError(
                "RF_ENCRYPTION_KEYS must be a comma-separated list of Fernet keys (newest first)."
            ) from exc
    ciphers = [Fernet(derive_key(secret_key))]
    if legacy_key and legacy_key != secret_key:
        # Decrypt-only: secrets an embedded install stored under the old built-in key stay readable
        # after its own key was generated; everything new is encrypted with the first key.
        ciphers.append(Fernet(derive_key(legacy_key)))
    return MultiFernet(ciphers)


def get_cipher() -> MultiFernet:
    """The MultiFernet from settings: RF_ENCRYPTION_KEYS (newest first) or a key derived from RF_SECRET_KEY."""
    settings = get_settings()
    keys = tuple(k.strip() for k in settings.encryption_keys.split(",") if k.strip())
    embedded = settings.database_url.startswith("sqlite")
    return _cipher_for(keys, settings.secret_key, DEV_SECRET_KEY if embedded else "")


def new_key() -> str:
    """A fresh Fernet key (for RF_ENCRYPTION_KEYS)."""
    return Fernet.generate_key().decode("ascii")


def encrypt_str(value: str) -> str:
    """Encrypt a string with the newest key; returns a Fernet token (ASCII)."""
    return get_cipher().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_str(token: str) -> str:
    """Decrypt a token made by `encrypt_str` with any configured key.

    Raises:
        DecryptionError: the token is corrupt or no configured key fits.
    """
    try:
        return get_cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, AttributeError) as exc:
        raise DecryptionError("A stored secret could not be decrypted (wrong or rotated-out key?).") from exc


def encrypt_json(obj: Any) -> str:
    """Encrypt any JSON-serialisable value."""
    return encrypt_str(json.dumps(obj, separators=(",", ":"), sort_keys=True))


def decrypt_json(token: str) -> Any:
    """Decrypt a value stored by `encrypt_json`."""
    return json.loads(decrypt_str(token))


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key (it may have been made with any configured key)."""
    try:
        return get_cipher().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("A stored secret could not be decrypted (wrong or rotated-out key?).") from exc


def redact(value: Any) -> str:
    """A masked value: "••••" plus at most the last 2 characters (none for short values)."""
    text = "" if value is None else str(value)
    if len(text) >= 8:
        return MASK + text[-2:]
    return MASK


def fingerprint(value: str) -> str:
    """A short non-reversible fingerprint of a secret (to show that it changed without showing it)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]
