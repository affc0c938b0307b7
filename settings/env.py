"""The one django-environ `Env` every settings module reads from, and the local paths.

Every setting has an embedded default so a fresh clone runs with no services: the defaults
live next to each setting, never only in production.
"""

import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Local state (SQLite file, Celery's filesystem broker, generated development secrets).
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def generated_secret(filename: str, make) -> str:
    """Return the secret kept in var/<filename>, creating it on first use (development only)."""
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def new_django_secret() -> str:
    return secrets.token_urlsafe(50)
