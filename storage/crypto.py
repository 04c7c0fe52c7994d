"""Encryption of tokens at rest (bexio access and refresh tokens).

Fernet gives authenticated encryption with a key every process of a deployment shares. With
PostgreSQL several servers and workers decrypt the same rows, so the key must come from the
environment; with the embedded SQLite default a key file next to the database is generated on first
start so that a single-machine install needs no set-up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)


class EncryptionKeyError(Exception):
    """The encryption key is missing or unusable; the message says what to do."""


class TokenCipher:
    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError) as exc:
            raise EncryptionKeyError("BXHOURS_ENCRYPTION_KEY is not a valid Fernet key") from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise EncryptionKeyError(
                "a stored token cannot be decrypted: BXHOURS_ENCRYPTION_KEY differs from the key it was saved with"
            ) from exc


def derive_key(encryption_key: str, purpose: bytes) -> bytes:
    """A Fernet key for one purpose (sealed buttons, connect links), derived from
    BXHOURS_ENCRYPTION_KEY: one secret to manage, and no key used for two things."""
    digest = hmac.new(encryption_key.encode(), purpose, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest)


def generate_key() -> str:
    return Fernet.generate_key().decode()


def sqlite_database_file(database_url: str) -> Path | None:
    """The file of an SQLite database URL (None for in-memory databases)."""
    path = database_url.split("///", 1)[1] if "///" in database_url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        return None
    return Path(path)


def sqlite_key_file(database_url: str) -> Path | None:
    """Where the generated key of an SQLite database lives (None for in-memory databases)."""
    path = sqlite_database_file(database_url)
    return path.with_suffix(path.suffix + ".key") if path is not None else None


def load_or_create_sqlite_key(database_url: str) -> str:
    key_file = sqlite_key_file(database_url)
    if key_file is None:
        return generate_key()
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    # Create with 0600 from the start: the file must never be readable by other users.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    log.warning(
        "BXHOURS_ENCRYPTION_KEY is not set: generated a key in %s. Back it up with the database; "
        "set BXHOURS_ENCRYPTION_KEY to manage it yourself.",
        key_file,
    )
    return key
