"""Suite-wide fixtures and the service markers.

`@pytest.mark.postgres` / `@pytest.mark.redis` tests run when the service is configured and are
skipped with a visible reason otherwise; under CI=true a missing service fails the test instead,
so CI can never go green by skipping.
"""

import os

import pytest
from django.conf import settings

from tests.workers import celery_worker_process  # noqa: F401 - a fixture for every test package


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

    server = runner.start(runner.build_procore, size="small", seed=1, validate_contract=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def xero_server():
    from sandbox import runner

    server = runner.start(runner.build_xero, size="small", seed=1, validate_contract=True)
    yield server
    server.stop()


def _pacing_forget():
    """The sandboxes forget the calls they counted; so do the shared rate budgets."""
    from connector.pacing import pacing_forget

    pacing_forget()


@pytest.fixture
def procore_sandbox(procore_server):
    procore_server.state.reset(size="small", seed=1)
    _pacing_forget()
    yield procore_server
    _assert_no_contract_violations(procore_server)


@pytest.fixture
def xero_sandbox(xero_server):
    state = xero_server.state
    state.reset(size="small", seed=1)
    _pacing_forget()
    with state.lock:  # reset keeps OAuth grants (for demos); each test starts with none
        for grants in (state.auth.codes, state.auth.access, state.auth.refresh, state.auth.connections):
            grants.clear()
    yield xero_server
    _assert_no_contract_violations(xero_server)


def _assert_no_contract_violations(server):
    """Every request a client sent and every response the emulator gave must match the specs."""
    violations = getattr(server.state, "contract_violations", [])
    found, violations[:] = list(violations), []
    assert not found, "contract violations:\n" + "\n".join(map(str, found))


@pytest.fixture
def sandbox_settings(settings, procore_sandbox, xero_sandbox):
    """Point the connector at the test sandboxes (real HTTP on free ports)."""
    settings.PROCORE_LOGIN_URL = settings.PROCORE_API_URL = procore_sandbox.url
    settings.XERO_LOGIN_URL = settings.XERO_IDENTITY_URL = settings.XERO_API_URL = xero_sandbox.url
    return settings


@pytest.fixture
def connection(sandbox_settings, db):
    """An active connection to the sandboxes' first company and US organisation, made by OAuth."""
    from connector.management.commands.connect_sandbox import connect
    from sandbox.datasets import PROCORE_COMPANIES, XERO_ORGANISATIONS

    return connect(company_id=PROCORE_COMPANIES[0]["id"], tenant_id=XERO_ORGANISATIONS[0]["tenantId"])


# -- a real browser ----------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser_page(monkeypatch):
    """A Playwright page in Debian's Chromium (`apt-get install chromium`; .ci/run installs it)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must not skip: {CHROMIUM} is missing", pytrace=False)
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(20000)
        yield page
        browser.close()


def admin_login(page, base_url, username, password="pass-word-123"):
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
