"""Test settings: the same stack, with fast hashing and a file test database for SQLite.

The SQLite test database is a file (not :memory:) so that the real Celery worker process an
end-to-end test starts can open it.
"""

import os

from .base import *  # noqa: F401,F403
from .base import DATABASES, REDIS_URL, VAR_DIR, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One file per test process, so parallel runs on one machine do not share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}

# Tasks run in-process unless a test starts a real worker (tests/e2e/conftest.py switches this off).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

if not REDIS_URL:
    # A file cache per test process: parallel runs on one machine must not share run locks.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache" / f"test-{os.getpid()}")}}

# Rate budgets without Redis: a file per test process (an e2e test hands its path to the worker it starts).
RATE_BUDGET_SQLITE_PATH = env.str("RATE_BUDGET_SQLITE_PATH",
                                  default=str(VAR_DIR / "pacing" / f"test-{os.getpid()}.sqlite3"))
