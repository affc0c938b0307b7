"""Create the first admin user if there is none; print the password only then (never on later runs)."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from settings import env as local_env
from settings.env import env, generated_secret


class Command(BaseCommand):
    help = ("Create an admin (DJANGO_ADMIN_USER / DJANGO_ADMIN_PASSWORD / DJANGO_ADMIN_EMAIL, else admin and a "
            "generated password) unless that user exists.")

    def handle(self, *args, **options):
        username = env.str("DJANGO_ADMIN_USER", default="admin")
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Admin user {username!r} exists; its password is unchanged (not shown).")
            return
        given = env.str("DJANGO_ADMIN_PASSWORD", default="")
        password = given or generated_secret("admin_password", lambda: secrets.token_urlsafe(12))
        User.objects.create_superuser(username=username, email=env.str("DJANGO_ADMIN_EMAIL", default=""),
                                      password=password)
        self.stdout.write(f"Created admin user {username!r}.")
        if given:
            self.stdout.write(f"Admin login: {username} / the password in DJANGO_ADMIN_PASSWORD")
        else:
            self.stdout.write(f"Admin login: {username} / {password}  (kept in {local_env.VAR_DIR / 'admin_password'})")
