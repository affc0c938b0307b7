"""The two properties of the production services the engine relies on, checked on the real servers."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError, connections, transaction


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_locked_row_cannot_be_taken_by_a_second_connection():
    """Token refresh and exports lock their row; PostgreSQL must refuse a second holder."""
    user = get_user_model().objects.create(username="lock-probe")
    outcome = {}

    def second_holder():
        try:
            with transaction.atomic():
                get_user_model().objects.select_for_update(nowait=True).get(pk=user.pk)
            outcome["locked"] = False
        except DatabaseError:
            outcome["locked"] = True
        finally:
            connections.close_all()

    with transaction.atomic():
        get_user_model().objects.select_for_update().get(pk=user.pk)
        thread = threading.Thread(target=second_holder)
        thread.start()
        thread.join()
    assert outcome == {"locked": True}


@pytest.mark.redis
def test_the_shared_cache_counts_atomically_across_threads():
    """The per-tenant rate budget is a shared counter; lost increments would overspend Xero's limit."""
    key = "probe:atomic-counter"
    cache.set(key, 0, 60)

    def spend():
        for _ in range(50):
            cache.incr(key)

    threads = [threading.Thread(target=spend) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get(key) == 1000
    cache.delete(key)
