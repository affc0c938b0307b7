"""Locks that are locks: several processes asking at the same moment get one grant, only the holder frees it,
and a long holder keeps its lock while a dead one loses it."""

import multiprocessing
import os
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from connector import locks
from connector.models import Lock

FORK = multiprocessing.get_context("fork")
PROCESSES, ROUNDS = 4, 60


def _contend(barrier, grants, me):
    """One process: every round, all ask for the round's lock at once; the winner keeps it until all have asked."""
    try:
        for round_ in range(ROUNDS):
            barrier.wait()
            try:
                lease = locks.Lease(f"contended:{round_}", ttl=60)
            except locks.LockUnavailable:
                lease = None
            else:
                grants.put((round_, me))
            barrier.wait()  # everyone has asked while the winner still holds it
            if lease:
                lease.end()
    finally:
        connections.close_all()  # opened in this process (none was inherited: the parent closed its own)
        os._exit(0)


def _double_grants():
    connections.close_all()  # no open SQLite handle goes with the forked processes
    barrier, grants = FORK.Barrier(PROCESSES), FORK.Queue()
    workers = [FORK.Process(target=_contend, args=(barrier, grants, me)) for me in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    won = {}
    while not grants.empty():
        round_, me = grants.get()
        won.setdefault(round_, []).append(me)
    return won


@pytest.mark.django_db(transaction=True)
def test_processes_asking_at_once_get_exactly_one_grant_on_the_lock_table(settings):
    settings.REDIS_URL = ""
    won = _double_grants()
    assert sorted(won) == list(range(ROUNDS)) and all(len(winners) == 1 for winners in won.values())


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_processes_asking_at_once_get_exactly_one_grant_in_redis():
    won = _double_grants()
    assert sorted(won) == list(range(ROUNDS)) and all(len(winners) == 1 for winners in won.values())


@pytest.mark.django_db
def test_only_the_holder_frees_a_lock_and_an_expired_one_is_taken_over(settings):
    settings.REDIS_URL = ""
    first = locks.Lease("run", ttl=60)
    with pytest.raises(locks.LockUnavailable):
        locks.Lease("run", ttl=60)
    Lock.objects.filter(name="run").update(expires_at=timezone.now() - timedelta(seconds=1))  # its holder died
    second = locks.Lease("run", ttl=60)
    first.end()  # the late first holder lets go: the lock is the second's, and stays taken
    assert Lock.objects.filter(name="run").count() == 1
    with pytest.raises(locks.LockUnavailable):
        locks.Lease("run", ttl=60)
    second.end()
    assert not Lock.objects.filter(name="run").exists()


@pytest.mark.django_db(transaction=True)
def test_a_long_holder_keeps_its_lock_by_renewing_it(settings):
    settings.REDIS_URL = ""
    lease = locks.Lease("long", ttl=0.6)  # renewed every 0.2 s
    first_expiry = Lock.objects.get(name="long").expires_at
    renewed = locks.threading.Event()

    def expiry_moved():
        for _ in range(200):
            if Lock.objects.get(name="long").expires_at > first_expiry:
                return True
            renewed.wait(0.05)
        return False

    try:
        assert expiry_moved()
        with pytest.raises(locks.LockUnavailable):
            locks.Lease("long", ttl=0.6)
    finally:
        lease.end()


@pytest.mark.redis
def test_a_lock_lost_in_a_redis_restart_is_taken_back_by_its_holder_at_the_next_renewal(settings):
    lease = locks.Lease("restarted", ttl=60)
    redis = locks._redis(settings.REDIS_URL)
    try:
        redis.delete("lock:restarted")  # what a restart without persistence does to it
        assert lease._lock.renew() and redis.exists("lock:restarted")
        with pytest.raises(locks.LockUnavailable):
            locks.Lease("restarted", ttl=60)
    finally:
        lease.end()
    assert not redis.exists("lock:restarted")


@pytest.mark.redis
def test_a_lease_in_redis_is_renewed_by_a_thread_other_than_the_one_that_took_it(settings):
    from concurrent.futures import ThreadPoolExecutor

    lease = locks.Lease("renewed-elsewhere", ttl=60)
    try:
        with ThreadPoolExecutor(1) as renewer:  # as the lease's own renewal thread does
            assert renewer.submit(lease._lock.renew).result()
    finally:
        lease.end()
    assert not locks._redis(settings.REDIS_URL).exists("lock:renewed-elsewhere")


@pytest.mark.django_db(transaction=True)
def test_a_renewal_that_fails_once_is_tried_again_at_the_next_turn(monkeypatch):
    import threading

    calls, again = [], threading.Event()

    def renew():
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the store is away")
        again.set()
        return True

    lease = locks.Lease("flaky-store", ttl=0.3)
    try:
        monkeypatch.setattr(lease._lock, "renew", renew)
        assert again.wait(timeout=10)  # the thread went on after the failure
    finally:
        lease.end()
