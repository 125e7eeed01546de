"""Secrets at rest: round trips, key rotation with MultiFernet, redaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from resolutionflow_app.integrations import crypto
from resolutionflow_app.settings import get_settings


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[callable]:
    def use(*values: str) -> None:
        monkeypatch.setenv("RF_ENCRYPTION_KEYS", ",".join(values))
        get_settings.cache_clear()

    yield use
    monkeypatch.delenv("RF_ENCRYPTION_KEYS", raising=False)
    get_settings.cache_clear()


def test_round_trip_with_derived_key() -> None:
    token = crypto.encrypt_str("Bearer sk-live-123 åäö")
    assert "sk-live" not in token
    assert crypto.decrypt_str(token) == "Bearer sk-live-123 åäö"
    headers = {"Authorization": "Bearer abc", "X-Api-Key": "k"}
    assert crypto.decrypt_json(crypto.encrypt_json(headers)) == headers


def test_each_encryption_is_different_but_decrypts_the_same() -> None:
    a, b = crypto.encrypt_str("same"), crypto.encrypt_str("same")
    assert a != b
    assert crypto.decrypt_str(a) == crypto.decrypt_str(b) == "same"


def test_derived_key_depends_on_the_secret_key() -> None:
    assert crypto.derive_key("one-secret") != crypto.derive_key("other-secret")
    Fernet(crypto.derive_key("one-secret"))  # a valid Fernet key


def test_rotation_with_two_keys(keys) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    token_old = crypto.encrypt_str("secret-value")
    keys(new, old)  # newest first: the old token still decrypts
    assert crypto.decrypt_str(token_old) == "secret-value"
    rotated = crypto.rotate(token_old)
    assert rotated != token_old
    assert Fernet(new.encode()).decrypt(rotated.encode()) == b"secret-value"
    fresh = crypto.encrypt_str("fresh")
    assert Fernet(new.encode()).decrypt(fresh.encode()) == b"fresh"
    keys(new)  # the old key retired: rotated tokens keep working, old ones do not
    assert crypto.decrypt_str(rotated) == "secret-value"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_str(token_old)


def test_garbage_and_foreign_tokens_fail_cleanly(keys) -> None:
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_str("not-a-token")
    foreign = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_str(foreign)
    keys("not-a-fernet-key")
    with pytest.raises(ValueError, match="RF_ENCRYPTION_KEYS"):
        crypto.encrypt_str("x")
