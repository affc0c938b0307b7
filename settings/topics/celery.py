"""Celery, configured from the cookiecutter-django checklist; each setting says why.

Docs: https://docs.celeryq.dev/en/stable/userguide/configuration.html
"""

from ..env import VAR_DIR, env

# A sync run that hangs must not hold a worker forever: the soft limit raises inside the task
# so it can log and save its cursor, the hard limit kills it.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-time-limit
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
# A run's lock expires this long after its worker stopped renewing it (renewed every third of it while the
# run works): a SIGKILLed worker leaves its kind blocked for at most this long.
RUN_LOCK_TTL_S = env.int("RUN_LOCK_TTL_S", default=120)
# A scheduled scope runs one kind per worker task and queues the next kind at the back of the queue: with many
# connections on one deployment, none waits behind another's whole scope (fair turns, bench/tenants.py).
SYNC_SCOPE_KIND_PER_TASK = env.bool("SYNC_SCOPE_KIND_PER_TASK", default=True)
# A paused run still waiting this long after its time lost its continuation: the sweeper queues it again.
SWEEP_LATE_S = env.int("SWEEP_LATE_S", default=300)

# Embedded default: Celery's filesystem transport, so `make run` needs no broker server.
# https://docs.celeryq.dev/projects/kombu/en/stable/reference/kombu.transport.filesystem.html
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "celery" / "queue"
    _processed = VAR_DIR / "celery" / "processed"
    _control = VAR_DIR / "celery" / "control"
    for _path in (_queue, _processed, _control):
        _path.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_processed),
        "store_processed": False,
        "control_folder": str(_control),  # pidbox/broadcast files, else written to ./control
    }
else:
    # Redis redelivers an unacked task only after this: just past the hard time limit, so a task is not
    # run twice while it is still running, and one its worker lost comes back within minutes of its limit
    # (the sweeper continues the run itself sooner). A redelivered continuation takes its run up only once.
    # https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 120}

# Results go to the database (django-celery-results) unless a backend URL is given.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#result-backend
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="django-db")
# Store task name, args and worker with each result so the admin can show them.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#result-extended
CELERY_RESULT_EXTENDED = True
# Retry the result backend on transient errors instead of losing the result.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#result-backend-always-retry
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
CELERY_RESULT_BACKEND_MAX_RETRIES = 10
# Keep results a week: long enough to explain a failure, short enough to bound the table.
CELERY_RESULT_EXPIRES = 7 * 24 * 3600

# JSON only: pickle would let a broker message run code; ids in, never ORM objects.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#std-setting-accept_content
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"

CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True


# Sync tasks are idempotent (the database, not the broker, records what is done), so
# acknowledge after running and requeue when a worker dies mid-task.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-acks-late
CELERY_TASK_ACKS_LATE = True
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-reject-on-worker-lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# With late acks, prefetch one task at a time so a long sync does not sit on queued work.
# https://docs.celeryq.dev/en/stable/userguide/optimizing.html#prefetch-limits
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Report "started" so the admin can tell queued from running.
CELERY_TASK_TRACK_STARTED = True
# Emit task events so `celery events` / flower can watch the worker.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#worker-send-task-events
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True

# Leave the root logger to Django's LOGGING instead of Celery replacing it.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#worker-hijack-root-logger
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Beat reads its schedule from django-celery-beat's tables, so cadences are data users edit.
# https://django-celery-beat.readthedocs.io/en/latest/#example-running-periodic-tasks
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Keep retrying the broker at start-up (the broker may come up after the worker in compose).
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#broker-connection-retry-on-startup
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
