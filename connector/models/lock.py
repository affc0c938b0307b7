"""Named locks for deployments without Redis (the embedded default on SQLite); see connector.locks."""

from django.db import models


class Lock(models.Model):
    name = models.CharField(max_length=255, unique=True)
    owner = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        app_label = "connector"

    def __str__(self):
        return self.name
