"""Lock dates: nothing posted to the ledger on or before them (Xero's "Set up and work with lock dates").

`PeriodLockDate` stops everyone but advisers, `EndOfYearLockDate` everyone; an app acts as the user who
connected it and may not be an adviser, so both are enforced (the stricter reading). Drafts and bills
awaiting approval may still be saved in a locked period (they post nothing); approving, paying, allocating,
voiding or deleting a payment there is refused with Xero's words:
"The document date cannot be before the period lock date, currently set at 31-Dec-2024".
"""

from __future__ import annotations

from datetime import UTC, datetime

from .documents import Invalid
from .formats import parse_date

DAY = 86400


def lock_dates(state, tenant: str) -> dict[str, float | None]:
    org = next((o for o in state.rows("Organisation", tenant)), {})
    return {
        "period": parse_date(org.get("PeriodLockDate")),
        "end of year": parse_date(org.get("EndOfYearLockDate")),
    }


def check_open(state, tenant: str, when: float | None) -> None:
    """Raise Invalid when `when` (epoch seconds of a date) falls on or before a lock date (payments and
    allocations get the same "document date" words as bills)."""
    if when is None:
        return
    messages = [
        f"The document date cannot be before the {name} lock date, currently set at {_day(lock)}"
        for name, lock in lock_dates(state, tenant).items()
        if lock is not None and when < lock + DAY
    ]
    if messages:
        raise Invalid(*messages)


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%d-%b-%Y")
