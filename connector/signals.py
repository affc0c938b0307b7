"""What the connector tells the engine, without importing it (the engine, `sync`, listens: sync/apps.py)."""

from django.dispatch import Signal

# A run is wanted: connection_id, kind, trigger, record_id (one record or None), dry_run.
sync_wanted = Signal()
# A webhook event was recorded and waits to be processed: event_id.
webhook_recorded = Signal()
