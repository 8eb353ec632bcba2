"""Argon2id password hashing (argon2-cffi), the ``PasswordHasher`` port's implementation."""

from __future__ import annotations

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    def __init__(self, time_cost: int = 2, memory_cost: int = 19456, parallelism: int = 1) -> None:
        # OWASP's argon2id minimum (19 MiB, t=2, p=1): ~20 ms here, so a page of sign-ins stays quick.
        self._h = _Argon2(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)

    def hash(self, password: str) -> str:
        return self._h.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return bool(self._h.verify(hashed, password))
        except (VerificationError, InvalidHashError):
            return False
