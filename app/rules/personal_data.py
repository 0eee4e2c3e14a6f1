"""Applicant ID numbers are personal data: encrypted at rest, masked in lists."""

from __future__ import annotations

import os
from functools import lru_cache

from cryptography.fernet import Fernet

from app.config import settings


@lru_cache(maxsize=1)
def _fernet() -> Fernet:
    key_file = settings.data_dir / "personal-data.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
    return Fernet(key_file.read_bytes().strip())


def encrypt(value: str) -> bytes:
    return _fernet().encrypt(value.encode("utf-8"))


def decrypt(token: bytes) -> str:
    return _fernet().decrypt(token).decode("utf-8")


def mask(value: str) -> str:
    """110105199001011234 → 1101**********1234; short values keep only the last character."""
    if len(value) <= 8:
        return "*" * (len(value) - 1) + value[-1:]
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


LEGAL_PERSON_ID_TYPES = ("统一社会信用代码",)


def public_name(name: str, id_type: str) -> str:
    """A natural person's name as a public page shows it (张晓梅 → 张*梅, 李四 → 李*); a legal
    person, identified by its credit code, keeps its name (its licences are public)."""
    if id_type in LEGAL_PERSON_ID_TYPES or len(name) < 2:
        return name
    return name[0] + "*" * max(1, len(name) - 2) + (name[-1] if len(name) > 2 else "")
