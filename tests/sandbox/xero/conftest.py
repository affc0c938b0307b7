import pytest

from .helpers import Api, connect


@pytest.fixture
def token(xero_sandbox):
    return connect(xero_sandbox)


@pytest.fixture
def api(xero_sandbox, token):
    return Api(xero_sandbox, token)
