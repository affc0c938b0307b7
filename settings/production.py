"""Production: the same settings as development, but nothing may fall back to a development default.

The environment is checked before base runs (so no secret is generated into var/); every unsafe value
is refused with a sentence saying what to set (settings/production_rules.py, README "Production checklist").
"""

from django.core.exceptions import ImproperlyConfigured

from .env import env
from .production_rules import production_problems, site_hosts, site_origins

_problems = production_problems(env.ENVIRON)
if _problems:
    raise ImproperlyConfigured(
        "settings.production refuses to start until these are fixed (see .env.example):\n"
        + "\n".join(f"  - {problem}" for problem in _problems)
    )

from .base import *  # noqa: E402,F401,F403
from .base import SITE_URL  # noqa: E402

DEBUG = False

# Only the public address answers, and forms are trusted from it alone (plus extras listed explicitly).
ALLOWED_HOSTS = site_hosts(SITE_URL, env.list("ALLOWED_HOSTS", default=[]))
CSRF_TRUSTED_ORIGINS = site_origins(SITE_URL, env.list("CSRF_TRUSTED_ORIGINS", default=[]))

# HTTPS everywhere: https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security
SECURE_SSL_REDIRECT = True
# A load balancer's plain-HTTP probe of /health/ is answered rather than redirected.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Only a consent flag: nothing is added to browsers' preload lists unless the domain is submitted.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
