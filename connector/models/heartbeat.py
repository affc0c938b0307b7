from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each Celery process proved it is alive (shown in the admin)."""

    class Source(models.TextChoices):
        WORKER = "worker", "Worker"
        BEAT = "beat", "Beat schedule"

    source = models.CharField(max_length=16, choices=Source.choices)
    hostname = models.CharField(max_length=255)
    seen_at = models.DateTimeField()

    class Meta:
        app_label = "connector"
        constraints = [models.UniqueConstraint(fields=["source", "hostname"], name="uniq_heartbeat_source_host")]
        ordering = ["-seen_at"]

    def __str__(self):
        return f"{self.get_source_display()} on {self.hostname}"
