from django.utils import timezone

from ..models import WorkerHeartbeat


def heartbeat_record(*, source: str, hostname: str) -> WorkerHeartbeat:
    beat, _ = WorkerHeartbeat.objects.update_or_create(
        source=source, hostname=hostname, defaults={"seen_at": timezone.now()}
    )
    return beat
