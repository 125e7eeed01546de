"""Encrypt/decrypt config secrets (model API keys, HTTP headers) via integrations.crypto, plus redaction."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from resolutionflow_app.settings import get_settings

REDACTED_PREFIX = "••••"


def encrypt_str(value: str) -> str:
    """Encrypt a string with the app's MultiFernet."""
    from resolutionflow_app.integrations import crypto  # noqa: PLC0415

    return crypto.encrypt_str(value)


def decrypt_str(token: str) -> str:
    """Decrypt a string encrypted with `encrypt_str`."""
    from resolutionflow_app.integrations import crypto  # noqa: PLC0415

    return crypto.decrypt_str(token)


def redact(value: str) -> str:
    """`••••` plus at most the last 2 characters; an empty value stays empty (nothing to hide, nothing set)."""
    value = str(value)
    if not value:
        return ""
    return REDACTED_PREFIX + (value[-2:] if len(value) > 6 else "")


def fingerprint(obj: Any) -> str:
    """A keyed, deterministic fingerprint of secret values (changes when they change, reveals nothing)."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, json.dumps(obj, sort_keys=True).encode(), hashlib.sha256).hexdigest()[:32]


def seal_config(config: dict[str, Any] | None, previous: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Move plaintext `headers` of an HTTP config into `headers_encrypted` (+ a fingerprint).

    Header values sent back redacted (``••••xy``) keep the stored value of the same header.
    """
    if config is None:
        return None
    config = dict(config)
    headers = config.pop("headers", None)
    old_headers = open_headers(previous) if previous else {}
    config.pop("headers_encrypted", None)
    config.pop("headers_fingerprint", None)
    if headers:
        if not isinstance(headers, dict):
            raise ValueError("headers must be an object of name: value pairs.")
        clean = {}
        for name, value in headers.items():
            value = str(value)
            if value.startswith(REDACTED_PREFIX) and name in old_headers:
                value = old_headers[name]
            clean[str(name)] = value
        config["headers_encrypted"] = encrypt_str(json.dumps(clean))
        config["headers_fingerprint"] = fingerprint(clean)
        config["header_names"] = sorted(clean)
    else:
        config.pop("header_names", None)
    return config


def open_headers(config: dict[str, Any] | None) -> dict[str, str]:
    """Decrypted headers of a sealed config ({} when none)."""
    token = (config or {}).get("headers_encrypted")
    if not token:
        return {}
    headers: dict[str, str] = json.loads(decrypt_str(token))
    return headers


def public_config(config: dict[str, Any] | None) -> dict[str, Any] | None:
    """A sealed config as users see it: headers redacted, ciphertext and fingerprint removed."""
    if config is None:
        return None
    out = {k: v for k, v in config.items() if k not in ("headers_encrypted", "headers_fingerprint", "header_names")}
    if config.get("headers_encrypted"):
        try:
            out["headers"] = {k: redact(v) for k, v in open_headers(config).items()}
        except Exception:  # noqa: BLE001 - a key rotated away: show names only
            out["headers"] = dict.fromkeys(config.get("header_names", []), REDACTED_PREFIX)
    return out
