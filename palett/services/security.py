"""Passwords, random tokens and their hashes."""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from pathlib import Path

from pwdlib import PasswordHash

MIN_PASSWORD_LENGTH = 10
_password_hash = PasswordHash.recommended()  # argon2id with the library's current parameters


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        # Same cost as a real check, so timing doesn't reveal which accounts exist.
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    return _password_hash.verify(password, password_hash)


_DUMMY_HASH = _password_hash.hash(secrets.token_urlsafe(16))


@lru_cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def password_is_weak(password: str) -> bool:
    return len(password) < MIN_PASSWORD_LENGTH or password.lower() in _common_passwords()


def new_token() -> str:
    """A 256-bit URL-safe random token."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
