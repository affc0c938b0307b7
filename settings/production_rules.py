"""What `settings.production` refuses, as plain functions of the environment (so tests can read them too).

Each rule returns a sentence saying what to set. `production_problems` collects them all, so a person
fixes every value in one pass instead of one restart per mistake.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

# What the local emulators use (settings/topics/integrations.py defaults, sandbox/): never valid in production.
SANDBOX_VALUES = {
    "PROCORE_CLIENT_ID": "sandbox-procore-client",
    "PROCORE_CLIENT_SECRET": "sandbox-procore-secret",
    "XERO_CLIENT_ID": "sandbox-xero-client",
    "XERO_CLIENT_SECRET": "sandbox-xero-secret",
    "XERO_WEBHOOK_KEY": "sandbox-xero-webhook-key",
}
# Words people type where a secret should go (.env.example ships some of them on purpose).
PLACEHOLDER_MARKERS = ("change-me", "changeme", "change_me", "replace-me", "replace_me", "replaceme",
                       "placeholder", "example", "insecure", "your-", "your_", "todo", "xxxx", "fill-me")
PLACEHOLDER_VALUES = {"secret", "password", "build", "dev", "development", "test", "testing", "key", "none",
                      "null", "default", "x", "abc", "123", "1234", "12345", "123456", "admin", "connector"}
SECRET_KEY_MIN_LENGTH = 50  # Django's own deploy check (security.W009) asks for 50 and 5 distinct characters
SECRET_KEY_MIN_DISTINCT = 10
WEBHOOK_KEY_MIN_LENGTH = 32  # Xero's keys are long base64 strings (developer portal → Webhooks)
CLIENT_SECRET_MIN_LENGTH = 16
PLATFORM_URLS = {
    "PROCORE_LOGIN_URL": "https://login.procore.com",
    "PROCORE_API_URL": "https://api.procore.com",
    "XERO_LOGIN_URL": "https://login.xero.com",
    "XERO_IDENTITY_URL": "https://identity.xero.com",
    "XERO_API_URL": "https://api.xero.com",
}
REDIS_SCHEMES = ("redis", "rediss", "unix")
BROKER_SCHEMES = ("redis", "rediss")
FALSE = {"false", "0", "no", "off"}
TRUE = {"true", "1", "yes", "on"}


def is_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered in PLACEHOLDER_VALUES or any(marker in lowered for marker in PLACEHOLDER_MARKERS)


def is_local_host(host: str) -> bool:
    """Loopback, unspecified or a bare machine name: the sandboxes' addresses, never a real platform."""
    host = (host or "").strip("[]").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host
    return address.is_loopback or address.is_unspecified or address.is_link_local


def is_example_host(host: str) -> bool:
    host = (host or "").lower()
    return any(host == d or host.endswith("." + d) for d in ("example.com", "example.org", "example.net"))


def _secret(name: str, value: str, *, min_length: int, how: str) -> str | None:
    if not value:
        return f"{name} is empty. {how}"
    if value == SANDBOX_VALUES.get(name):
        return f"{name} is the local sandbox's value, which anyone can read in this repository. {how}"
    if is_placeholder(value):
        return f"{name} is still a placeholder (such as change-me). {how}"
    if len(value) < min_length:
        return f"{name} is too short ({len(value)} characters, at least {min_length}). {how}"
    return None


def secret_key_problem(value: str) -> str | None:
    how = ('Set it to a long random value, e.g. the output of '
           'python -c "import secrets; print(secrets.token_urlsafe(50))".')
    problem = _secret("SECRET_KEY", value, min_length=SECRET_KEY_MIN_LENGTH, how=how)
    if problem:
        return problem
    if value.startswith("django-insecure-") or len(set(value)) < SECRET_KEY_MIN_DISTINCT:
        return f"SECRET_KEY is not random enough (too few different characters). {how}"
    return None


def fernet_keys_problem(value: str) -> str | None:
    how = ('Generate one with python -c "from cryptography.fernet import Fernet; '
           'print(Fernet.generate_key().decode())"; to rotate, list the new key first, comma-separated.')
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        return f"FIELD_ENCRYPTION_KEY is empty; it encrypts the stored Procore and Xero tokens. {how}"
    from cryptography.fernet import Fernet

    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            return f"FIELD_ENCRYPTION_KEY: key {number} of {len(keys)} is not a Fernet key. {how}"
    return None


def database_problem(value: str) -> str | None:
    how = "Set DATABASE_URL to your PostgreSQL database, e.g. postgres://user:password@host:5432/connector."
    if not value:
        return f"DATABASE_URL is empty. {how}"
    if urlsplit(value).scheme.split("+")[0] in ("sqlite", "spatialite"):
        return f"DATABASE_URL points at SQLite, which is for development on one machine. {how}"
    return None


def redis_problem(name: str, value: str, schemes: tuple[str, ...], what: str) -> str | None:
    how = f"Set {name} to a Redis URL, e.g. redis://redis:6379/0 ({what})."
    if not value:
        return f"{name} is empty. {how}"
    if urlsplit(value).scheme not in schemes:
        shown = value.split("://", 1)[0] + "://"
        return f"{name} is {shown}, not Redis. {how}"
    return None


def platform_url_problem(name: str, value: str) -> str | None:
    how = f"Set it to the platform's address, {PLATFORM_URLS[name]}."
    if not value:
        return f"{name} is empty. {how}"
    parts = urlsplit(value)
    if parts.scheme != "https":
        return f"{name} ({value}) does not use https. {how}"
    if is_local_host(parts.hostname or ""):
        return f"{name} ({value}) is a local address (the sandbox's). {how}"
    return None


def site_url_problem(value: str) -> str | None:
    how = "Set SITE_URL to the public https address people and webhooks reach, e.g. https://connector.acme.com."
    if not value:
        return f"SITE_URL is empty. {how}"
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        return f"SITE_URL ({value}) is not an https address. {how}"
    if is_local_host(parts.hostname):
        return f"SITE_URL ({value}) is a local address. {how}"
    if is_example_host(parts.hostname):
        return f"SITE_URL ({value}) is still the example address. {how}"
    if parts.path.strip("/") or parts.query:
        return f"SITE_URL ({value}) must be the site's root, without a path. {how}"
    return None


def flag_problem(name: str, value: str, *, required: bool, why: str) -> str | None:
    lowered = value.strip().lower()
    if lowered in FALSE or (not lowered and not required):
        return None
    return f"Set {name}=false: {why}"


def list_problems(values: Mapping[str, str]) -> list[str]:
    problems = []
    hosts = [h.strip() for h in values.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    if "*" in hosts:
        problems.append("ALLOWED_HOSTS contains *, which accepts any Host header. Leave it empty (the host of "
                        "SITE_URL is allowed) or list extra host names.")
    origins = [o.strip() for o in values.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
    plain = [o for o in origins if not o.startswith("https://")]
    if plain:
        problems.append(f"CSRF_TRUSTED_ORIGINS lists non-https origins ({', '.join(plain)}). Leave it empty "
                        "(SITE_URL is trusted) or list https origins only.")
    return problems


def production_problems(values: Mapping[str, str]) -> list[str]:
    """Every reason the environment `values` is not fit for production, in plain words; [] when it is."""
    get = lambda name: (values.get(name) or "").strip()  # noqa: E731
    checks = [
        secret_key_problem(get("SECRET_KEY")),
        fernet_keys_problem(get("FIELD_ENCRYPTION_KEY")),
        site_url_problem(get("SITE_URL")),
        database_problem(get("DATABASE_URL")),
        redis_problem("REDIS_URL", get("REDIS_URL"), REDIS_SCHEMES,
                      "the cache every worker shares for rate budgets and locks"),
        redis_problem("CELERY_BROKER_URL", get("CELERY_BROKER_URL"), BROKER_SCHEMES,
                      "the filesystem broker works on one machine only"),
        flag_problem("SANDBOX_ENABLED", get("SANDBOX_ENABLED"), required=True,
                     why="the local Procore and Xero emulators must not be installed in production."),
        flag_problem("DEBUG", get("DEBUG"), required=False,
                     why="debug pages show settings and code to anyone who hits an error."),
    ]
    for platform in ("PROCORE", "XERO"):
        client_id = get(f"{platform}_CLIENT_ID")
        app = "Procore app (Procore Developer Portal)" if platform == "PROCORE" else "Xero app (developer.xero.com)"
        if not client_id or client_id == SANDBOX_VALUES[f"{platform}_CLIENT_ID"] or is_placeholder(client_id):
            checks.append(f"{platform}_CLIENT_ID is empty, a placeholder or the local sandbox's. "
                          f"Set it to the client id of your {app}.")
        checks.append(_secret(f"{platform}_CLIENT_SECRET", get(f"{platform}_CLIENT_SECRET"),
                              min_length=CLIENT_SECRET_MIN_LENGTH,
                              how=f"Set it to the client secret of your {app}."))
    checks += [platform_url_problem(name, get(name)) for name in PLATFORM_URLS]
    checks.append(_secret("XERO_WEBHOOK_KEY", get("XERO_WEBHOOK_KEY"), min_length=WEBHOOK_KEY_MIN_LENGTH,
                          how="Set it to the webhooks key of your Xero app (developer.xero.com → your app → "
                              "Webhooks); without it anyone could forge Xero events."))
    hsts = get("SECURE_HSTS_SECONDS")
    if hsts and (not hsts.isdigit() or int(hsts) < 1):
        checks.append(f"SECURE_HSTS_SECONDS is {hsts}; browsers must be told to use https. Leave it unset "
                      "(one year) or set a positive number of seconds.")
    return [p for p in checks if p] + list_problems(values)


def site_hosts(site_url: str, extra_hosts: list[str]) -> list[str]:
    """ALLOWED_HOSTS: the host of SITE_URL, then any extra names (e.g. an internal health-check name)."""
    host = urlsplit(site_url).hostname or ""
    return [host] + [h for h in extra_hosts if h and h != host]


def site_origins(site_url: str, extra_origins: list[str]) -> list[str]:
    parts = urlsplit(site_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return [origin] + [o for o in extra_origins if o and o != origin]
