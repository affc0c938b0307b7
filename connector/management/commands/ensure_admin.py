"""Create the first admin user if there is none, and print how to log in."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from settings.env import env, generated_secret


class Command(BaseCommand):
    help = "Create an admin (DJANGO_ADMIN_USER / DJANGO_ADMIN_PASSWORD, else admin + a generated password)."

    def handle(self, *args, **options):
        username = env.str("DJANGO_ADMIN_USER", default="admin")
        password = env.str("DJANGO_ADMIN_PASSWORD", default="") or generated_secret(
            "admin_password", lambda: __import__("secrets").token_urlsafe(12)
        )
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            User.objects.create_superuser(username=username, email="", password=password)
            self.stdout.write(f"Created admin user {username!r}.")
        self.stdout.write(f"Admin login: {username} / {password}")
