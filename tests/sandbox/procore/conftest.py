"""The suite-wide `procore_sandbox` (contract-validating) plus these packages' own fixtures."""

from tests.procore_client.fixtures import procore, sandbox  # noqa: F401
