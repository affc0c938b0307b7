"""The shared `procore_sandbox` fixture, on a server that validates every request against the Procore spec."""

import pytest

from tests.procore_client.support import control, make_client


@pytest.fixture(scope="session")
def procore_server():
    # Overrides the suite-wide fixture only to switch contract validation on (violations fail the test).
    from sandbox import runner

    server = runner.start(runner.build_procore, size="small", seed=1, validate_contract=True)
    yield server
    server.stop()


@pytest.fixture
def sandbox(procore_sandbox):
    """Small dataset, rate limits off (tests of the limits switch them on), background webhook pump off."""
    control(procore_sandbox, "faults", {"rate_limits": False})
    control(procore_sandbox, "settings", {"webhook_autodeliver": False})
    return procore_sandbox


@pytest.fixture
def procore(sandbox):
    return make_client(sandbox)
