"""Re-encrypt every stored secret with the newest FIELD_ENCRYPTION_KEY (put the new key first, run
this, then drop the old key)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from connector.fields import EncryptedTextField
from connector.models import Connection, Credential


class Command(BaseCommand):
    help = "Rotate encrypted tokens and secrets to the first key of FIELD_ENCRYPTION_KEY."

    @transaction.atomic
    def handle(self, *args, **options):
        rotated = 0
        for model in (Credential, Connection):
            fields = [f for f in model._meta.fields if isinstance(f, EncryptedTextField)]
            for obj in model.objects.select_for_update():
                # Reading decrypts with any key; saving encrypts with the first one.
                obj.save(update_fields=[f.name for f in fields])
                rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} rows with the newest key.")
