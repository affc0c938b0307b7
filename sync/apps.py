from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync engine"

    def ready(self):
        from connector.signals import sync_wanted, webhook_recorded

        from .dispatch import on_sync_wanted, on_webhook_recorded

        sync_wanted.connect(on_sync_wanted, dispatch_uid="sync_wanted")
        webhook_recorded.connect(on_webhook_recorded, dispatch_uid="webhook_recorded")
