"""Suite-wide fixtures and the service markers.

`@pytest.mark.postgres` / `@pytest.mark.redis` tests run when the service is configured and are
skipped with a visible reason otherwise; under CI=true a missing service fails the test instead,
so CI can never go green by skipping.
"""

import os

import pytest
from django.conf import settings


def _service_missing(marker_name: str) -> str | None:
    if marker_name == "postgres":
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            return "needs PostgreSQL: set DATABASE_URL=postgres://… (currently SQLite)"
    if marker_name == "redis":
        if not settings.REDIS_URL or not settings.CELERY_BROKER_URL.startswith("redis"):
            return "needs Redis: set REDIS_URL and CELERY_BROKER_URL=redis://…"
    return None


def pytest_runtest_setup(item):
    for name in ("postgres", "redis"):
        if item.get_closest_marker(name):
            reason = _service_missing(name)
            if reason:
                if os.environ.get("CI", "").lower() == "true":
                    pytest.fail(f"CI must not skip: {reason}", pytrace=False)
                pytest.skip(reason)


# -- the sandboxes ---------------------------------------------------------------------------------
# One real HTTP server per emulator for the whole session; each test that asks for it gets the
# `small` dataset freshly reset, no faults, and (Xero) a clean list of contract violations.


@pytest.fixture(scope="session")
def procore_server():
    from sandbox import runner

    server = runner.start(runner.build_procore, size="small", seed=1)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def xero_server():
    from sandbox import runner

    server = runner.start(runner.build_xero, size="small", seed=1, validate_contract=True)
    yield server
    server.stop()


@pytest.fixture
def procore_sandbox(procore_server):
    procore_server.state.reset(size="small", seed=1)
    yield procore_server
    _assert_no_contract_violations(procore_server)


@pytest.fixture
def xero_sandbox(xero_server):
    xero_server.state.reset(size="small", seed=1)
    yield xero_server
    _assert_no_contract_violations(xero_server)


def _assert_no_contract_violations(server):
    """Every request a client sent and every response the emulator gave must match the specs."""
    violations = getattr(server.state, "contract_violations", [])
    found, violations[:] = list(violations), []
    assert not found, "contract violations:\n" + "\n".join(map(str, found))
