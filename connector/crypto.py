"""Encryption at rest for OAuth tokens and secrets: Fernet with rotatable keys.

FIELD_ENCRYPTION_KEY holds one or more keys, newest first; MultiFernet decrypts with any of them
and encrypts with the first, so a new key can be put in front and old rows rotated at leisure
(`manage.py rotate_encryption_key`).
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise InvalidToken("stored secret cannot be decrypted: is FIELD_ENCRYPTION_KEY missing the old key?") from exc


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()
