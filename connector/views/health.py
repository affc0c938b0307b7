import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect

from ..selectors import heartbeat_status

logger = logging.getLogger(__name__)
TIMEOUT_S = 2


def home(request):
    return redirect("admin:index")


def health(request):
    """For load balancers and people: the database answers a query; Redis and the broker answer when
    configured (the embedded defaults have neither); a worker and beat were seen recently.

    503 when a service the web process needs is down; a missing worker or beat is reported, not fatal."""
    services = {"database": _database_answers()}
    if settings.REDIS_URL:
        services["redis"] = _redis_answers(settings.REDIS_URL)
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        services["broker"] = _broker_answers(settings.CELERY_BROKER_URL)
    seen = heartbeat_status() if services["database"] else {"worker": False, "beat": False}
    return JsonResponse({**services, **seen}, status=200 if all(services.values()) else 503)


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception as exc:  # health must answer, whatever the failure
        logger.warning("Health check: the database did not answer (%s)", type(exc).__name__)
        return False


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S).ping())
    except Exception as exc:
        logger.warning("Health check: Redis did not answer (%s)", type(exc).__name__)
        return False


def _broker_answers(url: str) -> bool:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=TIMEOUT_S,
                        transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT_S)
        return True
    except Exception as exc:
        logger.warning("Health check: the broker did not answer (%s)", type(exc).__name__)
        return False
