"""What stops a whole run instead of one record.

A per-record `except` catches what the other system said about that record; these pass through it to the
run, which pauses (the rate budget is spent, the task's soft time limit came) or fails saying that the
connector's own database or Redis is in trouble, not the record and not Procore or Xero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError, ProgrammingError
from django.db import connection as db
from redis.exceptions import RedisError

from connector.pacing import BudgetExhausted

PAUSES = (BudgetExhausted, SoftTimeLimitExceeded)  # the run saves its place and goes on in a later task
# The database unreachable or its connection unusable (a statement cut off mid-way leaves "can't change
# 'autocommit' now"): never what the other system said about a record.
INFRASTRUCTURE = (OperationalError, ProgrammingError, InterfaceError, RedisError)
RUN_STOPS = PAUSES + INFRASTRUCTURE  # `except RUN_STOPS: raise` before a per-record `except Exception`


def database_after_interrupt() -> None:
    """Call before writing after a pause: the soft time limit is a signal, and one that lands while
    PostgreSQL's driver waits for an answer leaves the connection mid-command ("another command is already in
    progress"). Outside a transaction, a connection that cannot answer is closed; the next query opens one."""
    if not db.in_atomic_block and db.connection is not None and not db.is_usable():
        db.close()


def pause_behind(exc: BaseException) -> BaseException | None:
    """The pause another error hides: the soft time limit landing mid-statement makes the driver's clean-up
    fail too ("can't change 'autocommit' now"), and that error, not the limit, reaches the run."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, PAUSES):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


@contextmanager
def sent_before_a_pause(send: Callable[[], None]) -> Iterator[None]:
    """Reading stops at the rate budget or the time limit: what was judged and queued is sent before the run
    pauses, so the next task does not judge and queue it again (it may never get further than this one)."""
    try:
        yield
    except PAUSES:
        database_after_interrupt()
        send()
        raise
