"""Tokens are unreadable in the database, and the encryption key can be rotated without losing them."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db

from connector.crypto import _fernet
from connector.models import Credential
from tests.factories import CredentialFactory

pytestmark = pytest.mark.django_db


def raw_row(credential_id):
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM connector_credential WHERE id = %s", [credential_id])
        return cursor.fetchone()


def test_tokens_are_stored_encrypted_and_read_back_in_clear():
    credential = CredentialFactory(access_token="access-PLAINTEXT-123", refresh_token="refresh-PLAINTEXT-456")
    access_raw, refresh_raw = raw_row(credential.pk)
    assert "PLAINTEXT" not in access_raw and "PLAINTEXT" not in refresh_raw
    fresh = Credential.objects.get(pk=credential.pk)
    assert (fresh.access_token, fresh.refresh_token) == ("access-PLAINTEXT-123", "refresh-PLAINTEXT-456")


def test_rotating_the_key_keeps_every_token(settings):
    credential = CredentialFactory(access_token="tok-A", refresh_token="tok-B")
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    before = raw_row(credential.pk)

    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    _fernet.cache_clear()
    call_command("rotate_encryption_key")

    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can now be dropped
    _fernet.cache_clear()
    fresh = Credential.objects.get(pk=credential.pk)
    assert (fresh.access_token, fresh.refresh_token) == ("tok-A", "tok-B")
    assert raw_row(credential.pk) != before
