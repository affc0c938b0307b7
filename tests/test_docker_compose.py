"""Docker does not run here, so the compose file is checked as data: services, commands, env."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def load():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services():
    services = load()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)


def test_app_services_share_one_image_and_one_env_file():
    services = load()["services"]
    apps = [services[name] for name in ("web", "worker", "beat")]
    assert len({app["image"] for app in apps}) == 1
    assert all(app["env_file"] == ".env" for app in apps)
    assert all(app["depends_on"]["postgres"]["condition"] == "service_healthy" for app in apps)


def test_commands_run_gunicorn_a_worker_and_beat():
    services = load()["services"]
    assert services["web"]["command"].startswith("gunicorn settings.wsgi:application")
    assert "celery -A settings.celery_app worker" in services["worker"]["command"]
    assert "celery -A settings.celery_app beat" in services["beat"]["command"]


def test_postgres_keeps_data_and_reports_health():
    postgres = load()["services"]["postgres"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_env_example_names_every_variable_production_needs():
    names = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
             if line and not line.startswith("#")}
    required = {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL",
                "CELERY_BROKER_URL", "SITE_URL", "PROCORE_CLIENT_ID", "PROCORE_CLIENT_SECRET", "PROCORE_LOGIN_URL",
                "PROCORE_API_URL", "XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_LOGIN_URL", "XERO_IDENTITY_URL",
                "XERO_API_URL", "XERO_WEBHOOK_KEY", "SANDBOX_ENABLED", "TRUST_X_FORWARDED_PROTO"}
    assert required <= names


def test_gunicorn_is_published_on_the_hosts_loopback_only():
    """Plain HTTP never reaches the network: a TLS proxy on the host forwards to 127.0.0.1:8000."""
    services = load()["services"]
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]
    assert not [name for name, service in services.items() if name != "web" and service.get("ports")]


def test_the_image_never_runs_production_settings_on_made_up_secrets():
    lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if not line.startswith("#")]
    build = "\n".join(lines)
    assert "settings.production" not in build and "SECRET_KEY=" not in build


def test_the_access_log_leaves_query_strings_out():
    """OAuth callbacks carry ?code=…: gunicorn logs the path (%(U)s), never the request line (%(r)s)."""
    import shlex

    args = shlex.split(load()["services"]["web"]["command"])
    log_format = args[args.index("--access-logformat") + 1]
    assert "%(U)s" in log_format and "%(r)s" not in log_format and "%(q)s" not in log_format
