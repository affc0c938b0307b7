"""Named locks shared by every process of a deployment.

With Redis (production; REDIS_URL) a redis-py lock: a random owner token, an expiry, and release/extend by
Lua so nobody frees a lock they do not hold (https://redis-py.readthedocs.io/en/stable/lock.html). Without
Redis (the embedded default on SQLite) a row of the Lock table: the unique name makes taking it atomic, the
owner token guards the release, and an expired row (its holder died) is taken over.

`keep(name)` (a `Lease`) holds one lock for a long piece of work (a sync run) with a short expiry that a thread renews
while the holder lives: a worker killed mid-run frees it within `ttl` seconds, one that is only slow keeps it.

`hold(names)` takes several locks in sorted order (two writers asking for the same documents in any order
cannot deadlock) and lets them all go on the way out. A contended attempt sends `lock_contended` first, so
a test can act at exactly that moment instead of sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

logger = logging.getLogger(__name__)
lock_contended = Signal()  # sent with name=…, the first time an attempt to take a lock finds it held
POLL_S = 0.05


class LockUnavailable(Exception):
    """Someone else holds the lock and did not let it go within the wait allowed."""

    def __init__(self, name: str):
        super().__init__(f"{name} is held by another process")
        self.name = name


@lru_cache(maxsize=4)
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url)


class _RedisLock:
    def __init__(self, name: str, ttl: float):
        # thread_local=False: a Lease's token is renewed by its own thread, not the one that took the lock
        # (https://redis-py.readthedocs.io/en/stable/lock.html: thread_local).
        self._lock = _redis(settings.REDIS_URL).lock(f"lock:{name}", timeout=ttl, blocking=False,
                                                     thread_local=False)

    def acquire(self) -> bool:
        return bool(self._lock.acquire(blocking=False))

    def release(self) -> None:
        from redis.exceptions import LockError

        try:
            self._lock.release()
        except LockError:  # expired and perhaps taken by someone else: theirs now, nothing to free
            pass

    def renew(self) -> bool:
        from redis.exceptions import LockError

        try:
            return bool(self._lock.reacquire())  # back to a full ttl, only if the token is still ours
        except LockError:  # gone: Redis restarted or was flushed; ours again if nobody took it meanwhile
            token = self._lock.local.token
            return bool(token and self._lock.acquire(blocking=False, token=token))


class _RowLock:
    def __init__(self, name: str, ttl: float):
        self.name, self.ttl, self.owner = name, ttl, uuid.uuid4().hex

    def acquire(self) -> bool:
        from .models import Lock

        now = timezone.now()
        Lock.objects.filter(name=self.name, expires_at__lt=now).delete()  # its holder died: take it over
        try:
            with transaction.atomic():
                Lock.objects.create(name=self.name, owner=self.owner, expires_at=now + timedelta(seconds=self.ttl))
        except IntegrityError:
            return False
        return True

    def release(self) -> None:
        from .models import Lock

        Lock.objects.filter(name=self.name, owner=self.owner).delete()

    def renew(self) -> bool:
        from .models import Lock

        expires = timezone.now() + timedelta(seconds=self.ttl)
        return bool(Lock.objects.filter(name=self.name, owner=self.owner).update(expires_at=expires))


def _new(name: str, ttl: float):
    return _RedisLock(name, ttl) if settings.REDIS_URL else _RowLock(name, ttl)


@contextmanager
def hold(names, *, ttl: float = 300, wait: float = 60):
    """Hold every lock of `names` (a name or a list) for the block; LockUnavailable when one stays taken
    longer than `wait` seconds. `ttl` bounds how long a dead holder can block the others."""
    names = sorted({names} if isinstance(names, str) else set(names))
    held = []
    try:
        for name in names:
            lock = _new(name, ttl)
            deadline, told = time.monotonic() + wait, False
            while not lock.acquire():
                if not told:
                    told = True
                    lock_contended.send(sender=None, name=name)
                if time.monotonic() >= deadline:
                    raise LockUnavailable(name)
                time.sleep(POLL_S)
            held.append(lock)
        yield
    finally:
        for lock in reversed(held):
            lock.release()


class Lease:
    """A lock held for a long piece of work, renewed every ttl/3 by a thread until `end()`. `on_lost` is called
    (in that thread, once) when a renewal finds the lock taken by another holder."""

    def __init__(self, name: str, ttl: float, on_lost=None):
        self.name, self._lock, self._done = name, _new(name, ttl), threading.Event()
        self._on_lost = on_lost
        if not self._lock.acquire():
            raise LockUnavailable(name)
        threading.Thread(target=self._renew, args=(ttl / 3,), daemon=True, name=f"renew {name}").start()

    def end(self) -> None:
        self._done.set()  # the thread is not waited for: a renewal after the release matches no owner
        self._lock.release()

    def _renew(self, every: float) -> None:
        from django.db import connections

        try:
            while not self._done.wait(every):
                try:
                    if not self._lock.renew() and not self._done.is_set():
                        logger.warning("The lock %s expired while its holder worked; another may take it",
                                       self.name)
                        if self._on_lost is not None:
                            self._on_lost()
                            return
                except Exception as exc:  # the database or Redis is away for now: try again at the next turn
                    logger.warning("Could not renew the lock %s (%s)", self.name, type(exc).__name__)
                    connections.close_all()  # a broken connection is not reused
        finally:
            connections.close_all()  # this thread's own connections only


@contextmanager
def keep(name: str, *, ttl: float = 120):
    """Hold `name` for the block (LockUnavailable at once if it is held), renewed while the block runs."""
    lease = Lease(name, ttl)
    try:
        yield lease
    finally:
        lease.end()


def run_lock_name(connection_id: int, kind: str) -> str:
    """The lock a sync run of one kind holds for one connection (also taken by a person's change that must not
    interleave with a run, such as an unlink)."""
    return f"sync-run:{connection_id}:{kind}"


def document_lock_name(connection, kind: str, document_id: str) -> str:
    """One lock per Xero document of an organisation: every writer of a purchase order holds it while it
    reads the document's lines and writes them back."""
    return f"xero:{connection.xero_tenant_id}:{kind}:{document_id}"
