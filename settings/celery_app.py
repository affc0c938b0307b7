"""The Celery application (`celery -A settings.celery_app worker`)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.local")

app = Celery("connector")
# All Celery settings live in Django settings with a CELERY_ prefix (settings/topics/celery.py).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _filter_celery_handlers(logger=None, **kwargs):
    """Celery adds its own handlers (task logger, multiprocessing); they get the same filters as LOGGING's."""
    from celery.utils.log import get_multiprocessing_logger

    from .log_filters import protect_handlers

    protect_handlers(logger, get_multiprocessing_logger())


@signals.worker_ready.connect
def _worker_ready(sender=None, **kwargs):
    """Record the worker at start-up so the admin shows it at once, not a minute later."""
    _heartbeat("worker")


@signals.beat_init.connect
def _beat_ready(sender=None, **kwargs):
    single_beat()
    _heartbeat("beat")


_beat_lease = None
STANDBY_POLL_S = 5


def single_beat() -> None:
    """One beat sends the schedules: a second one started by mistake waits here as a standby until the
    first one's lock (renewed while it lives, see connector.locks) is gone, so nothing is sent twice."""
    import logging
    import time

    from django.conf import settings

    from connector.locks import Lease, LockUnavailable

    global _beat_lease
    log, told = logging.getLogger(__name__), False
    while _beat_lease is None:
        try:
            _beat_lease = Lease("celery-beat", ttl=settings.RUN_LOCK_TTL_S, on_lost=_beat_lost)
        except LockUnavailable:
            if not told:
                log.warning("Another beat is running; this one waits as a standby.")
                told = True
            time.sleep(STANDBY_POLL_S)
    if told:
        log.warning("The other beat is gone; this one sends the schedules now.")


def _beat_lost() -> None:
    """The lock went to another beat (it lapsed, e.g. in a Redis restart, and the standby took it): this one
    stops, so only one sends the schedules; its supervisor starts it again as the standby."""
    import logging
    import signal

    logging.getLogger(__name__).warning("Another beat took over the schedules; this one stops.")
    os.kill(os.getpid(), signal.SIGTERM)


def _heartbeat(source: str) -> None:
    import socket

    from connector.services.heartbeat import heartbeat_record

    heartbeat_record(source=source, hostname=socket.gethostname())
