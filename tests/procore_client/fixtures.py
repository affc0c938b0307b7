"""Fixtures of the Procore client and emulator tests (imported by their two conftest modules)."""

import pytest

from tests.procore_client.support import control, make_client


@pytest.fixture
def sandbox(procore_sandbox):
    """Small dataset, rate limits off (tests of the limits switch them on), background webhook pump off."""
    control(procore_sandbox, "faults", {"rate_limits": False})
    control(procore_sandbox, "settings", {"webhook_autodeliver": False})
    return procore_sandbox


@pytest.fixture
def procore(sandbox):
    return make_client(sandbox)
