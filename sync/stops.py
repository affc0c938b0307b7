"""What stops a whole run instead of one record.

A per-record `except` catches what the other system said about that record; these pass through it to the
run, which pauses (the rate budget is spent, the task's soft time limit came) or fails saying that the
connector's own database or Redis is in trouble, not the record and not Procore or Xero.
"""

from __future__ import annotations

from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from django.db import connection as db
from redis.exceptions import RedisError

from connector.pacing import BudgetExhausted

PAUSES = (BudgetExhausted, SoftTimeLimitExceeded)  # the run saves its place and goes on in a later task
INFRASTRUCTURE = (OperationalError, InterfaceError, RedisError)
RUN_STOPS = PAUSES + INFRASTRUCTURE  # `except RUN_STOPS: raise` before a per-record `except Exception`


def database_after_interrupt() -> None:
    """Call before writing after a pause: the soft time limit is a signal, and one that lands while
    PostgreSQL's driver waits for an answer leaves the connection mid-command ("another command is already in
    progress"). Outside a transaction, a connection that cannot answer is closed; the next query opens one."""
    if not db.in_atomic_block and db.connection is not None and not db.is_usable():
        db.close()
