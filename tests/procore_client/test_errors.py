"""Every error body shape of reference §7 becomes one exception with status, message and fields."""

import json

import pytest

from procore_client import (
    ProcoreAuthError,
    ProcoreNotFound,
    ProcoreRateLimited,
    ProcoreServerError,
    ProcoreValidationError,
)
from procore_client.errors import from_response


@pytest.mark.parametrize(
    "status, body, cls, message, fields",
    [
        (
            422,
            {"errors": {"name": ["can't be blank"], "origin_id": ["has already been taken"]}},
            ProcoreValidationError,
            "name can't be blank; origin_id has already been taken",
            {"name": ["can't be blank"], "origin_id": ["has already been taken"]},
        ),
        (404, {"errors": "Project not found"}, ProcoreNotFound, "Project not found", {}),
        (
            403,
            {"message": "App is not connected to this company"},
            ProcoreAuthError,
            "App is not connected to this company",
            {},
        ),
        (400, {"error": "Bad filter"}, ProcoreValidationError, "Bad filter", {}),
        (
            422,
            {"message": "Budget is locked", "error": "locked"},
            ProcoreValidationError,
            "Budget is locked; locked",
            {},
        ),
        (
            400,
            {
                "error": {
                    "code": "invalid_params",
                    "message": "Invalid parameters",
                    "details": [{"reason_code": "blank", "field": "title", "message": "can't be blank"}],
                }
            },
            ProcoreValidationError,
            "Invalid parameters",
            {"title": ["can't be blank"]},
        ),
        (
            422,
            {"base": ["Configurable field set failed"], "fields": {"Cost Code": "is required"}},
            ProcoreValidationError,
            "Configurable field set failed",
            {"Cost Code": ["is required"]},
        ),
        (
            401,
            {"error": "invalid_token", "error_description": "The access token is invalid"},
            ProcoreAuthError,
            "The access token is invalid",
            {},
        ),
        (
            429,
            {"errors": "You have surpassed the max number of requests for an hour."},
            ProcoreRateLimited,
            "You have surpassed the max number of requests for an hour.",
            {},
        ),
        (503, "<html>Service Unavailable</html>", ProcoreServerError, "<html>Service Unavailable</html>", {}),
    ],
)
def test_error_shapes(status, body, cls, message, fields):
    text = body if isinstance(body, str) else json.dumps(body)
    error = from_response(status, text, {"Retry-After": "7"})
    assert type(error) is cls
    assert (error.status, error.message, error.fields) == (status, message, fields)
    assert error.retry_after == 7.0
