"""The room left in the shared rate budget, as the connector home shows it."""

import pytest

from connector.pacing import pacing_forget, room_left, xero_budget, xero_pacer


@pytest.fixture(autouse=True)
def _empty_budget():
    pacing_forget()
    yield
    pacing_forget()


def test_calls_made_are_taken_from_the_room_left_today(settings):
    settings.XERO_CALLS_PER_DAY = 5000
    pacer = xero_pacer("tenant-room")
    for _ in range(3):
        pacer.before_request()
        pacer.after_response({})
    assert room_left(xero_budget("tenant-room"))["day"] == (4997, 5000)
    assert room_left(xero_budget("another-tenant"))["day"] == (5000, 5000)


def test_what_xero_says_is_left_counts_too(settings):
    settings.XERO_CALLS_PER_DAY = 5000
    pacer = xero_pacer("tenant-told")
    pacer.before_request()
    pacer.after_response({"X-DayLimit-Remaining": "4000"})
    assert room_left(xero_budget("tenant-told"))["day"] == (4000, 5000)
