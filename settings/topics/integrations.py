"""Procore and Xero endpoints and OAuth apps. Defaults point at the local sandboxes.

Real hosts: PROCORE_LOGIN_URL=https://login.procore.com, PROCORE_API_URL=https://api.procore.com,
XERO_LOGIN_URL=https://login.xero.com, XERO_IDENTITY_URL=https://identity.xero.com,
XERO_API_URL=https://api.xero.com (see README).
"""

from ..env import VAR_DIR, env

SANDBOX_HOST = env.str("SANDBOX_HOST", default="127.0.0.1")
PROCORE_SANDBOX_PORT = env.int("PROCORE_SANDBOX_PORT", default=8101)
XERO_SANDBOX_PORT = env.int("XERO_SANDBOX_PORT", default=8102)

_procore_sandbox = f"http://{SANDBOX_HOST}:{PROCORE_SANDBOX_PORT}"
_xero_sandbox = f"http://{SANDBOX_HOST}:{XERO_SANDBOX_PORT}"

PROCORE_CLIENT_ID = env.str("PROCORE_CLIENT_ID", default="sandbox-procore-client")
PROCORE_CLIENT_SECRET = env.str("PROCORE_CLIENT_SECRET", default="sandbox-procore-secret")
PROCORE_LOGIN_URL = env.str("PROCORE_LOGIN_URL", default=_procore_sandbox).rstrip("/")
PROCORE_API_URL = env.str("PROCORE_API_URL", default=_procore_sandbox).rstrip("/")

XERO_CLIENT_ID = env.str("XERO_CLIENT_ID", default="sandbox-xero-client")
XERO_CLIENT_SECRET = env.str("XERO_CLIENT_SECRET", default="sandbox-xero-secret")
XERO_LOGIN_URL = env.str("XERO_LOGIN_URL", default=_xero_sandbox).rstrip("/")
XERO_IDENTITY_URL = env.str("XERO_IDENTITY_URL", default=_xero_sandbox).rstrip("/")
XERO_API_URL = env.str("XERO_API_URL", default=_xero_sandbox).rstrip("/")
# Key Xero signs webhook deliveries with (developer portal → Webhooks).
XERO_WEBHOOK_KEY = env.str("XERO_WEBHOOK_KEY", default="sandbox-xero-webhook-key")

# Start the sandboxes with `make run` (off in production).
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=True)

# Shared rate budgets (connector/pacing.py): every client of an account waits for its place in Xero's
# per-organisation limits and Procore's per-company windows. The benchmark switches budgets off to count calls.
RATE_BUDGETS_ENABLED = env.bool("RATE_BUDGETS_ENABLED", default=True)
XERO_CALLS_PER_MINUTE = env.int("XERO_CALLS_PER_MINUTE", default=60)
# Xero's Starter developer tier allows 1,000 calls a day per organisation instead of 5,000.
XERO_STARTER_TIER = env.bool("XERO_STARTER_TIER", default=False)
XERO_CALLS_PER_DAY = env.int("XERO_CALLS_PER_DAY", default=1000 if XERO_STARTER_TIER else 5000)
# Bills' backup files are one Xero call each: they are attached only while more than this share of the day's
# calls is left for syncing; the others wait for the next days (a first sync of a large company has thousands).
XERO_DAY_SHARE_KEPT_FROM_FILES = env.float("XERO_DAY_SHARE_KEPT_FROM_FILES", default=0.4)
XERO_CONCURRENT_CALLS = env.int("XERO_CONCURRENT_CALLS", default=5)
PROCORE_CALLS_PER_10S = env.int("PROCORE_CALLS_PER_10S", default=25)
PROCORE_CALLS_PER_HOUR = env.int("PROCORE_CALLS_PER_HOUR", default=3600)
# Longest a call waits for its place before the run stops with "retry later".
RATE_BUDGET_MAX_WAIT_S = env.float("RATE_BUDGET_MAX_WAIT_S", default=120.0)
# Every window shortened by this factor: pairs with the sandboxes' `clock_speed` so a benchmark can run
# under the real limits in less wall time. 1 everywhere else.
RATE_CLOCK_SPEED = env.float("RATE_CLOCK_SPEED", default=1.0)
# Without REDIS_URL the budgets live in this SQLite file (web, worker and beat on one host).
RATE_BUDGET_SQLITE_PATH = env.str("RATE_BUDGET_SQLITE_PATH", default=str(VAR_DIR / "pacing.sqlite3"))
