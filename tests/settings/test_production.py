"""settings.production refuses every unsafe value, each in a fresh process with nothing but the given
environment, and a complete production environment passes `manage.py check --deploy` with no warning."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from settings.production_rules import PLATFORM_URLS

ROOT = Path(__file__).resolve().parents[2]

# A complete, safe production environment (all values made up for the test).
COMPLETE = {
    "SECRET_KEY": "Zq3v9dK2mP8xL1nB7rT4wY6hJ0sF5gC2aE9uI3oQ7kM1zX8vN4bR6tW2yH5jD0lS",
    "FIELD_ENCRYPTION_KEY": "kVZsB2yqJ7hq0tq8d8s1dF1Yl7cD3oEwJmGq2bX1n0Q=",
    "SITE_URL": "https://connector.acme-builders.com",
    "DATABASE_URL": "postgres://connector:pw@postgres:5432/connector",
    "REDIS_URL": "redis://redis:6379/2",
    "CELERY_BROKER_URL": "redis://redis:6379/0",
    "CELERY_RESULT_BACKEND": "redis://redis:6379/1",
    "SANDBOX_ENABLED": "false",
    "PROCORE_CLIENT_ID": "3f9a1c0e5b7d4a2f8e6c1b9d0a7f5e3c",
    "PROCORE_CLIENT_SECRET": "9c1e7b3a5f2d8e4c6a0b1f9d7e5c3a2b",
    "XERO_CLIENT_ID": "1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D",
    "XERO_CLIENT_SECRET": "Kx7-qP2_vL9mN4rT8wY1zB6cF3hJ0sD5gA",
    **PLATFORM_URLS,  # the platforms' own hosts, as production_rules knows them (never called here)
    "XERO_WEBHOOK_KEY": "IIv3NvbKxe5TY6etVN2+4NnIWvhhoAz7zcFH2KGSu4S8/sQc6eE8Jq/Q34tn8Hz8+7Pvu/Hu7ZAkTNmwbsiw4A==",
}
ANOTHER_FERNET_KEY = "y8pQk0m2ZlV3cU1bXn4sR7tW9aE6dF5gH2jK8lM0nB4="

PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "debug": settings.DEBUG,
    "installed": settings.INSTALLED_APPS,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "csrf_trusted_origins": settings.CSRF_TRUSTED_ORIGINS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "proxy_header": settings.SECURE_PROXY_SSL_HEADER,
    "cache": settings.CACHES["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL,
    "webhook_key": settings.XERO_WEBHOOK_KEY,
}))
"""


def clean_env(tmp_path, **values):
    """Only PATH, a throwaway VAR_DIR and the given values: nothing leaks in from the test's own environment."""
    return {"PATH": os.environ["PATH"], "VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "settings.production", **values}


def start(tmp_path, **values):
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean_env(tmp_path, **values),
                          capture_output=True, text=True, timeout=60)


def with_(**changes):
    env = {**COMPLETE, **changes}
    return {k: v for k, v in env.items() if v is not None}


def test_a_complete_environment_starts_with_https_only_settings(tmp_path):
    result = start(tmp_path, **COMPLETE)
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["debug"] is False and "sandbox" not in cfg["installed"]
    assert cfg["allowed_hosts"] == ["connector.acme-builders.com"]
    assert cfg["csrf_trusted_origins"] == ["https://connector.acme-builders.com"]
    assert cfg["ssl_redirect"] is True and cfg["hsts"] >= 365 * 24 * 3600
    assert cfg["session_cookie_secure"] is True and cfg["csrf_cookie_secure"] is True
    assert cfg["proxy_header"] is None, "X-Forwarded-Proto is trusted only when configured"
    assert cfg["cache"].endswith("RedisCache") and cfg["broker"].startswith("redis://")
    assert not (tmp_path / "var" / "secret_key").exists(), "production must not invent a secret"


def test_x_forwarded_proto_is_trusted_only_when_configured(tmp_path):
    cfg = json.loads(start(tmp_path, **with_(TRUST_X_FORWARDED_PROTO="true")).stdout)
    assert cfg["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_extra_hosts_and_origins_are_added_to_those_of_site_url(tmp_path):
    result = start(tmp_path, **with_(ALLOWED_HOSTS="connector.internal",
                                     CSRF_TRUSTED_ORIGINS="https://admin.acme-builders.com"))
    cfg = json.loads(result.stdout)
    assert cfg["allowed_hosts"] == ["connector.acme-builders.com", "connector.internal"]
    assert cfg["csrf_trusted_origins"] == ["https://connector.acme-builders.com", "https://admin.acme-builders.com"]


UNSAFE = [
    # (what is wrong, the environment, words the refusal must contain)
    ("no SECRET_KEY", with_(SECRET_KEY=None), "SECRET_KEY is empty"),
    ("SECRET_KEY=change-me", with_(SECRET_KEY="change-me"), "SECRET_KEY is still a placeholder"),
    ("placeholder inside a long SECRET_KEY", with_(SECRET_KEY="please-change-me-" + "k" * 50),
     "SECRET_KEY is still a placeholder"),
    ("short SECRET_KEY", with_(SECRET_KEY="aB3dE5gH7jK9mN1p"), "SECRET_KEY is too short"),
    ("one repeated character", with_(SECRET_KEY="s" * 60), "SECRET_KEY is not random enough"),
    ("Django's insecure prefix", with_(SECRET_KEY="django-insecure-" + COMPLETE["SECRET_KEY"]),
     "SECRET_KEY is still a placeholder"),
    ("no FIELD_ENCRYPTION_KEY", with_(FIELD_ENCRYPTION_KEY=None), "FIELD_ENCRYPTION_KEY is empty"),
    ("FIELD_ENCRYPTION_KEY=change-me", with_(FIELD_ENCRYPTION_KEY="change-me"),
     "key 1 of 1 is not a Fernet key"),
    ("a bad second key", with_(FIELD_ENCRYPTION_KEY=f"{ANOTHER_FERNET_KEY},x"), "key 2 of 2 is not a Fernet key"),
    ("no SITE_URL", with_(SITE_URL=None), "SITE_URL is empty"),
    ("plain-http SITE_URL", with_(SITE_URL="http://connector.acme-builders.com"), "is not an https address"),
    ("local SITE_URL", with_(SITE_URL="https://127.0.0.1:8000"), "SITE_URL (https://127.0.0.1:8000) is a local"),
    ("example SITE_URL", with_(SITE_URL="https://connector.example.com"), "still the example address"),
    ("SITE_URL with a path", with_(SITE_URL="https://acme-builders.com/connector"), "without a path"),
    ("no DATABASE_URL", with_(DATABASE_URL=None), "DATABASE_URL is empty"),
    ("SQLite", with_(DATABASE_URL="sqlite:////tmp/db.sqlite3"), "DATABASE_URL points at SQLite"),
    ("no REDIS_URL", with_(REDIS_URL=None), "REDIS_URL is empty"),
    ("a non-Redis cache", with_(REDIS_URL="memcached://cache:11211"), "REDIS_URL is memcached://, not Redis"),
    ("no broker", with_(CELERY_BROKER_URL=None), "CELERY_BROKER_URL is empty"),
    ("the filesystem broker", with_(CELERY_BROKER_URL="filesystem://"),
     "CELERY_BROKER_URL is filesystem://, not Redis"),
    ("SANDBOX_ENABLED unset", with_(SANDBOX_ENABLED=None), "Set SANDBOX_ENABLED=false"),
    ("SANDBOX_ENABLED=true", with_(SANDBOX_ENABLED="true"), "Set SANDBOX_ENABLED=false"),
    ("DEBUG=true", with_(DEBUG="true"), "Set DEBUG=false"),
    ("no Procore client id", with_(PROCORE_CLIENT_ID=None), "PROCORE_CLIENT_ID is empty, a placeholder"),
    ("the sandbox's Procore client", with_(PROCORE_CLIENT_ID="sandbox-procore-client"),
     "PROCORE_CLIENT_ID is empty, a placeholder or the local sandbox's"),
    ("the sandbox's Procore secret", with_(PROCORE_CLIENT_SECRET="sandbox-procore-secret"),
     "PROCORE_CLIENT_SECRET is the local sandbox's value"),
    ("the sandbox's Xero client", with_(XERO_CLIENT_ID="sandbox-xero-client"), "XERO_CLIENT_ID is empty"),
    ("no Xero secret", with_(XERO_CLIENT_SECRET=""), "XERO_CLIENT_SECRET is empty"),
    ("Xero secret placeholder", with_(XERO_CLIENT_SECRET="change-me"), "XERO_CLIENT_SECRET is still a placeholder"),
    ("the Procore sandbox's login host", with_(PROCORE_LOGIN_URL="http://127.0.0.1:8101"),
     "PROCORE_LOGIN_URL (http://127.0.0.1:8101) does not use https"),
    ("a loopback Procore API", with_(PROCORE_API_URL="https://localhost:8101"), "PROCORE_API_URL"),
    ("no Xero login host", with_(XERO_LOGIN_URL=None), "XERO_LOGIN_URL is empty"),
    ("a loopback Xero identity host", with_(XERO_IDENTITY_URL="https://127.0.0.1:8102"),
     "XERO_IDENTITY_URL (https://127.0.0.1:8102) is a local address"),
    ("the Xero sandbox's API", with_(XERO_API_URL="http://127.0.0.1:8102"), "XERO_API_URL"),
    ("no webhook key", with_(XERO_WEBHOOK_KEY=None), "XERO_WEBHOOK_KEY is empty"),
    ("an empty webhook key", with_(XERO_WEBHOOK_KEY=""), "XERO_WEBHOOK_KEY is empty"),
    ("the sandbox's webhook key", with_(XERO_WEBHOOK_KEY="sandbox-xero-webhook-key"),
     "XERO_WEBHOOK_KEY is the local sandbox's value"),
    ("a placeholder webhook key", with_(XERO_WEBHOOK_KEY="change-me"), "XERO_WEBHOOK_KEY is still a placeholder"),
    ("a short webhook key", with_(XERO_WEBHOOK_KEY="k3y-fr0m-x3r0"), "XERO_WEBHOOK_KEY is too short"),
    ("ALLOWED_HOSTS=*", with_(ALLOWED_HOSTS="*"), "ALLOWED_HOSTS contains *"),
    ("a plain-http trusted origin", with_(CSRF_TRUSTED_ORIGINS="http://acme-builders.com"),
     "CSRF_TRUSTED_ORIGINS lists non-https origins (http://acme-builders.com)"),
    ("HSTS off", with_(SECURE_HSTS_SECONDS="0"), "SECURE_HSTS_SECONDS is 0"),
]


@pytest.mark.parametrize("env, refusal", [case[1:] for case in UNSAFE], ids=[case[0] for case in UNSAFE])
def test_production_refuses_an_unsafe_value(tmp_path, env, refusal):
    result = start(tmp_path, **env)
    assert result.returncode != 0, f"started with {env}"
    assert "settings.production refuses to start" in result.stderr
    assert refusal in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_every_problem_is_listed_at_once(tmp_path):
    result = start(tmp_path)
    assert result.returncode != 0
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "SITE_URL", "DATABASE_URL", "REDIS_URL",
                 "CELERY_BROKER_URL", "SANDBOX_ENABLED", "PROCORE_CLIENT_ID", "PROCORE_CLIENT_SECRET",
                 "XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "PROCORE_LOGIN_URL", "PROCORE_API_URL", "XERO_LOGIN_URL",
                 "XERO_IDENTITY_URL", "XERO_API_URL", "XERO_WEBHOOK_KEY"):
        assert f"  - {name}" in result.stderr or f"Set {name}=" in result.stderr, name


def test_the_sandboxes_own_credentials_are_refused():
    """Whatever the emulators accept (the values are public in this repository) production refuses."""
    from sandbox.procore.state import CLIENT_ID as PROCORE_ID
    from sandbox.procore.state import CLIENT_SECRET as PROCORE_SECRET
    from sandbox.xero.oauth_store import CLIENT_ID as XERO_ID
    from sandbox.xero.oauth_store import CLIENT_SECRET as XERO_SECRET
    from sandbox.xero.oauth_store import WEBHOOK_KEY
    from settings.production_rules import production_problems

    sandbox = {"PROCORE_CLIENT_ID": PROCORE_ID, "PROCORE_CLIENT_SECRET": PROCORE_SECRET, "XERO_CLIENT_ID": XERO_ID,
               "XERO_CLIENT_SECRET": XERO_SECRET, "XERO_WEBHOOK_KEY": WEBHOOK_KEY}
    for name, value in sandbox.items():
        problems = production_problems(with_(**{name: value}))
        assert [p for p in problems if p.startswith(name)], name


def manage(tmp_path, *args, **values):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean_env(tmp_path, **values),
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_a_complete_production_environment(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **COMPLETE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_env_example_as_shipped_is_refused_naming_what_to_fill_in(tmp_path):
    shipped = env_example()
    result = start(tmp_path, **shipped)
    assert result.returncode != 0
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "SITE_URL", "PROCORE_CLIENT_ID", "PROCORE_CLIENT_SECRET",
                 "XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_WEBHOOK_KEY"):
        assert f"  - {name}" in result.stderr, name
    assert "  - XERO_WEBHOOK_KEY is" in result.stderr, "an unfilled webhook key must never be accepted"


def test_env_example_filled_in_starts_and_passes_the_deploy_check(tmp_path):
    """The rest of .env.example (services, hosts, flags) is already what production accepts."""
    filled = {**env_example(), **{name: COMPLETE[name] for name in (
        "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "SITE_URL", "PROCORE_CLIENT_ID", "PROCORE_CLIENT_SECRET",
        "XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_WEBHOOK_KEY")}}
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **filled)
    assert result.returncode == 0, result.stdout + result.stderr
    cfg = json.loads(start(tmp_path, **filled).stdout)
    assert cfg["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"], "compose sits behind a TLS proxy"
