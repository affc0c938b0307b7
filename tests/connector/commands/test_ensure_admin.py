"""`ensure_admin` (run by `make run` every time) shows the password once: when it creates the user."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run() -> str:
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    return out.getvalue()


@pytest.fixture
def var_dir(tmp_path, monkeypatch):
    import settings.env

    for name in ("DJANGO_ADMIN_USER", "DJANGO_ADMIN_PASSWORD", "DJANGO_ADMIN_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(settings.env, "VAR_DIR", tmp_path)
    return tmp_path


def test_the_generated_password_is_printed_when_the_user_is_created_and_never_again(var_dir):
    first = run()
    password = (var_dir / "admin_password").read_text().strip()
    assert "Created admin user 'admin'" in first and password in first
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(password)

    second = run()
    assert password not in second and "exists" in second
    assert get_user_model().objects.get(username="admin").check_password(password), "password unchanged"


def test_a_password_from_the_environment_is_never_echoed(var_dir, monkeypatch):
    monkeypatch.setenv("DJANGO_ADMIN_USER", "ops")
    monkeypatch.setenv("DJANGO_ADMIN_PASSWORD", "Kite-Orchard-Lantern-42")
    monkeypatch.setenv("DJANGO_ADMIN_EMAIL", "ops@builder.test")
    output = run() + run()
    assert "Kite-Orchard-Lantern-42" not in output
    user = get_user_model().objects.get(username="ops")
    assert user.email == "ops@builder.test" and user.check_password("Kite-Orchard-Lantern-42")
    assert not (var_dir / "admin_password").exists()
