from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    from .services.roles import roles_sync

    roles_sync()


class ConnectorConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "connector"
    verbose_name = "Procore ⇄ Xero connector"

    def ready(self):
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="connector_roles")
