"""Passwords, random tokens and their hashes."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from functools import lru_cache
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_PASSWORD_LENGTH = 10
# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): ~10x cheaper than the library default (64 MiB, t=3,
# p=4), so a burst of sign-ins neither queues for seconds nor grows each process by hundreds of MB.
# Hashes made with other parameters still verify and are rehashed at the next sign-in.
_password_hash = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19 * 1024, parallelism=1),))
# Hashing is CPU and memory bound: more concurrent hashes than cores only adds memory and latency.
_hash_slots = threading.BoundedSemaphore(os.cpu_count() or 1)


def hash_password(password: str) -> str:
    with _hash_slots:
        return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    return verify_and_update(password, password_hash)[0]


def verify_and_update(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Whether the password matches, and a fresh hash when the stored one uses outdated parameters."""
    with _hash_slots:
        if not password_hash:
            # Same cost as a real check, so timing doesn't reveal which accounts exist.
            _password_hash.verify(password, _DUMMY_HASH)
            return False, None
        return _password_hash.verify_and_update(password, password_hash)


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
