"""Xero's lock dates (Organisation.PeriodLockDate / EndOfYearLockDate), read once per run.

Xero takes no approved bill, credit note, payment or allocation dated on or before either lock date (Xero
help: "Set up and work with lock dates"); drafts may still be saved there. The connector checks before it
writes: a bill dated in a closed period waits with the reason in an accountant's words, or — when the
connection says so — is dated on the first open day, the Procore date kept on the bill.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from xero_client import LockDates
from xero_client.errors import XeroError

from .admission import Problem

logger = logging.getLogger(__name__)
OPEN = LockDates(None, None)


def read_lock_dates(xero) -> LockDates:
    """The organisation's lock dates; open books when Xero cannot be asked now (Xero still enforces them)."""
    try:
        return xero.lock_dates()
    except XeroError as exc:
        logger.warning("Could not read Xero's lock dates (%s); Xero will judge the dates itself", type(exc).__name__)
        return OPEN


def day_words(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


@dataclass(frozen=True)
class Dating:
    """What a document's date becomes against the lock dates."""

    date: date
    moved_from: date | None = None  # the Procore date, when the document was moved to the first open day
    problem: Problem | None = None

    def note(self) -> str:
        return (f"Dated {day_words(self.moved_from)} in Procore; Xero's books are locked up to "
                f"{day_words(self.date - timedelta(days=1))}." if self.moved_from else "")


def dating(day: date, locks: LockDates, *, posted: bool, first_open_day: bool, what: str = "bill") -> Dating:
    """`posted`: the document is approved when written (a draft may be saved in a locked period)."""
    closed = locks.closed_until()
    if closed is None or day > closed:
        return Dating(day)
    if first_open_day:
        return Dating(closed + timedelta(days=1), moved_from=day)
    if not posted:
        return Dating(day)
    which = ("end of year lock date" if locks.end_of_year == closed and locks.period != closed
             else "period lock date")
    return Dating(day, problem=Problem(
        f"Waiting: the {what} is dated {day_words(day)}, in a period closed in Xero (the {which} is "
        f"{day_words(closed)}). Xero takes no approved {what} dated on or before it.",
        "Ask the person who closes the books to move the lock date in Xero, or choose “Date back-dated bills on "
        "the first open day” in the connection settings; then press Sync now."))
