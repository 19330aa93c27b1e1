"""Password hashing with argon2id (argon2-cffi's maintained defaults). Hashes carry their own parameters, so a hash
made with other settings still verifies."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD = 8
MAX_PASSWORD = 256


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None):
        self._hasher = hasher or PasswordHasher()
        # verified against when the username is unknown, so a wrong name costs as long as a wrong password
        self._dummy = self._hasher.hash("not-a-real-password")

    @classmethod
    def fast(cls) -> Passwords:
        """Cheap parameters for tests and benchmarks only."""
        return cls(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
